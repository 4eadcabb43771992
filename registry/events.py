"""The portal event outbox: every real change appends one PortalEvent in its own transaction.

Callers hand over drafts while their transaction is open, so an event exists
exactly when the change it describes was committed. Once the transaction
commits, the stored events are handed to the hooks registered with
`on_commit` (the portal's stream publisher, portal.eventstream.publish).
The web processes' table tailers are woken at commit, one way per engine:
PostgreSQL NOTIFY (sent in the transaction, delivered at commit), and on
SQLite a byte to each web process's wake socket (polyglot_dtp.wake).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from polyglot_dtp import wake

from . import bulk
from .models import PortalEvent

__all__ = ["TWIN_UPDATE", "TWIN_DELETE", "SERVICE_UPDATE", "SPEC_ERROR", "HEALTH_UPDATE", "EventDraft", "append",
           "on_commit", "event_data", "channel", "channel_for_tenant", "channel_for_twin", "channels_for_event", "ALL",
           "SYSTEM", "HEALTH"]

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
OUTBOX_CHANNEL = "dtp_outbox"  # PostgreSQL NOTIFY channel: new PortalEvent rows were committed
_hooks: list[Callable[[list[PortalEvent]], None]] = []
_COLUMNS = ("id", "tenant", "twin_id", "etype", "payload", "created_at")  # PortalEvent's, in its field order


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
    if len(drafts) > 50 and connection.in_atomic_block:  # a scan's thousands: ids reserved, rows as tuples
        ids = bulk.reserve_ids(PortalEvent, len(drafts))
        rows = [(pk, d.tenant, d.twin_id, d.etype, d.payload, now) for pk, d in zip(ids, drafts, strict=True)]
        bulk.insert(PortalEvent, _COLUMNS, rows)
        stored = bulk.instances(PortalEvent, _COLUMNS, rows)
    else:
        stored = PortalEvent.objects.bulk_create([
            PortalEvent(tenant=d.tenant, twin_id=d.twin_id, etype=d.etype, payload=d.payload, created_at=now)
            for d in drafts])
    if connection.vendor == "postgresql":  # delivered at commit: wakes the web processes' outbox tailers
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {OUTBOX_CHANNEL}")
    transaction.on_commit(lambda: _committed(stored))
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


def on_commit(hook: Callable[[list[PortalEvent]], None]) -> None:
    """Register a function called with the stored events after each transaction that appended some.

    The portal registers its stream publisher here; the registry itself knows
    no stream library and no transport.
    """
    if hook not in _hooks:
        _hooks.append(hook)


def _committed(stored: list[PortalEvent]) -> None:
    try:
        folder = wake.database_folder()
        if folder is not None:  # SQLite: the other processes' tailers (PostgreSQL got the NOTIFY)
            wake.ring(folder)
    except OSError as exc:  # the poll still finds the rows
        log.warning("could not wake the web processes: %s", exc)
    for hook in list(_hooks):
        try:
            hook(stored)
        except Exception:  # the change is committed; readers catch up from the table
            log.exception("a portal event hook failed after commit")
