"""Portal pages: thin views over portal.queries, portal.detail and portal.eventlog, scoped by portal.access.

Fragments (cards, values, event rows, charts) are rendered by the same templates
as the pages they refresh, so each piece of markup has one source.
"""

from __future__ import annotations

import json

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from dataplane.queries import recent_alerts, recent_series
from tenancy.tokens import create_token, revoke_own_token, tokens_of

from . import access, detail, eventlog, health, queries
from .charts import charts_for, series_json
from .graph import dependency_graph
from .model_panel import model_panel
from .pages import render_page, scope_of, signed_in


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    """One page of twins, filtered server-side as the API filters; the filters live in the URL."""
    scope = scope_of(request)
    return render_page(request, "portal/home.html", {"p": queries.home_page(scope, request.GET),
                                               "spec_errors": queries.spec_errors(scope), "page": "home"})


def _ids(request: HttpRequest) -> list[str]:
    return [i for i in request.GET.getlist("id") if i][: queries.VIEWS["table"]]


@signed_in
@require_GET
def cards(request: HttpRequest) -> HttpResponse:
    """The current cards (or table rows) of the twins a page shows: what it swaps in after a twin.update."""
    view = request.GET.get("view") if request.GET.get("view") in queries.VIEWS else "cards"
    return render(request, "portal/_cards_fragment.html",
                  {"cards": queries.cards_for(scope_of(request), _ids(request)), "view": view})


@signed_in
@require_GET
def card_values(request: HttpRequest) -> HttpResponse:
    """The latest values of the twins a page shows (one query for all of them), refetched while it is open."""
    return render(request, "portal/_values_fragment.html", {"cards": queries.cards_for(scope_of(request),
                                                                                       _ids(request))})


@signed_in
def twin(request: HttpRequest, twin_id: str) -> HttpResponse:
    d = detail.twin_detail(twin_id, scope_of(request))
    if d is None:
        raise Http404("no such twin")
    graph = dependency_graph(twin_id, d.static, d.dynamic, list(dict.fromkeys(t.id for t in d.dependents)))
    return render_page(request, "portal/twin.html", {
        "d": d, "graph": graph, "runtime_json": json.dumps(d.twin.runtime, indent=2, ensure_ascii=False),
        "page": "twin", "charts": charts_for(recent_series(twin_id)), "alerts": recent_alerts(twin_id),
        "model": model_panel(d.twin)})


@signed_in
def twin_alerts(request: HttpRequest, twin_id: str) -> HttpResponse:
    """The twin page's alerts as the page renders them, refetched while it is open (charts: chart.js)."""
    if not detail.twin_visible(twin_id, scope_of(request)):
        raise Http404("no such twin")
    return render(request, "portal/_alerts.html", {"alerts": recent_alerts(twin_id)})


@signed_in
def twin_observations(request: HttpRequest, twin_id: str) -> JsonResponse:
    """The twin's recent observations and alerts as JSON, for scripts (observations are not portal events)."""
    if not detail.twin_visible(twin_id, scope_of(request)):
        raise Http404("no such twin")
    alerts = [{**a, "time": a["time"].isoformat()} for a in recent_alerts(twin_id)]
    return JsonResponse({"charts": series_json(charts_for(recent_series(twin_id))), "alerts": alerts})


@signed_in
def events(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request)
    filters = eventlog.event_filters(request.GET)
    tenants = sorted(set(queries.tenant_choices(scope)) | ({filters.tenant} if filters.tenant else set()))
    before = _int(request.GET.get("before"))
    rows = eventlog.recent_events(scope, filters, before=before)
    older = ""
    if len(rows) == eventlog.LIMIT:
        older = "?" + "&".join(q for q in (filters.query(), f"before={rows[-1].event.id}") if q)
    return render_page(request, "portal/events.html", {
        "events": rows, "f": filters, "tenants": tenants, "before": before, "older": older,
        "types": eventlog.EVENT_TYPES, "sources": eventlog.SOURCES, "page": "events"})


def _int(raw: str | None) -> int:
    try:
        return max(0, int(raw or 0))
    except ValueError:
        return 0


@signed_in
@require_GET
def event_rows(request: HttpRequest) -> HttpResponse:
    """Rows newer than `after` that match the page's filters, rendered as the page renders them."""
    rows = eventlog.recent_events(scope_of(request), eventlog.event_filters(request.GET),
                                  after=_int(request.GET.get("after")))
    return render(request, "portal/_event_rows.html", {"events": rows})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; the icon is a static file."""
    return redirect(static("portal/favicon.svg"), permanent=True)


@signed_in
def errors(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/errors.html", {"spec_errors": queries.spec_errors(scope_of(request)),
                                                "page": "errors"})


def health_json(request: HttpRequest) -> JsonResponse:
    """The badges now (cached): what a page fetches after reconnecting. Under /api/, so a refusal is JSON."""
    if not access.may_read(request.user):
        return JsonResponse({"detail": "Sign in to read the health badges."}, status=401)
    return JsonResponse(health.snapshot())


def tokens(request: HttpRequest) -> HttpResponse:
    """Your API tokens: create one (shown on this page once) or revoke one."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    new_token = ""
    if request.method == "POST":
        if request.POST.get("action") == "create":
            _, new_token = create_token(request.user, name=request.POST.get("name", "").strip()[:100],
                                        read_only=request.POST.get("read_only") == "on")
        elif request.POST.get("action") == "revoke":
            revoke_own_token(request.user, request.POST.get("prefix", ""))
            return redirect("portal:tokens")
    return render_page(request, "portal/tokens.html", {"tokens": tokens_of(request.user), "new_token": new_token,
                                                 "page": "tokens"})
