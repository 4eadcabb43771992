"""What every portal page shares: the reader's scope, and the frame (header badges, a resuming stream URL).

The page modules (views, alarm_views, models_views) render through here, so the header and the
stream a page opens are the same on each.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from tenancy.access import Access

from . import access, health
from .eventstream import start_cursor
from .stream import stream_channels

__all__ = ["signed_in", "scope_of", "render_page"]


def signed_in(view):
    """Pages need a signed-in user (or the demo mode); everyone else goes to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.may_read(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def scope_of(request: HttpRequest) -> Access:
    return access.scope(getattr(request, "user", None))


def render_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """Every page: the header badges and one stream URL that resumes from this render."""
    channels = stream_channels(request)
    params = {"lastEventId": start_cursor(channels)}
    tenants = [t for t in request.GET.get("tenant", "").split(",") if t]
    # A page filtered to tenants narrows its stream to them; a shared URL naming a tenant this reader
    # cannot see keeps the default stream (asking for it would be refused, and the page would retry forever).
    if tenants and all(scope_of(request).sees_tenant(t) for t in tenants):
        params["tenant"] = ",".join(tenants)
    context.update({"health": health.snapshot(),
                    "stream_url": reverse("portal-stream") + "?" + urlencode(params)})
    return render(request, template, context)
