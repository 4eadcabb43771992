"""Which stream channels a reader gets: the portal's channel rules, with no stream library in them.

The library side (storage, channel manager, publishing, the view) is
portal.eventstream's; this module answers only who reads what.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db import connection

from registry import events as ev
from tenancy.access import Access

from . import access

__all__ = ["stream_channels", "channel_readable", "releasing", "scope_of", "channels_lost", "MAX_TENANTS",
           "RECHECK_SECONDS"]

MAX_TENANTS = 8  # django-eventstream serves at most 10 channels per request
# An open stream's reader has its grants (and its token) re-read before a stored event goes out, at most
# this often per reader and process: a revocation anywhere ends the stream before the tenant's next event.
RECHECK_SECONDS = 0.5
_F = TypeVar("_F", bound=Callable[..., Any])


def releasing(fn: _F) -> _F:
    """Give the database connection back after each read a stream makes.

    An open stream lives for hours; holding a connection all that time would
    cap a web process at the pool's (or the server's) connection count.
    Inside a transaction (a caller's, or a test's) it stays.
    """

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return wrapper  # type: ignore[return-value]


def scope_of(channel: str) -> tuple[str | None, str]:
    """(tenant, twin id) a stored channel carries: (None, "") for `all`, ("", "") for tenant-less rows."""
    name = channel.removeprefix(ev.channel(""))
    if name == ev.ALL:
        return None, ""
    if name == ev.SYSTEM:
        return "", ""
    if name.startswith("w."):
        tenant, _, twin_id = name[2:].partition("/")
        return tenant, twin_id
    return name.removeprefix("t."), ""


def channel_readable(scope: Access, channel: str) -> bool:
    """Whether a reader with these grants may read this stream channel (health badges: anyone signed in)."""
    if channel == ev.channel(ev.HEALTH):
        return True
    tenant, twin_id = scope_of(channel)
    return access.can_read_channel_of(scope, tenant, twin_id)


def stream_channels(request: Any) -> set[str]:
    """The channels one portal page listens to, from `?tenant=` and what the user may see.

    Rows without a tenant are only for those who see every tenant (they listen to `all`).
    """
    stored = access.requested_channels(getattr(request, "user", None), request.GET.get("tenant"), MAX_TENANTS)
    return {ev.channel(ev.HEALTH)} | stored


def channels_lost(tenants: set[str], twins: set[tuple[str, str]]) -> set[str]:
    """The channels a reader stops being allowed on when these tenant and twin grants go."""
    return {ev.channel_for_tenant(t) for t in tenants} | {ev.channel_for_twin(t, i) for t, i in twins}
