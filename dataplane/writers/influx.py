"""Signals into InfluxDB 2 (influxdb-client): measurement `observation`, tags twin and signal.

Health is `ping()`; reading back for the smoke check uses a Flux query, and a
server without the Flux API (an Influx-compatible write endpoint) is reported
as "cannot read back" rather than as a failure.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .base import Health, Probe, StoreDown, StoreRefused

__all__ = ["InfluxWriter"]


class InfluxWriter:
    name = "influx"
    label = "Influx"
    kinds = frozenset({"obs"})

    def __init__(self, url: str, org: str, bucket: str, token: str, timeout: float = 5.0):
        self.url, self.org, self.bucket, self.token = url, org, bucket, token
        self.endpoint = f"{url} bucket={bucket}"
        self.timeout = timeout
        self._client: Any = None
        self._write_api: Any = None

    def open(self) -> None:
        if self._client is None:
            from influxdb_client import InfluxDBClient
            from influxdb_client.client.write_api import SYNCHRONOUS

            self._client = InfluxDBClient(url=self.url, token=self.token or None, org=self.org,
                                          timeout=int(self.timeout * 1000))
            self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = self._write_api = None

    @staticmethod
    def _point(r: dict[str, Any]) -> Any:
        from influxdb_client import Point, WritePrecision

        return (Point("observation").tag("twin", r["twin"]).tag("signal", r["signal"])
                .field("value", float(r["value"])).time(datetime.fromisoformat(r["time"]), WritePrecision.US))

    def write(self, records: list[dict[str, Any]]) -> None:
        try:
            points = [self._point(r) for r in records if r["k"] == "obs"]
        except (KeyError, TypeError, ValueError) as exc:  # a record no point can be made of
            raise StoreRefused(f"{self.url}: {type(exc).__name__}: {exc}"[:500]) from exc
        if not points:
            return
        self.open()
        try:
            self._write_api.write(bucket=self.bucket, org=self.org, record=points)
        except Exception as exc:
            raise self.classify(exc) from exc

    def classify(self, exc: Exception) -> StoreDown | StoreRefused:
        """InfluxDB answers 400 (bad line protocol, field type conflict) or 422 (outside retention) for data
        it will never take; every other failure is transient."""
        status = getattr(exc, "status", None)
        text = f"{self.url}: {exc}"[:500]
        return StoreRefused(text) if status in (400, 422) else StoreDown(text)

    def health(self) -> Health:
        try:
            self.open()
            return Health("ok", self.endpoint) if self._client.ping() else Health("down", f"{self.url}: no answer")
        except Exception as exc:
            return Health("down", f"{self.url}: {exc}"[:300])

    def probe(self, marker: str) -> Probe:
        when = datetime.now(timezone.utc).isoformat()
        try:
            self.write([{"k": "obs", "time": when, "twin": "_smoke", "signal": marker, "value": 1.0}])
        except (StoreDown, StoreRefused) as exc:
            return Probe(False, False, str(exc))
        flux = (f'from(bucket: "{self.bucket}") |> range(start: -10m) '
                f'|> filter(fn: (r) => r._measurement == "observation" and r.twin == "_smoke" '
                f'and r.signal == "{marker}")')
        try:
            tables = self._client.query_api().query(flux, org=self.org)
        except Exception as exc:
            status = getattr(exc, "status", None)
            body = str(getattr(exc, "body", "") or "")
            if status in (404, 405, 501) or (status == 400 and "unsupported path" in body):
                # an Influx-compatible server (e.g. victoria-metrics) that takes writes but has no Flux API
                return Probe(True, None, f"written; this server has no Flux query API (HTTP {status})")
            return Probe(True, False, f"query failed: {exc}"[:300])
        found = any(rec.get_value() == 1.0 for table in tables for rec in table.records)
        return Probe(True, found, "" if found else "written point not found by the query")
