"""The one module that knows django-eventstream.

Everything the portal needs from the stream library goes through here: the
storage and channel-manager classes it loads from settings, publishing a
committed PortalEvent (its Redis message format, or this process's
listeners), handing an event to this process's listeners, cutting a user's
open streams, the SSE id format, and its ASGI view with the repeat filter its
replay needs. Nothing else in the project imports `django_eventstream`, so a
change of library version (or of library) is a change of this file.

Channels: `t.<tenant>` per tenant, `w.<tenant>/<twin>` per twin (single-twin
grants), `system` for tenant-less events, `all` for everything (a reader who
asked for no tenant), and `health` (badges, not stored). SSE ids are
PortalEvent ids, global and growing, so one number per channel in
Last-Event-ID says how far a client got, and resuming reads our table.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_eventstream.channelmanager import ChannelManagerBase
from django_eventstream.event import Event
from django_eventstream.storage import EventDoesNotExist, StorageBase
from django_eventstream.utils import make_id

from registry import events as ev
from registry.models import PortalEvent

from . import access
from .models import StreamMark
from .stream import channel_readable, releasing, scope_of, stream_channels

__all__ = ["PortalEventStorage", "PortalChannelManager", "publish", "deliver_local", "on_local_publish", "kick",
           "start_cursor", "serve", "RepeatFilter", "REMEMBER"]

log = logging.getLogger(__name__)
REMEMBER = 10_000  # stored ids remembered per response; far more than a replay window holds
_local_wakers: list[Callable[[], None]] = []


# --- what the library loads from settings -----------------------------------------
def _current_id() -> int:
    return PortalEvent.objects.aggregate(m=Max("id"))["m"] or 0


class PortalEventStorage(StorageBase):
    """Reads the outbox for resume; ids are PortalEvent ids."""

    def append_event(self, channel: str, event_type: str, data: str) -> Event:
        """For django_eventstream.send_event(): store as a PortalEvent (publishing is send_event's job)."""
        tenant = scope_of(channel)[0] or ""
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
        tenant, twin_id = scope_of(channel)
        if tenant is not None:
            rows = rows.filter(tenant=tenant)
        if twin_id:
            rows = rows.filter(twin_id=twin_id)
        return [Event(channel, r.etype, ev.event_data(r), id=r.id) for r in rows[:limit]]

    @releasing
    def get_current_id(self, channel: str) -> int:
        return _current_id()


class PortalChannelManager(ChannelManagerBase):
    def get_channels_for_request(self, request: Any, view_kwargs: dict[str, Any]) -> set[str]:
        return stream_channels(request)

    @releasing
    def can_read_channel(self, user: Any, channel: str) -> bool:
        return channel_readable(access.scope(user), channel)

    def is_channel_reliable(self, channel: str) -> bool:
        return channel != ev.channel(ev.HEALTH)


def start_cursor(channels: set[str]) -> str:
    """A Last-Event-ID meaning "everything up to now", for the page just rendered to resume from."""
    current = _current_id()
    return make_id({c: current for c in sorted(channels) if c != ev.channel(ev.HEALTH)})


# --- publishing -----------------------------------------------------------------
def on_local_publish(waker: Callable[[], None]) -> None:
    """Register a callback run after this process commits events (the web process's outbox tailer)."""
    _local_wakers.append(waker)


def publish(stored: Iterable[PortalEvent]) -> None:
    """Hand committed events to the fan-out (registry.events calls this after each commit).

    With Redis this is the publish half of django_eventstream.send_event
    (whose storage half would write a second, non-transactional copy); without
    it, the local tailer is woken, which dispatches from the table so that
    events from other processes and from this one take the same road.
    """
    from django_eventstream.eventstream import redis_client

    if redis_client is None:
        for waker in _local_wakers:
            waker()
        return
    try:
        for event in stored:
            data = ev.event_data(event)
            for name in ev.channels_for_event(event):
                redis_client.publish("events_channel", json.dumps(
                    {"channel": name, "event_type": event.etype, "data": data, "pub_id": str(event.id)}))
    except Exception as exc:  # the change is committed; clients catch up from the table on reconnect
        log.warning("could not publish portal events through Redis: %s", exc)


def redis_enabled() -> bool:
    return bool(getattr(settings, "EVENTSTREAM_REDIS", None))


def deliver_local(channel: str, etype: str, data: str, event_id: int | None = None) -> None:
    """Queue one event for this process's open streams on `channel` (the tailer, the health badges)."""
    from django_eventstream.views import get_listener_manager

    get_listener_manager().add_to_queues(channel, Event(channel, etype, data, id=event_id))


def kick(user: Any, channels: Iterable[str]) -> None:
    """End this process's open streams of `user` on these channels at once.

    Other processes' streams end at their next event, when portal.sse
    re-checks the reader's grants.
    """
    from django_eventstream.eventstream import channel_permission_changed

    for name in sorted(set(channels)):
        channel_permission_changed(user, name)


# --- the view -------------------------------------------------------------------
def _event_id(block: str) -> int | None:
    data = "\n".join(line[6:] for line in block.split("\n") if line.startswith("data: "))
    if '"event": {' not in data:
        return None
    try:
        return int(json.loads(data)["event"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


class RepeatFilter:
    """Remembers the stored events one response sent and drops them from later chunks.

    django-eventstream (5.3) replays from storage, yields, and only then checks
    whether events were queued for the listener meanwhile; if so it re-reads
    storage from the ids the request started with and sends those events a
    second time. That happens exactly on a reconnect while events are
    arriving. Rather than fork the view, its output passes through this filter.
    """

    def __init__(self) -> None:
        self.sent: set[int] = set()
        self.order: deque[int] = deque()

    def __call__(self, chunk: str | bytes) -> str:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        kept = []
        for block in text.split("\n\n"):
            event_id = _event_id(block) if block else None
            if event_id is not None:
                if event_id in self.sent:
                    continue
                self.sent.add(event_id)
                self.order.append(event_id)
                if len(self.order) > REMEMBER:
                    self.sent.discard(self.order.popleft())
            kept.append(block)
        out = "\n\n".join(kept)
        return out if out.strip("\n") else ""


async def _drop_repeats(chunks: AsyncIterator[str | bytes]) -> AsyncIterator[str]:
    once = RepeatFilter()
    async for chunk in chunks:
        out = once(chunk)
        if out:
            yield out


def is_stored_event(chunk: str) -> bool:
    """Whether an SSE chunk carries a stored PortalEvent (not a keep-alive or a health badge)."""
    return '"event": {' in chunk


def serve(request: HttpRequest,
          wrap: Callable[[AsyncIterator[str]], AsyncIterator[str]] | None = None) -> HttpResponse:
    """django-eventstream's ASGI view, each stored event sent once, its chunks passed through `wrap`."""
    from django_eventstream.views import events

    response = events(request)
    if isinstance(response, StreamingHttpResponse) and response.is_async:
        chunks = _drop_repeats(response.streaming_content)
        response.streaming_content = wrap(chunks) if wrap else chunks
    return response
