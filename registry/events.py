"""The portal event outbox: every real change appends one PortalEvent in its own transaction.

Callers hand over drafts while their transaction is open, so an event exists
exactly when the change it describes was committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from .models import PortalEvent

__all__ = ["TWIN_UPDATE", "TWIN_DELETE", "SERVICE_UPDATE", "SPEC_ERROR", "HEALTH_UPDATE", "EventDraft", "append"]

TWIN_UPDATE = "twin.update"
TWIN_DELETE = "twin.delete"
SERVICE_UPDATE = "service.update"
SPEC_ERROR = "spec.error"
HEALTH_UPDATE = "health.update"


@dataclass(frozen=True)
class EventDraft:
    tenant: str
    etype: str
    payload: dict[str, Any] = field(default_factory=dict)


def append(drafts: Sequence[EventDraft]) -> list[PortalEvent]:
    """Store drafts in order, in the caller's transaction; ids grow in that order."""
    if not drafts:
        return []
    now = timezone.now()
    return PortalEvent.objects.bulk_create(
        [PortalEvent(tenant=d.tenant, etype=d.etype, payload=d.payload, created_at=now) for d in drafts]
    )
