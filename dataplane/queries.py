"""Reads of the data tables for the portal and the API: latest values of a page, recent observations and alerts.

The tables are dataplane's (its migration creates them on every database the portal uses), so the SQL
on them lives here and the portal asks in plain arguments.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from django.db import connection

__all__ = ["Latest", "latest_values", "Series", "recent_series", "recent_alerts"]


@dataclass(frozen=True)
class Series:
    signal: str
    unit: str
    points: list[tuple[datetime, float]]  # oldest first


def _when(value: object) -> datetime:
    """SQLite hands back text, PostgreSQL a datetime; both become an aware datetime."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def recent_series(twin_id: str, per_signal: int = 120) -> list[Series]:
    """The newest `per_signal` observations of each of the twin's signals, by the (twin, signal, time) index."""
    out = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, unit FROM signal WHERE twin = %s ORDER BY name", [twin_id])
        for name, unit in cursor.fetchall():
            cursor.execute("SELECT time, value FROM observation WHERE twin = %s AND signal = %s "
                           "ORDER BY time DESC LIMIT %s", [twin_id, name, per_signal])
            rows = cursor.fetchall()
            out.append(Series(name, unit, [(_when(t), float(v)) for t, v in reversed(rows)]))
    return out


def recent_alerts(twin_id: str, limit: int = 20) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT time, severity, kind, body FROM event_log WHERE twin = %s "
                       "ORDER BY time DESC LIMIT %s", [twin_id, limit])
        return [{"time": _when(t), "severity": s, "kind": k, "body": json.loads(b) if isinstance(b, str) else b}
                for t, s, k, b in cursor.fetchall()]


@dataclass(frozen=True)
class Latest:
    value: float
    time: datetime
    unit: str


# Every (twin, signal) row of the `signal` table, each with its newest observation found by the
# (twin, signal, time DESC) unique index the ingest's writer keeps: the cost follows the page, not the history.
_LATEST_SQL = """
SELECT s.twin, s.name, s.unit,
       (SELECT o.value FROM observation o WHERE o.twin = s.twin AND o.signal = s.name ORDER BY o.time DESC LIMIT 1),
       (SELECT o.time FROM observation o WHERE o.twin = s.twin AND o.signal = s.name ORDER BY o.time DESC LIMIT 1)
FROM signal s WHERE s.twin IN ({marks})
"""


def latest_values(twin_ids: Sequence[str]) -> dict[tuple[str, str], Latest]:
    """(twin, signal) -> newest value, for a whole page of cards in one query; never-observed signals are absent."""
    if not twin_ids:
        return {}
    marks = ", ".join(["%s"] * len(twin_ids))
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_SQL.format(marks=marks), list(twin_ids))
        rows = cursor.fetchall()
    return {(twin, name): Latest(float(value), _when(when), unit or "")
            for twin, name, unit, value, when in rows if value is not None}
