"""Health of the data plane for the portal's header: each store's own health check
(the writer's health(): ping, SELECT 1, RETURN 1, bucket check) plus what the
ingest workers report about their spools, so a backlog shows even while the
store answers again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.conf import settings

from .models import IngestStatus
from .writers import writer_for

__all__ = ["StoreState", "store_state", "ingest_state", "REPORT_MAX_AGE"]

REPORT_MAX_AGE = timedelta(seconds=30)


@dataclass(frozen=True)
class StoreState:
    state: str  # ok | warn | down | off
    detail: str


def _recent_reports() -> list[dict]:
    since = datetime.now(timezone.utc) - REPORT_MAX_AGE
    return [s.report for s in IngestStatus.objects.filter(updated_at__gte=since)]


def store_state(store: str) -> StoreState:
    """influx | graph | blobs: off when not configured, else its health and its spool backlog."""
    writer = writer_for(store, settings.DTP_HEALTH_TIMEOUT)
    if writer is None:
        return StoreState("off", "not configured")
    try:
        health = writer.health()
    finally:
        writer.close()
    if health.state != "ok":
        return StoreState("down", health.detail)
    waiting = [r for report in _recent_reports() for r in report.get("stores", [])
               if r["store"] == store and r.get("spool_records")]
    if waiting:
        records = sum(r["spool_records"] for r in waiting)
        oldest = max(r["oldest_waiting_seconds"] or 0 for r in waiting)
        return StoreState("warn", f"{health.detail}; {records} records wait in the spool (oldest {oldest:.0f} s)")
    return StoreState("ok", health.detail)


def ingest_state() -> StoreState:
    statuses = list(IngestStatus.objects.order_by("-updated_at")[:20])
    if not statuses:
        return StoreState("off", "no ingest worker has reported (run manage.py ingest)")
    now = datetime.now(timezone.utc)
    live = [s for s in statuses if now - s.updated_at <= REPORT_MAX_AGE]
    if not live:
        age = (now - statuses[0].updated_at).total_seconds()
        return StoreState("down", f"no ingest report for {age:.0f} s")
    counts: dict[str, int] = {}
    for status in live:
        for key, value in status.report.get("counts", {}).items():
            counts[key] = counts.get(key, 0) + value
    rejected = sum(v for k, v in counts.items() if k.startswith("rejected."))
    connected = sum(1 for s in live if s.report.get("connected"))
    dead = sum(r.get("dead_letters", 0) for s in live for r in s.report.get("stores", []))
    detail = (f"{connected}/{len(live)} workers connected; {counts.get('received', 0)} received, "
              f"{rejected} rejected")
    if dead:  # a store refused records: an operator decides (manage.py deadletter list|replay|purge)
        detail += f"; {dead} dead-lettered (manage.py deadletter list)"
    state = "ok" if connected == len(live) and not dead else "warn"
    return StoreState(state, detail)
