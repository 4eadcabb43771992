"""Portal pages of alarms: the Alarms page, an incident, the webhook endpoints; and the counts the header
and the cards show. Reads go through alarms.selectors and alarms.webhooks.selectors (tenancy-scoped);
the buttons post to the REST API (with the session and its CSRF token), which is the one place that writes."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from alarms import selectors
from alarms.models import Incident
from alarms.types import Severity, Status
from alarms.webhooks import selectors as webhook_selectors
from registry.models import Dependency, Twin
from tenancy.access import Access
from tenancy.models import Role

from .graph import dependency_graph
from .pages import render_page, scope_of, signed_in

PAGE_SIZE = 200
SEVERITIES = [s.value for s in Severity]  # worst first


def counts(scope: Access) -> dict:
    """Active alarms by severity: in all, and per twin (for the header and the cards)."""
    total = {s: 0 for s in SEVERITIES}
    twins: dict[str, dict[str, int]] = {}
    rows = selectors.alarms_visible_to(scope).filter(status=Status.ACTIVE).values_list("twin_id", "severity")
    for twin_id, severity in rows:
        total[severity] = total.get(severity, 0) + 1
        per = twins.setdefault(twin_id, {})
        per[severity] = per.get(severity, 0) + 1
    return {"total": total, "twins": twins}


def _filtered(request: HttpRequest, scope: Access):
    qs = selectors.alarms_visible_to(scope).select_related("acknowledged_by", "assignee")
    wanted = {k: request.GET.get(k, "") for k in ("status", "severity", "twin", "tenant")}
    if wanted["status"] in Status.values:
        qs = qs.filter(status=wanted["status"])
    if wanted["severity"] in Severity.values:
        qs = qs.filter(severity=wanted["severity"])
    for key, field in (("twin", "twin_id"), ("tenant", "tenant")):
        if wanted[key]:
            qs = qs.filter(**{field: wanted[key][:200]})
    return qs.order_by("-id")[:PAGE_SIZE], wanted


@signed_in
def alarms_page(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    rows, wanted = _filtered(request, scope)
    operable = {a.id for a in rows if selectors.can_operate(scope, a)}
    # Tenants whose alarms this reader may act on wholly: rows arriving live get their buttons from it.
    operator_tenants = sorted(t for t, r in scope.tenants.items() if scope.can(Role.OPERATOR, t))
    return render_page(request, "portal/alarms.html", {
        "alarms": rows, "operable": operable, "wanted": wanted, "severities": SEVERITIES,
        "statuses": Status.values, "page": "alarms",
        "operator_tenants": ",".join(operator_tenants),
        "operator_all": scope.everything and scope.can(Role.OPERATOR, ""), "incidents": selectors.incidents_visible_to(scope)[:20]})


@signed_in
def alarm_counts(request: HttpRequest) -> JsonResponse:
    """What the header and the cards show, refetched when an alarm event arrives."""
    return JsonResponse(counts(scope_of(request)))


def _incident_graph(incident: Incident, scope: Access):
    cause = incident.probable_cause_id
    edges = list(Dependency.objects.filter(twin_id=cause).order_by("id").values_list("target", "kind"))
    dependents_all = set(Dependency.objects.filter(target=cause).values_list("twin_id", flat=True))
    named = {t for t, _ in edges} | dependents_all
    visible = set(Twin.objects.visible_to(scope).filter(id__in=named).values_list("id", flat=True))
    static = [(t, t in visible) for t, kind in edges if kind == "static"]
    dynamic = [(t, t in visible) for t, kind in edges if kind == "dynamic"]
    dependents = sorted(dependents_all & visible)
    return dependency_graph(cause, static, dynamic, dependents)


@signed_in
def incident_page(request: HttpRequest, incident_id: int) -> HttpResponse:
    scope = scope_of(request)
    incident = selectors.incidents_visible_to(scope).filter(pk=incident_id).first()
    if incident is None:
        raise Http404("no such incident")
    alarms = list(incident.alarms.order_by("started_at", "id"))
    return render_page(request, "portal/incident.html", {
        "incident": incident, "alarms": alarms, "alarmed": {a.twin_id for a in alarms},
        "graph": _incident_graph(incident, scope), "page": "alarms"})


@signed_in
def webhooks_page(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    endpoints = []
    for endpoint in webhook_selectors.endpoints_visible_to(scope):
        deliveries = list(webhook_selectors.deliveries_of(endpoint)[:50])
        endpoints.append({"e": endpoint, "url": webhook_selectors.shown_url(scope, endpoint),
                          "admin": scope.can(Role.ADMIN, endpoint.tenant), "deliveries": deliveries})
    return render_page(request, "portal/webhooks.html", {"endpoints": endpoints, "page": "webhooks"})
