"""The latest observation of every signal of a page of twins, in one statement.

The cards of a page show each declared signal's current value. Asking per card
would be a query per card (and per signal); this asks once for the whole page:
every (twin, signal) row of the `signal` table, each with its newest
observation found by the (twin, signal, time DESC) unique index the ingest's
writer keeps, so the cost follows the page, not the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from django.db import connection

__all__ = ["Latest", "latest_values"]


@dataclass(frozen=True)
class Latest:
    value: float
    time: datetime
    unit: str


_SQL = """
SELECT s.twin, s.name, s.unit,
       (SELECT o.value FROM observation o WHERE o.twin = s.twin AND o.signal = s.name ORDER BY o.time DESC LIMIT 1),
       (SELECT o.time FROM observation o WHERE o.twin = s.twin AND o.signal = s.name ORDER BY o.time DESC LIMIT 1)
FROM signal s WHERE s.twin IN ({marks})
"""


def latest_values(twin_ids: Sequence[str]) -> dict[tuple[str, str], Latest]:
    """(twin, signal) -> newest value; signals never observed are absent. One query, whatever the page size.

    The tables are dataplane's (its migration creates them on every database the portal uses).
    """
    if not twin_ids:
        return {}
    marks = ", ".join(["%s"] * len(twin_ids))
    with connection.cursor() as cursor:
        cursor.execute(_SQL.format(marks=marks), list(twin_ids))
        rows = cursor.fetchall()
    return {(twin, name): Latest(float(value), _when(when), unit or "")
            for twin, name, unit, value, when in rows if value is not None}


def _when(value: object) -> datetime:
    """SQLite hands back text, PostgreSQL a datetime; both become an aware datetime."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
