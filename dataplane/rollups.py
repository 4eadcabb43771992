"""Reads of a signal over a time range at the resolution that fits, and retention of the data tables.

The rollup tables (rollup_1m, rollup_1h) are defined and kept by data-storage: continuous aggregates
on TimescaleDB, tables kept by a trigger on `observation` elsewhere (so every write path, the ingest
writer included, keeps them in the same transaction). This module only reads and prunes them, with
the same SQL on each, so the API and the portal never care which database holds the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from django.db import connection

__all__ = ["ADDITIVE_UNITS", "RESOLUTIONS", "Point", "Series", "is_additive", "series", "prune", "Pruned"]

RESOLUTIONS = ("raw", "1m", "1h")
# Units whose values add up over time (amounts, not rates or levels): for these a point also gives
# its `sum`, the total of the bucket (energy in an hour, litres in a minute). Unit codes as in
# twin.yaml streams (UCUM-like); a rate (kW, m3/h) or a level (C, bar) is not additive.
ADDITIVE_UNITS = frozenset({"Wh", "kWh", "MWh", "GWh", "J", "kJ", "MJ", "GJ", "L", "m3", "kg", "t", "g",
                            "count", "pcs", "events", "{count}", "{events}"})
_TABLE = {"1m": "rollup_1m", "1h": "rollup_1h"}
_STEP = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1)}


@dataclass(frozen=True)
class Point:
    time: datetime  # the observation's time, or the start of the bucket
    count: int
    min: float
    max: float
    sum: float
    last: float
    last_time: datetime

    @property
    def mean(self) -> float:
        return self.sum / self.count

    def as_json(self, additive: bool = False) -> dict[str, Any]:
        out = {"time": self.time.isoformat().replace("+00:00", "Z"), "count": self.count, "min": self.min,
               "max": self.max, "mean": self.mean, "last": self.last}
        if additive:
            out["sum"] = self.sum
        return out


def is_additive(unit: str) -> bool:
    return unit in ADDITIVE_UNITS


@dataclass(frozen=True)
class Series:
    resolution: str
    points: list[Point]  # oldest first


def _when(value: object) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def _param(when: datetime) -> Any:
    """A time as the data tables compare it: a datetime on PostgreSQL, the writer's text on SQLite."""
    if connection.vendor == "sqlite":
        return when.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return when


def _floor(when: datetime, resolution: str) -> datetime:
    step = _STEP[resolution]
    epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
    return epoch + ((when - epoch) // step) * step


def _rows_fit(sql: str, params: list[Any], limit: int) -> bool:
    """Whether the query has at most `limit` rows, reading no more than limit + 1 of them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql} LIMIT %s) AS fit", [*params, limit + 1])
        return cursor.fetchone()[0] <= limit


def _raw_query(twin: str, signal: str, start: datetime, end: datetime) -> tuple[str, list[Any]]:
    return ("SELECT time, value FROM observation WHERE twin = %s AND signal = %s AND time >= %s AND time < %s",
            [twin, signal, _param(start), _param(end)])


def _rollup_query(resolution: str, twin: str, signal: str, start: datetime,
                  end: datetime) -> tuple[str, list[Any]]:
    # a bucket that begins before `start` but reaches into the range is part of the answer
    return (f"SELECT bucket, value_count, value_min, value_max, value_sum, last_value, last_time "
            f"FROM {_TABLE[resolution]} WHERE twin = %s AND signal = %s AND bucket >= %s AND bucket < %s",
            [twin, signal, _param(_floor(start, resolution)), _param(end)])


def series(twin: str, signal: str, start: datetime, end: datetime, max_points: int) -> Series:
    """The signal over [start, end) from raw rows, else the 1-minute, else the 1-hour rollup: the finest that fits.

    Raw rows when at most `max_points` lie in the range; a rollup when its buckets in the range are
    at most `max_points`. When even the hourly buckets are more, consecutive hours are merged so the
    answer never exceeds `max_points` (each point then covers several hours; resolution stays 1h).
    """
    sql, params = _raw_query(twin, signal, start, end)
    if _rows_fit(sql, params, max_points):
        with connection.cursor() as cursor:
            cursor.execute(sql + " ORDER BY time", params)
            points = [Point(_when(t), 1, v, v, v, v, _when(t)) for t, v in cursor.fetchall()]
        return Series("raw", points)
    for resolution in ("1m", "1h"):
        sql, params = _rollup_query(resolution, twin, signal, start, end)
        if resolution == "1h" or _rows_fit(sql, params, max_points):
            with connection.cursor() as cursor:
                cursor.execute(sql + " ORDER BY bucket", params)
                points = [Point(_when(b), int(n), lo, hi, total, last, _when(lt))
                          for b, n, lo, hi, total, last, lt in cursor.fetchall()]
            return Series(resolution, _merge(points, max_points))
    raise AssertionError("unreachable")


def _merge(points: list[Point], max_points: int) -> list[Point]:
    """At most `max_points` points: runs of consecutive buckets combined (count, sum, min, max add up; last by time)."""
    if len(points) <= max_points:
        return points
    size = -(-len(points) // max_points)
    merged = []
    for i in range(0, len(points), size):
        run = points[i:i + size]
        latest = max(run, key=lambda p: p.last_time)
        merged.append(Point(run[0].time, sum(p.count for p in run), min(p.min for p in run),
                            max(p.max for p in run), sum(p.sum for p in run), latest.last, latest.last_time))
    return merged


@dataclass(frozen=True)
class Pruned:
    observations: int
    rollups: int


def _is_hypertable(name: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = %s", [name])
        row = cursor.fetchone()
        return name == "observation" or (row is not None and row[0] == "v")  # caggs show as views


def _delete_before(table: str, column: str, cutoff: datetime) -> int:
    with connection.cursor() as cursor:
        if _is_hypertable(table):
            # TimescaleDB: drop whole chunks (a continuous aggregate refuses DELETE); the count is of chunks
            cursor.execute("SELECT count(*) FROM drop_chunks(%s, older_than => %s)", [table, cutoff])
            return int(cursor.fetchone()[0])
        cursor.execute(f"DELETE FROM {table} WHERE {column} < %s", [_param(cutoff)])
        return cursor.rowcount


def prune(now: datetime, raw_days: int, rollup_days: int) -> Pruned:
    """Delete raw observations older than `raw_days` and rollup buckets older than `rollup_days`.

    Deleting raw rows leaves the rollups as they are (the trigger counts inserts only), which is
    the point: a long chart keeps its hourly and minute buckets after the raw rows are gone.
    """
    observations = _delete_before("observation", "time", now - timedelta(days=raw_days))
    rollups = sum(_delete_before(table, "bucket", now - timedelta(days=rollup_days)) for table in _TABLE.values())
    return Pruned(observations, rollups)
