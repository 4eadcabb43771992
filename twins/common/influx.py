"""Optional copy of a stack's telemetry into a central InfluxDB 2 (`CENTRAL_INFLUX_URL`).

A stack is a twin running at its site; some sites also push straight to the
central store. Writes happen on a thread of their own from a bounded queue, so
a slow or absent InfluxDB never delays MQTT publishing; when the queue is full
the oldest points are dropped and counted (the MQTT path, through the ingest,
remains the lossless one).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = ["CentralInflux", "InfluxSettings"]

log = logging.getLogger("twins.influx")
MEASUREMENT = "observation"


@dataclass(frozen=True)
class InfluxSettings:
    url: str
    org: str
    bucket: str
    token: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> InfluxSettings | None:
        """All four of CENTRAL_INFLUX_URL, INFLUX_ORG, INFLUX_BUCKET, INFLUX_TOKEN, or None (off)."""
        values = [environ.get(k, "").strip() for k in
                  ("CENTRAL_INFLUX_URL", "INFLUX_ORG", "INFLUX_BUCKET", "INFLUX_TOKEN")]
        return cls(*values) if all(values) else None


@dataclass(frozen=True)
class _Row:
    twin_id: str
    signal: str
    unit: str
    value: float
    ts: datetime


class CentralInflux:
    """Points `observation,twin=..,signal=..,unit=.. value=<v> <ts>` in the configured bucket (the tags the ingest writes)."""

    def __init__(self, settings: InfluxSettings, *, max_pending: int = 10_000) -> None:
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        self.settings = settings
        self.dropped = 0
        self.written = 0
        self._client = InfluxDBClient(url=settings.url, token=settings.token, org=settings.org, timeout=5_000)
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._queue: queue.Queue[_Row | None] = queue.Queue(maxsize=max_pending)
        self._thread = threading.Thread(target=self._run, name="central-influx", daemon=True)
        self._thread.start()

    def write(self, twin_id: str, signal: str, unit: str, value: float, ts: datetime) -> None:
        row = _Row(twin_id, signal, unit, value, ts)
        while True:
            try:
                self._queue.put_nowait(row)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self._queue.task_done()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far was written (or given up on)."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        self.flush(timeout)
        self._queue.put(None)
        self._thread.join(timeout)
        self._client.close()

    def _run(self) -> None:
        from influxdb_client import Point, WritePrecision

        failing = False
        while True:
            rows = [self._queue.get()]
            while len(rows) < 1000:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = rows[-1] is None
            batch = [r for r in rows if r is not None]
            points = [Point(MEASUREMENT).tag("twin", r.twin_id).tag("signal", r.signal).tag("unit", r.unit)
                      .field("value", float(r.value)).time(r.ts, WritePrecision.MS) for r in batch]
            if points:
                try:
                    self._write_api.write(bucket=self.settings.bucket, org=self.settings.org, record=points)
                    self.written += len(points)
                    if failing:
                        log.info("central InfluxDB %s is writable again", self.settings.url)
                    failing = False
                except Exception as exc:  # the client raises many types; none may stop the stack
                    self.dropped += len(points)
                    if not failing:
                        log.warning("central InfluxDB %s: write failed (%s); dropping points until it answers",
                                    self.settings.url, exc)
                    failing = True
            for _ in rows:
                self._queue.task_done()
            if stop:
                return
