"""What the portal pages show, shaped from the registry's selectors (reads only).

Nothing here scopes a query itself: every read starts from registry.selectors or
a model's `visible_to(access)`, the same reads the API makes. The home page filters
with the API's TwinFilterSet, so `?q=` (and every other filter) means the same in both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.utils.http import urlencode

from dataplane.queries import Latest, latest_values
from registry import selectors
from registry.api.filtersets import TwinFilterSet
from registry.models import Twin
from tenancy.access import Access

__all__ = ["Card", "SignalValue", "DomainGroup", "TenantGroup", "HomePage", "home_page", "cards_for", "card_of",
           "domain_of", "spec_errors", "tenant_choices", "NO_DOMAIN", "FILTERS", "VIEWS"]

NO_DOMAIN = "no domain"
# The TwinFilterSet filters the home page offers (all of them mean what they mean in the API).
FILTERS = ("tenant", "status", "domain", "q", "source", "id")
# Page size of each view: small enough that the first response stays far below half a megabyte.
VIEWS = {"cards": 48, "table": 100}
UI_LINK = "Open UI"


def domain_of(metadata: dict[str, Any]) -> str:
    domain = metadata.get("domain")
    if isinstance(domain, list):
        return str(domain[0]) if domain else NO_DOMAIN
    return str(domain) if domain else NO_DOMAIN


@dataclass(frozen=True)
class SignalValue:
    name: str
    unit: str
    value: float | None = None
    time: datetime | None = None

    @property
    def shown(self) -> str:
        """At most three decimals, no trailing zeros: 21.25, 3, -0.5."""
        if self.value is None:
            return "–"
        return ("%.3f" % self.value).rstrip("0").rstrip(".") or "0"


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
    ui_label: str = UI_LINK  # ui.name: the label of the link to the twin's own UI
    liveness: str = ""  # receiving | stale | silent, from the ingest; "" before any data
    signals: tuple[SignalValue, ...] = ()


def _signals(twin: Twin, latest: Mapping[tuple[str, str], Latest]) -> tuple[SignalValue, ...]:
    """Each declared signal (streams with a `signal`), with its newest observation when there is one."""
    out, seen = [], set()
    for s in twin.streams.all():
        if not s.signal or s.signal in seen:
            continue
        seen.add(s.signal)
        got = latest.get((twin.id, s.signal))
        out.append(SignalValue(s.signal, s.unit or (got.unit if got else ""), got.value if got else None,
                               got.time if got else None))
    return tuple(out)


def card_of(twin: Twin, latest: Mapping[tuple[str, str], Latest] | None = None) -> Card:
    """The card of a twin fetched with its streams and ui (selectors.twins_for): its `name` is the title."""
    ui = getattr(twin, "ui", None)
    deps = twin.dependencies or {}
    return Card(
        id=twin.id, name=twin.name, tenant=twin.tenant, domain=domain_of(twin.metadata),
        status=twin.status, streams=len(twin.streams.all()),
        dependencies=len(deps.get("static", [])) + len(deps.get("dynamic", [])),
        last_seen=str(twin.runtime.get("last_seen", "") or ""), ui_url=ui.ui_url if ui else "",
        # ui.name labels the link to the twin's own UI; the spec fills it with the twin's name when absent.
        ui_label=(ui.name if ui and ui.name != twin.name else "") or UI_LINK,
        liveness=str(twin.runtime.get("liveness", "") or ""), signals=_signals(twin, latest or {}),
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


def _grouped(cards: Sequence[Card]) -> list[TenantGroup]:
    grouped: dict[str, dict[str, list[Card]]] = defaultdict(lambda: defaultdict(list))
    for card in cards:
        grouped[card.tenant][card.domain].append(card)
    return [TenantGroup(t, [DomainGroup(d, cs) for d, cs in sorted(domains.items())])
            for t, domains in sorted(grouped.items())]


@dataclass
class HomePage:
    cards: list[Card]
    groups: list[TenantGroup]
    view: str
    filters: dict[str, str]
    errors: list[str]
    total: int
    number: int
    pages: int
    first: int  # 1-based position of the first card shown
    last: int
    prev_query: str
    next_query: str
    view_queries: dict[str, str]  # view -> the same filters in that view
    clear_query: str  # this view without filters
    tenants: list[str]
    statuses: list[str]
    domains: list[str]


def _query(filters: Mapping[str, str], view: str, page: int = 1) -> str:
    params = {k: v for k, v in filters.items() if v}
    if view != "cards":
        params["view"] = view
    if page > 1:
        params["page"] = str(page)
    return "?" + urlencode(params) if params else "?"


def tenant_choices(scope: Access) -> list[str]:
    return sorted(set(Twin.objects.visible_to(scope).order_by().values_list("tenant", flat=True).distinct()))


def _options(scope: Access) -> tuple[list[str], list[str], list[str]]:
    """The choices of the filter form: tenants, statuses and domains among the visible twins (one query)."""
    rows = Twin.objects.visible_to(scope).order_by().values_list("tenant", "status", "domains").distinct()
    tenants, statuses, domains = set(), {"active", "deprecated"}, set()
    for tenant, status, packed in rows:
        tenants.add(tenant)
        statuses.add(status)
        domains.update(d for d in packed.split("|") if d)
    return sorted(tenants), sorted(statuses), sorted(domains)


def home_page(scope: Access, params: Mapping[str, str]) -> HomePage:
    """One page of the visible twins, filtered as the API filters, ordered by tenant then name."""
    view = params.get("view") if params.get("view") in VIEWS else "cards"
    filters = {k: str(params.get(k, "")).strip() for k in FILTERS}
    filterset = TwinFilterSet(data={k: v for k, v in filters.items() if v},
                              queryset=selectors.twins_for(scope).order_by("tenant", "name", "id"))
    errors = [f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items()]
    page = Paginator(filterset.qs, VIEWS[view]).get_page(params.get("page"))
    twins = list(page.object_list)
    latest = latest_values([t.id for t in twins])
    cards = [card_of(t, latest) for t in twins]
    tenants, statuses, domains = _options(scope)
    return HomePage(
        cards=cards, groups=_grouped(cards), view=view, filters=filters, errors=errors,
        total=page.paginator.count, number=page.number, pages=page.paginator.num_pages,
        first=page.start_index(), last=page.end_index(),
        prev_query=_query(filters, view, page.number - 1) if page.has_previous() else "",
        next_query=_query(filters, view, page.number + 1) if page.has_next() else "",
        view_queries={v: _query(filters, v) for v in VIEWS}, clear_query=_query({}, view),
        tenants=tenants, statuses=statuses, domains=domains)


def cards_for(scope: Access, twin_ids: Sequence[str]) -> list[Card]:
    """The current cards of some visible twins (a page refreshing the cards it shows); unknown ids are left out."""
    twins = list(selectors.twins_for(scope).filter(pk__in=list(twin_ids)[:VIEWS["table"]]).order_by("tenant", "name"))
    latest = latest_values([t.id for t in twins])
    return [card_of(t, latest) for t in twins]


def spec_errors(scope: Access) -> list[Any]:
    """Broken files are tenant-wide: shown to whole-tenant grants of the tenant the file declares."""
    return list(selectors.spec_errors_for(scope))
