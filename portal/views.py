"""Portal pages: thin views over portal.queries, scoped by portal.access."""

from __future__ import annotations

import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from dataplane.queries import recent_alerts, recent_series
from tenancy.access import Access
from tenancy.tokens import create_token, revoke_own_token, tokens_of

from . import access, health, queries
from .charts import series_json, summary
from .graph import dependency_graph
from .eventstream import start_cursor
from .model_panel import model_panel
from .stream import stream_channels

# The card the page clones for a twin that appears while it is open.
TEMPLATE_CARD = queries.Card(id="__id__", name="", tenant="", domain="", status="", streams=0, dependencies=0,
                             last_seen="", ui_url="")


def signed_in(view):
    """Pages need a signed-in user (or the demo mode); everyone else goes to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.may_read(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _scope(request: HttpRequest) -> Access:
    return access.scope(getattr(request, "user", None))


def _page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """Every page: the header badges and one stream URL that resumes from this render."""
    channels = stream_channels(request)
    params = {"lastEventId": start_cursor(channels)}
    if request.GET.get("tenant"):
        params["tenant"] = request.GET["tenant"]
    context.update({"health": health.snapshot(),
                    "stream_url": reverse("portal-stream") + "?" + urlencode(params)})
    return render(request, template, context)


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    groups = queries.home_groups(scope)
    statuses = sorted({c.status for g in groups for d in g.domains for c in d.cards} | {"active", "deprecated"})
    domains = sorted({d.domain for g in groups for d in g.domains})
    return _page(request, "portal/home.html", {
        "groups": groups, "spec_errors": queries.spec_errors(scope), "statuses": statuses, "domains": domains,
        "tenants": [g.tenant for g in groups], "page": "home", "template_card": TEMPLATE_CARD})


@signed_in
def twin(request: HttpRequest, twin_id: str) -> HttpResponse:
    detail = queries.twin_detail(twin_id, _scope(request))
    if detail is None:
        raise Http404("no such twin")
    graph = dependency_graph(twin_id, detail.static, detail.dynamic, [t.id for t in detail.dependents])
    spec = {k: getattr(detail.twin, k) for k in ("description", "metadata", "interfaces", "dependencies")}
    return _page(request, "portal/twin.html", {
        "d": detail, "graph": graph, "spec_json": json.dumps(spec, indent=2, ensure_ascii=False),
        "runtime_json": json.dumps(detail.twin.runtime, indent=2, ensure_ascii=False), "page": "twin",
        "charts": [summary(s) for s in recent_series(twin_id)], "alerts": recent_alerts(twin_id),
        "model": model_panel(detail.twin)})


@signed_in
def twin_observations(request: HttpRequest, twin_id: str) -> JsonResponse:
    """The twin page's charts, refetched while it is open (observations are not portal events)."""
    if not queries.twin_visible(twin_id, _scope(request)):
        raise Http404("no such twin")
    alerts = [{**a, "time": a["time"].isoformat()} for a in recent_alerts(twin_id)]
    return JsonResponse({"charts": series_json([summary(s) for s in recent_series(twin_id)]), "alerts": alerts})


@signed_in
def events(request: HttpRequest) -> HttpResponse:
    rows = queries.recent_events(_scope(request))
    return _page(request, "portal/events.html", {"events": rows, "page": "events"})


@signed_in
def errors(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/errors.html", {"spec_errors": queries.spec_errors(_scope(request)),
                                                "page": "errors"})


@signed_in
def health_json(request: HttpRequest) -> JsonResponse:
    """The badges now (cached): what a page fetches after reconnecting."""
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
    return _page(request, "portal/tokens.html", {"tokens": tokens_of(request.user), "new_token": new_token,
                                                 "page": "tokens"})
