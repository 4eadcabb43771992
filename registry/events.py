"""The portal event outbox: every real change appends one PortalEvent in its own transaction.

Callers hand over drafts while their transaction is open, so an event exists
exactly when the change it describes was committed. Once the transaction
commits, the stored events are handed to django-eventstream's fan-out: through
Redis to every web process when REDIS_URL is set, else to this process's
listeners (and the web process tails the table for what other processes wrote).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import PortalEvent

__all__ = ["TWIN_UPDATE", "TWIN_DELETE", "SERVICE_UPDATE", "SPEC_ERROR", "HEALTH_UPDATE", "EventDraft", "append",
           "publish", "event_data", "channel_for_tenant", "channel_for_twin", "channels_for_event", "ALL", "SYSTEM",
           "HEALTH", "on_local_publish"]

TWIN_UPDATE = "twin.update"
TWIN_DELETE = "twin.delete"
SERVICE_UPDATE = "service.update"
SPEC_ERROR = "spec.error"
HEALTH_UPDATE = "health.update"

# Stream channels (names without DTP_EVENT_CHANNEL_PREFIX): one per tenant, one for
# tenant-less events (scanner, services), one carrying everything, and the
# unstored health badges.
ALL = "all"
SYSTEM = "system"
HEALTH = "health"

log = logging.getLogger(__name__)
_local_wakers: list[Callable[[], None]] = []


@dataclass(frozen=True)
class EventDraft:
    tenant: str
    etype: str
    payload: dict[str, Any] = field(default_factory=dict)
    twin_id: str = ""


def append(drafts: Sequence[EventDraft]) -> list[PortalEvent]:
    """Store drafts in order, in the caller's transaction; ids grow in that order.

    They are published only after the transaction commits, so no client ever
    sees an event whose change was rolled back.
    """
    if not drafts:
        return []
    now = timezone.now()
    stored = PortalEvent.objects.bulk_create(
        [PortalEvent(tenant=d.tenant, twin_id=d.twin_id, etype=d.etype, payload=d.payload, created_at=now)
         for d in drafts]
    )
    transaction.on_commit(lambda: publish(stored))
    return stored


def channel(name: str) -> str:
    return settings.DTP_EVENT_CHANNEL_PREFIX + name


def channel_for_tenant(tenant: str) -> str:
    return channel(f"t.{tenant}") if tenant else channel(SYSTEM)


def channel_for_twin(tenant: str, twin_id: str) -> str:
    """The channel of one twin's events, for readers granted that twin only."""
    return channel(f"w.{tenant}/{twin_id}")


def channels_for_event(event: PortalEvent) -> list[str]:
    names = [channel_for_tenant(event.tenant), channel(ALL)]
    if event.twin_id and event.tenant:
        names.append(channel_for_twin(event.tenant, event.twin_id))
    return names


def event_data(event: PortalEvent) -> str:
    """The SSE data of a stored event: its payload plus where it sits in the log."""
    meta = {"id": event.id, "type": event.etype, "tenant": event.tenant,
            "created_at": event.created_at.isoformat() if event.created_at else None}
    return json.dumps({**event.payload, "event": meta}, cls=DjangoJSONEncoder)


def on_local_publish(waker: Callable[[], None]) -> None:
    """Register a callback run after this process commits events (the web process's outbox tailer)."""
    _local_wakers.append(waker)


def publish(stored: Iterable[PortalEvent]) -> None:
    """Hand committed events to django-eventstream's fan-out.

    With Redis this is the publish half of django_eventstream.send_event
    (whose storage half would write a second, non-transactional copy); without
    it, the local tailer is woken, which dispatches from the table so that
    events from other processes and from this one take the same road.
    """
    from django_eventstream.eventstream import redis_client

    if redis_client is None:
        for waker in _local_wakers:
            waker()
        return
    try:
        for event in stored:
            data = event_data(event)
            for name in channels_for_event(event):
                redis_client.publish("events_channel", json.dumps(
                    {"channel": name, "event_type": event.etype, "data": data, "pub_id": str(event.id)}))
    except Exception as exc:  # the change is committed; clients catch up from the table on reconnect
        log.warning("could not publish portal events through Redis: %s", exc)
