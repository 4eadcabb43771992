"""django-eventstream plugged onto the PortalEvent outbox.

Channels: `t.<tenant>` per tenant, `system` for tenant-less events, `all` for
everything (a client that asked for no tenant), and `health` (badges, not
stored). SSE ids are PortalEvent ids, global and growing, so one number per
channel in Last-Event-ID says how far a client got, and resuming reads our table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Max
from django_eventstream.channelmanager import ChannelManagerBase
from django_eventstream.event import Event
from django_eventstream.storage import EventDoesNotExist, StorageBase
from django_eventstream.utils import make_id

from registry import events as ev
from registry.models import PortalEvent
from tenancy.access import Access

from . import access
from .models import StreamMark

__all__ = ["PortalEventStorage", "PortalChannelManager", "stream_channels", "start_cursor", "channel_readable",
           "releasing", "access_revoked"]

log = logging.getLogger(__name__)
MAX_TENANTS = 8  # django-eventstream serves at most 10 channels per request
_F = TypeVar("_F", bound=Callable[..., Any])


def releasing(fn: _F) -> _F:
    """Give the database connection back after each read a stream makes.

    An open stream lives for hours in a thread of its own; holding a connection
    all that time would cap a web process at the pool's (or the server's)
    connection count. Inside a transaction (a caller's, or a test's) it stays.
    """

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return wrapper  # type: ignore[return-value]


def _scope_of(channel: str) -> tuple[str | None, str]:
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


def _current_id() -> int:
    return PortalEvent.objects.aggregate(m=Max("id"))["m"] or 0


class PortalEventStorage(StorageBase):
    """Reads the outbox for resume; ids are PortalEvent ids."""

    def append_event(self, channel: str, event_type: str, data: str) -> Event:
        """For django_eventstream.send_event(): store as a PortalEvent (publishing is send_event's job)."""
        import json

        tenant = _scope_of(channel)[0] or ""
        row = PortalEvent.objects.create(tenant=tenant, etype=event_type, payload=json.loads(data))
        return Event(channel, event_type, ev.event_data(row), id=row.id)

    @releasing
    def get_events(self, channel: str, last_id: int, limit: int = 100) -> list[Event]:
        current = _current_id()
        pruned = StreamMark.objects.filter(pk=1).values_list("pruned_through", flat=True).first() or 0
        if last_id < pruned or last_id > current:
            # Older than the retention window, or from another database: a gap we cannot fill.
            raise EventDoesNotExist(f"event {last_id} is outside the stored window", current)
        rows = PortalEvent.objects.filter(id__gt=last_id).order_by("id")
        tenant, twin_id = _scope_of(channel)
        if tenant is not None:
            rows = rows.filter(tenant=tenant)
        if twin_id:
            rows = rows.filter(twin_id=twin_id)
        return [Event(channel, r.etype, ev.event_data(r), id=r.id) for r in rows[:limit]]

    @releasing
    def get_current_id(self, channel: str) -> int:
        return _current_id()


def channel_readable(scope: Access, channel: str) -> bool:
    """Whether a reader with these grants may read this stream channel (health badges: anyone signed in)."""
    if channel == ev.channel(ev.HEALTH):
        return True
    tenant, twin_id = _scope_of(channel)
    return access.can_read_channel_of(scope, tenant, twin_id)


def stream_channels(request: Any) -> set[str]:
    """The channels one portal page listens to, from `?tenant=` and what the user may see.

    Rows without a tenant are only for those who see every tenant (they listen to `all`).
    """
    stored = access.requested_channels(getattr(request, "user", None), request.GET.get("tenant"), MAX_TENANTS)
    return {ev.channel(ev.HEALTH)} | stored


def start_cursor(channels: set[str]) -> str:
    """A Last-Event-ID meaning "everything up to now", for the page just rendered to resume from."""
    current = _current_id()
    return make_id({c: current for c in sorted(channels) if c != ev.channel(ev.HEALTH)})


class PortalChannelManager(ChannelManagerBase):
    def get_channels_for_request(self, request: Any, view_kwargs: dict[str, Any]) -> set[str]:
        return stream_channels(request)

    @releasing
    def can_read_channel(self, user: Any, channel: str) -> bool:
        return channel_readable(access.scope(user), channel)

    def is_channel_reliable(self, channel: str) -> bool:
        return channel != ev.channel(ev.HEALTH)


def access_revoked(user: Any, tenants: set[str], twins: set[tuple[str, str]] = frozenset()) -> None:
    """Cut this process's open streams of `user` on the tenants (and single twins) it just lost.

    django-eventstream kicks the listeners at once; other processes' streams end at their next
    event, when portal.sse re-checks the reader's grants.
    """
    from django_eventstream.eventstream import channel_permission_changed

    for tenant in sorted(tenants):
        channel_permission_changed(user, ev.channel_for_tenant(tenant))
    for tenant, twin_id in sorted(twins):
        channel_permission_changed(user, ev.channel_for_twin(tenant, twin_id))
