"""Reads of the data tables for the portal and the API: recent observations and alerts of a twin."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from django.db import connection

__all__ = ["Series", "recent_series", "recent_alerts"]


@dataclass(frozen=True)
class Series:
    signal: str
    unit: str
    points: list[tuple[datetime, float]]  # oldest first


def _when(value: object) -> datetime:
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
