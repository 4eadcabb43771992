"""The event log page: stored events newest first, filtered by tenant, twin, type and source.

The rows come from selectors.events_for (what the API's /api/portal/events reads);
the ingest's `last_seen` heartbeats stay out unless asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.http import urlencode

from registry import selectors
from registry.models import PortalEvent
from tenancy.access import Access

__all__ = ["EventFilters", "EventRow", "event_filters", "recent_events", "event_subject", "EVENT_TYPES"]

EVENT_TYPES = ["twin.update", "twin.delete", "twin.alert", "service.update", "spec.error"]
LIMIT = 200
SOURCES = {"file": "twin files", "api": "REST API", "runtime": "running systems"}


@dataclass(frozen=True)
class EventFilters:
    tenant: str = ""
    twin: str = ""
    etype: str = ""
    source: str = ""
    heartbeats: bool = False

    def query(self) -> str:
        """The filters as a query string (the page's URL, and what the live refresh asks with)."""
        params = {"tenant": self.tenant, "twin": self.twin, "type": self.etype, "source": self.source,
                  "heartbeats": "1" if self.heartbeats else ""}
        return urlencode({k: v for k, v in params.items() if v})


def event_filters(params: Mapping[str, str]) -> EventFilters:
    """Unknown types and sources are dropped rather than matching nothing by surprise."""
    etype = params.get("type", "")
    source = params.get("source", "")
    return EventFilters(tenant=params.get("tenant", "").strip(), twin=params.get("twin", "").strip(),
                        etype=etype if etype in EVENT_TYPES else "", source=source if source in SOURCES else "",
                        heartbeats=params.get("heartbeats") in ("1", "on", "true"))


@dataclass(frozen=True)
class EventRow:
    event: PortalEvent
    subject: str
    changed: list[str]


def event_subject(payload: dict[str, Any]) -> str:
    """What an event is about: a twin id, a spec file or a service."""
    twin = payload.get("twin")
    if isinstance(twin, dict) and twin.get("id"):
        return str(twin["id"])
    service = payload.get("service")
    return str(payload.get("id") or payload.get("twin_id") or payload.get("path")
               or (service.get("id") if isinstance(service, dict) else service) or "")


def recent_events(scope: Access, filters: EventFilters, *, after: int = 0, before: int = 0,
                  limit: int = LIMIT) -> list[EventRow]:
    """The newest `limit` matching events after `after` (what a live page has not shown yet) and, with
    `before`, older than that id (the next page back)."""
    qs = selectors.events_for(scope, since=after, tenants=[filters.tenant] if filters.tenant else None,
                              twin=filters.twin, etype=filters.etype, source=filters.source,
                              heartbeats=filters.heartbeats)
    if before:
        qs = qs.filter(id__lt=before)
    return [EventRow(e, event_subject(e.payload),
                     list(e.payload.get("runtime_changed") or e.payload.get("changed") or []))
            for e in qs.order_by("-id")[:limit]]
