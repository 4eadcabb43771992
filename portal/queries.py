"""What the portal pages show, shaped once from registry rows (reads only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from registry.models import PortalEvent, SpecFileError, Twin, UpdateCmd
from tenancy.access import Access

__all__ = ["Card", "DomainGroup", "TenantGroup", "home_groups", "twin_visible", "twin_detail", "recent_events",
           "spec_errors", "card_of", "domain_of", "EventRow", "event_subject"]

NO_DOMAIN = "no domain"


def domain_of(metadata: dict[str, Any]) -> str:
    domain = metadata.get("domain")
    if isinstance(domain, list):
        return str(domain[0]) if domain else NO_DOMAIN
    return str(domain) if domain else NO_DOMAIN


@dataclass(frozen=True)
class Card:
    id: str
    name: str
    tenant: str
    domain: str
    status: str
    streams: int
    dependencies: int
    last_seen: str
    ui_url: str
    liveness: str = ""  # receiving | stale | silent, from the ingest; "" before any data


def card_of(twin: Twin, stream_count: int) -> Card:
    ui = getattr(twin, "ui", None)
    deps = twin.dependencies or {}
    return Card(
        id=twin.id, name=(ui.name if ui else "") or twin.name, tenant=twin.tenant, domain=domain_of(twin.metadata),
        status=twin.status, streams=stream_count,
        dependencies=len(deps.get("static", [])) + len(deps.get("dynamic", [])),
        last_seen=str(twin.runtime.get("last_seen", "") or ""), ui_url=ui.ui_url if ui else "",
        liveness=str(twin.runtime.get("liveness", "") or ""),
    )


@dataclass
class DomainGroup:
    domain: str
    cards: list[Card] = field(default_factory=list)


@dataclass
class TenantGroup:
    tenant: str
    domains: list[DomainGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(d.cards) for d in self.domains)


def _visible(qs, scope: Access):
    """Twins the reader holds a grant on: whole tenants, or single twins."""
    return qs.filter(scope.twin_filter())


def home_groups(scope: Access) -> list[TenantGroup]:
    """Cards grouped by tenant, then domain (one query)."""
    twins = _visible(Twin.objects.select_related("ui").annotate(stream_count=Count("streams")), scope)
    grouped: dict[str, dict[str, list[Card]]] = defaultdict(lambda: defaultdict(list))
    for twin in twins.order_by("tenant", "name", "id"):
        card = card_of(twin, twin.stream_count)
        grouped[card.tenant][card.domain].append(card)
    return [TenantGroup(t, [DomainGroup(d, cards) for d, cards in sorted(domains.items())])
            for t, domains in sorted(grouped.items())]


def _events_of(twin_id: str):
    return PortalEvent.objects.filter(twin_id=twin_id)


@dataclass(frozen=True)
class HistoryEntry:
    ts: Any
    source: str
    kind: str
    revision: int
    fields: list[str]


def _history(twin_id: str, limit: int) -> list[HistoryEntry]:
    out = []
    for cmd in UpdateCmd.objects.filter(twin_id=twin_id).order_by("-id")[:limit]:
        paths = sorted({"/".join(op["path"].split("/")[1:3]) for op in cmd.patch if op.get("path")})
        out.append(HistoryEntry(cmd.ts, cmd.source, cmd.kind, cmd.revision, paths))
    return out


@dataclass(frozen=True)
class TwinDetail:
    twin: Twin
    card: Card
    streams: list[Any]
    static: list[tuple[str, bool]]  # (id, registered)
    dynamic: list[tuple[str, bool]]
    dependents: list[Twin]
    events: list[PortalEvent]
    history: list[HistoryEntry]


def twin_visible(twin_id: str, scope: Access) -> bool:
    """One indexed query: what a page that only needs the permission asks instead of twin_detail."""
    return _visible(Twin.objects.filter(pk=twin_id), scope).exists()


def twin_detail(twin_id: str, scope: Access, limit: int = 30) -> TwinDetail | None:
    twin = _visible(Twin.objects.select_related("ui"), scope).filter(pk=twin_id).first()
    if twin is None:
        return None
    streams = list(twin.streams.order_by("id"))
    deps = twin.dependencies or {}
    named = set(deps.get("static", [])) | set(deps.get("dynamic", []))
    # Only twins the viewer may see count as registered: another tenant's existing twin is drawn like a
    # missing one, so the graph never confirms that an id exists elsewhere.
    known = set(_visible(Twin.objects.filter(pk__in=named), scope).values_list("id", flat=True))
    dependents = [t for t in _visible(Twin.objects.exclude(pk=twin_id), scope).only("id", "name", "dependencies",
                                                                                         "tenant", "status")
                  if twin_id in (t.dependencies or {}).get("static", []) + (t.dependencies or {}).get("dynamic", [])]
    return TwinDetail(
        twin=twin, card=card_of(twin, len(streams)), streams=streams,
        static=[(d, d in known) for d in deps.get("static", [])],
        dynamic=[(d, d in known) for d in deps.get("dynamic", [])],
        dependents=dependents, events=list(_events_of(twin_id).order_by("-id")[:limit]),
        history=_history(twin_id, limit),
    )


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
    return str(payload.get("id") or payload.get("path") or (service.get("id") if isinstance(service, dict)
                                                               else service) or "")


def recent_events(scope: Access, limit: int = 200) -> list[EventRow]:
    """Events of whole granted tenants, and of single granted twins."""
    qs = PortalEvent.objects.order_by("-id")
    if not scope.everything:
        qs = qs.filter(scope.twin_filter(id_field="twin_id"))
    return [EventRow(e, event_subject(e.payload), list(e.payload.get("runtime_changed") or e.payload.get("changed") or []))
            for e in qs[:limit]]


def spec_errors(scope: Access) -> list[SpecFileError]:
    """Broken files are tenant-wide: shown to whole-tenant grants of the tenant the file declares."""
    return list(SpecFileError.objects.order_by("path", "line", "column").filter(scope.tenant_filter()))
