"""Fill the webhook outbox from the PortalEvent log: each alarm event becomes one delivery per endpoint.

The log is read in id order from a stored cursor (dataplane's ProjectionCursor, row `webhooks`),
locked for the step on PostgreSQL so several workers do the work once. Writing is idempotent (one
delivery per endpoint and event), which lets the cursor be careful: an id missing from the log
may belong to a transaction that has not committed yet (PostgreSQL hands out ids before commit),
so the cursor stops before such a gap until it is DTP_WEBHOOK_GAP_SECONDS old, while the events
after it are enqueued at once and simply met again on the next pass.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dataplane.models import ProjectionCursor
from registry.models import PortalEvent

from .models import SEVERITY_RANK, WebhookDelivery, WebhookEndpoint

__all__ = ["CURSOR", "enqueue_once", "start_cursor", "alarm_of", "body_for"]

CURSOR = "webhooks"
BATCH = 500


def alarm_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The alarm an alarm.* event carries (under "alarm", or the payload itself)."""
    alarm = payload.get("alarm")
    return alarm if isinstance(alarm, dict) else payload


def body_for(event: PortalEvent) -> dict[str, Any]:
    """The delivered JSON, in the Standard Webhooks shape: type, timestamp, data."""
    return {"type": event.etype, "timestamp": event.created_at.isoformat(), "event_id": event.id,
            "data": alarm_of(event.payload)}


def _wanted(endpoint: WebhookEndpoint, event: PortalEvent, started: set[tuple[int, str]]) -> bool:
    """The endpoint asked for this type, the event is not older than the endpoint, and the severity is
    high enough, or the endpoint already had an earlier event of this alarm (it hears how it ends)."""
    if event.etype not in endpoint.events or event.created_at < endpoint.created_at:
        return False
    alarm = alarm_of(event.payload)
    severity = SEVERITY_RANK.get(str(alarm.get("severity", "")), len(SEVERITY_RANK))
    if severity >= SEVERITY_RANK.get(endpoint.min_severity, 0):
        return True
    return (endpoint.id, str(alarm.get("id", ""))) in started


def _enqueue(events: list[PortalEvent], now: datetime) -> int:
    tenants = {e.tenant for e in events}
    endpoints = [ep for ep in WebhookEndpoint.objects.filter(tenant__in=tenants)]
    if not endpoints:
        return 0
    keys = {str(alarm_of(e.payload).get("id", "")) for e in events}
    started = set(WebhookDelivery.objects.filter(endpoint__in=endpoints, order_key__in=keys)
                  .values_list("endpoint_id", "order_key"))
    rows = []
    for event in events:
        key = str(alarm_of(event.payload).get("id", "")) or f"event-{event.id}"
        for endpoint in endpoints:
            if endpoint.tenant == event.tenant and _wanted(endpoint, event, started):
                started.add((endpoint.id, key))
                rows.append(WebhookDelivery(endpoint=endpoint, msg_id=f"msg_{uuid.uuid4().hex}", event_id=event.id,
                                            event_type=event.etype, order_key=key, payload=body_for(event),
                                            next_attempt_at=now, retry_from=now))
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _safe_cursor(cursor: int, ids: list[tuple[int, datetime]], now: datetime) -> int:
    """The highest id up to which no event can still appear (see the module docstring)."""
    grace = timedelta(seconds=settings.DTP_WEBHOOK_GAP_SECONDS)
    safe = cursor
    for event_id, created_at in ids:
        if event_id != safe + 1 and created_at > now - grace:
            break
        safe = event_id
    return safe


def start_cursor() -> None:
    """The cursor, if new, starts at the newest event: a fresh deployment does not replay history."""
    ProjectionCursor.objects.get_or_create(
        name=CURSOR, defaults={"last_event_id": PortalEvent.objects.order_by("-id").values_list("id", flat=True)
                               .first() or 0})


def enqueue_once() -> int:
    """One step of the follower: read events after the cursor, write their deliveries, move the cursor.

    Returns how many log rows were read (0: nothing new, or another worker holds the cursor).
    """
    start_cursor()
    guard = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
    with guard:
        row = ProjectionCursor.objects.select_for_update(skip_locked=True).filter(name=CURSOR).first()
        if row is None:
            return 0
        ids = list(PortalEvent.objects.filter(id__gt=row.last_event_id).order_by("id")
                   .values_list("id", "created_at")[:BATCH])
        if not ids:
            return 0
        events = list(PortalEvent.objects.filter(id__gt=row.last_event_id, id__lte=ids[-1][0],
                                                 etype__startswith="alarm.").order_by("id"))
        now = timezone.now()
        with transaction.atomic():
            _enqueue(events, now)
            safe = _safe_cursor(row.last_event_id, ids, now)
            if safe != row.last_event_id:
                row.last_event_id = safe
                row.save(update_fields=["last_event_id", "updated_at"])
        return len(ids)
