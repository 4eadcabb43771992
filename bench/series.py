"""Long charts: the series API over 30 days of one signal (1 obs / 10 s) beside reading the raw rows.

Ours: `GET /api/registry/twins/{id}/series?signal=&from=&to=&max_points=1000` through Django (token
auth, tenancy, strict parameters) in this process, which answers 30 days from the 1-hour rollup.
Baseline: what a chart had to do without rollups: read the 259,200 raw rows of the range and encode
them with json.dumps. Also: the cost of keeping the rollups at ingest, the SQL writer's rate with the
rollup trigger beside the same writes with the trigger dropped.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

SIGNAL = "temperature"
STEP = timedelta(seconds=10)


def _rows(twin: str, end: datetime, days: int) -> list[dict]:
    n = int(timedelta(days=days) / STEP)
    return [{"k": "obs", "time": (end - STEP * i).isoformat(), "twin": twin, "signal": SIGNAL,
             "value": 20.0 + (i % 360) / 36.0, "unit": "Cel", "quality": "good"} for i in range(n, 0, -1)]


def _write(rows: list[dict]) -> float:
    """Rows per second through the ingest's SQL writer, in batches of 1000 (one transaction each)."""
    from django.db import connection

    from dataplane.writers.sql import SqlWriter

    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    started = time.perf_counter()
    try:
        for i in range(0, len(rows), 1000):
            writer.write(rows[i:i + 1000])
    finally:
        writer.close()
    return len(rows) / (time.perf_counter() - started)


def _drop_trigger() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS observation_rollup")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS observation_rollup ON observation")


def _p50(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_series(row: Callable[..., None], quick: bool) -> None:
    from django.db import connection
    from django.test import Client

    from bench.api import make_token
    from bench.gen import generate
    from dataplane.schema import apply_tables
    from registry.models import Twin
    from registry.reconcile import scan_roots

    days = 3 if quick else 30
    root = Path(tempfile.mkdtemp(prefix="dtp-bench-series-"))
    try:
        generate(root, 1)
        scan_roots([str(root)])
        twin = Twin.objects.order_by("id").first()
        end = datetime.now(timezone.utc).replace(microsecond=0)
        rows = _rows(twin.id, end, days)
        with_rollups = _write(rows)
        _drop_trigger()
        without = _write(_rows("bench-no-rollups", end, days))
        apply_tables(connection)  # the trigger back, for the reads below
        row("SQL writer with rollups kept vs without", len(rows), with_rollups, without, "obs/s")

        token = make_token("bench-series", [twin.tenant], role="viewer")
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
        params = {"signal": SIGNAL, "from": (end - timedelta(days=days)).isoformat(),
                  "to": (end + timedelta(seconds=1)).isoformat(), "max_points": 1000}
        url = f"/api/registry/twins/{twin.id}/series"

        def ours() -> None:
            response = client.get(url, params)
            assert response.status_code == 200 and response.json()["resolution"] == "1h", response.content[:300]

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT time, value FROM observation WHERE twin = %s AND signal = %s "
                               "AND time >= %s AND time < %s ORDER BY time",
                               [twin.id, SIGNAL, *(_param(connection.vendor, params[k]) for k in ("from", "to"))])
                json.dumps([{"time": str(t), "value": v} for t, v in cursor.fetchall()])

        runs = 5 if quick else 20
        row(f"series API, {days} d at 1 obs/10 s (1h rollup) vs reading the raw rows", len(rows),
            _p50(ours, runs), _p50(raw, runs), "ms p50")
    finally:
        from bench.measure import _wipe

        shutil.rmtree(root, ignore_errors=True)
        _wipe()  # the next benchmarks count the twins they scan


def _param(vendor: str, iso: str) -> object:
    when = datetime.fromisoformat(iso).astimezone(timezone.utc)
    return when.isoformat(timespec="microseconds") if vendor == "sqlite" else when
