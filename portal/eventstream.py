"""The one module that knows django-eventstream.

Everything the portal needs from the stream library goes through here: the
storage and channel-manager classes it loads from settings, publishing a
committed PortalEvent (its Redis message format, or this process's
listeners), the SSE wire format (its event, error and id encoding, its
headers), and following its Redis channel. Nothing else in the project
imports `django_eventstream`, so a change of library version (or of library)
is a change of this file.

The response itself is ours, not the library's view (`serve`): the library's
view keeps a thread per open stream (see portal.hub for why), so streams are
listeners on this process's `HUB`, on its event loop, and the wire format,
ids, resume, resets and keep-alives are the library's as its view sends them.

Channels: `t.<tenant>` per tenant, `w.<tenant>/<twin>` per twin (single-twin
grants), `system` for tenant-less events, `all` for everything (a reader who
asked for no tenant), and `health` (badges, not stored). SSE ids are
PortalEvent ids, global and growing, so one number per channel in
Last-Event-ID says how far a client got, and resuming reads our table.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django_eventstream.channelmanager import ChannelManagerBase
from django_eventstream.event import Event
from django_eventstream.storage import EventDoesNotExist, StorageBase
from django_eventstream.utils import (
    add_default_headers,
    make_id,
    parse_last_event_id,
    sse_encode_error,
    sse_encode_event,
    sse_error_response,
)

from registry import events as ev
from registry.models import PortalEvent

from . import access
from .hub import Hub, Item, Listener, Reader, Recheck
from .models import StreamMark
from .stream import RECHECK_SECONDS, channel_readable, releasing, scope_of, stream_channels

__all__ = ["PortalEventStorage", "PortalChannelManager", "publish", "deliver_local", "on_local_publish", "kick",
           "start_cursor", "serve", "RepeatFilter", "REMEMBER", "HUB"]

log = logging.getLogger(__name__)
REMEMBER = 10_000  # stored ids remembered per RepeatFilter
PAGE = 100  # stored events read per storage hop, shared by the stream's channels (the library's limit)
OPENING = (":" + " " * 2048 + "\n\nevent: stream-open\ndata:\n\n").encode()  # the library's padding, open event
REDIS_CHANNEL = "events_channel"  # the library's pub/sub channel
_local_wakers: list[Callable[[], None]] = []


# --- what the library loads from settings -----------------------------------------
def _current_id() -> int:
    return PortalEvent.objects.aggregate(m=Max("id"))["m"] or 0


def _pruned_through() -> int:
    return StreamMark.objects.filter(pk=1).values_list("pruned_through", flat=True).first() or 0


def _events_after(channel: str, last_id: int, limit: int) -> list[Event]:
    rows = PortalEvent.objects.filter(id__gt=last_id).order_by("id")
    tenant, twin_id = scope_of(channel)
    if tenant is not None:
        rows = rows.filter(tenant=tenant)
    if twin_id:
        rows = rows.filter(twin_id=twin_id)
    return [Event(channel, r.etype, ev.event_data(r), id=r.id) for r in rows[:limit]]


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
        if last_id < _pruned_through() or last_id > current:
            # Older than the retention window, or from another database: a gap we cannot fill.
            raise EventDoesNotExist(f"event {last_id} is outside the stored window", current)
        return _events_after(channel, last_id, limit)

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


# --- the wire format, encoded once per event ------------------------------------------
def _item(channel: str, etype: str, data: str, event_id: int | None, with_id: bool = True) -> Item:
    """sse_encode_event's output, split around the id line (the one part that differs per client)."""
    lines = "".join(f"data: {line}\n" for line in re.split(r"\r\n|\r|\n", str(data)))
    return Item(channel, event_id, "event: " + re.sub(r"[\r\n\0]", "", str(etype)) + "\n", lines + "\n", with_id)


HUB = Hub(keepalive=_item("", "keep-alive", "", None, with_id=False), recheck_seconds=RECHECK_SECONDS)


def _render(listener: Listener, items: Iterable[Item]) -> str:
    """The listener's next chunk; stored items it already read from storage are left out."""
    parts = []
    ids = listener.last_ids
    for item in items:
        if item.event_id is not None:
            if item.event_id <= listener.floor.get(item.channel, -1):
                continue
            # Never backwards (events of two processes may cross on Redis): a resume never repeats one.
            if item.event_id > ids.get(item.channel, -1):
                ids[item.channel] = item.event_id
        parts.append(item.head + (f"id: {make_id(ids)}\n" if item.with_id and ids else "") + item.body)
    return "".join(parts)


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
                redis_client.publish(REDIS_CHANNEL, json.dumps(
                    {"channel": name, "event_type": event.etype, "data": data, "pub_id": str(event.id)}))
    except Exception as exc:  # the change is committed; clients catch up from the table on reconnect
        log.warning("could not publish portal events through Redis: %s", exc)


def redis_enabled() -> bool:
    return bool(getattr(settings, "EVENTSTREAM_REDIS", None))


def deliver_local(channel: str, etype: str, data: str, event_id: int | None = None) -> None:
    """Queue one event for this process's open streams on `channel` (the tailer, the health badges)."""
    HUB.deliver_threadsafe(_item(channel, etype, data, event_id))


def kick(user: Any, channels: Iterable[str]) -> None:
    """End this process's open streams of `user` on the channels it may no longer read, at once.

    Other processes' streams end at their next event, when the hub re-checks
    the reader's grants.
    """
    manager = PortalChannelManager()
    for name in sorted(set(channels)):
        if not manager.can_read_channel(user, name):
            text = f"Permission denied to channels: {name}"
            HUB.kick_threadsafe(getattr(user, "pk", None), name,
                                sse_encode_error("forbidden", text, extra={"channels": [name]}))


async def _follow_redis(subscribed: asyncio.Event) -> None:
    """The library's Redis channel, into the hub; after a lost connection every stream catches up from storage."""
    from redis.asyncio import Redis

    backoff, lost = 1.0, False
    while True:
        client = Redis(**settings.EVENTSTREAM_REDIS)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(REDIS_CHANNEL)
                subscribed.set()
                if lost:
                    HUB.catch_up_all()
                backoff = 1.0
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        body = json.loads(message["data"])
                        pub_id = body.get("pub_id")
                        HUB.deliver_threadsafe(_item(body["channel"], body["event_type"], body["data"],
                                                     int(pub_id) if pub_id not in (None, "None") else None))
        except Exception as exc:  # asyncio.CancelledError is not an Exception: shutdown ends the loop
            log.warning("stream Redis subscriber: %s; retrying in %.0f s", exc, backoff)
            lost = True
        finally:
            await client.aclose()
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 30.0)


_subscribed: asyncio.Event | None = None


async def _hub() -> Hub:
    """The hub, bound to this loop on the first stream; with Redis, subscribed before any stream reads a cursor."""
    global _subscribed

    def start() -> list[asyncio.Task[None]]:
        global _subscribed
        _subscribed = asyncio.Event() if redis_enabled() else None
        return [asyncio.get_running_loop().create_task(_follow_redis(_subscribed))] if _subscribed else []

    HUB.bind(start)
    if _subscribed is not None and not _subscribed.is_set():
        try:  # Redis down: open anyway; the client catches up from storage when the subscriber is back
            await asyncio.wait_for(asyncio.shield(_subscribed.wait()), timeout=5)
        except asyncio.TimeoutError:
            pass
    return HUB


# --- the stream ----------------------------------------------------------------
@dataclass
class _Page:
    text: str
    more: bool
    allowed: bool = True


@releasing
def _read_page(listener: Listener, since: dict[str, int | None], recheck: bool) -> _Page:
    """One storage hop: the stream's stored events after `since`, as get_events pages them for the library's view.

    Also sets where the listener's client now is (`last_ids`) and below which
    live events are already covered (`floor`): the listener is registered
    before this read, so an event committed meanwhile is in one or both.
    """
    if recheck and listener.reader not in listener.recheck([listener.reader]):
        return _Page("", False, allowed=False)
    stored = [c for c in listener.reader.channels if c != ev.channel(ev.HEALTH)]
    current, pruned = _current_id(), _pruned_through()
    per_channel = max(1, PAGE // max(1, len(stored)))
    events: list[Event] = []
    reset, tops = [], {}
    for name in stored:
        last = since.get(name)
        if last is not None and (last < pruned or last > current):
            reset.append(name)  # the library's EventDoesNotExist: a gap the client must reload over
            last = None
        if last is None:
            listener.last_ids[name] = listener.floor[name] = max(current, listener.last_ids.get(name, -1))
            continue
        found = _events_after(name, last, per_channel + 1)
        more = len(found) > per_channel
        found = found[:per_channel]
        events += found
        listener.last_ids[name] = max(last, listener.last_ids.get(name, -1))
        listener.floor[name] = last  # everything read after `last` goes out
        # Live events at or below the top are in this read (or the next page's): not sent twice.
        tops[name] = (found[-1].id, True) if more else (max([current, last] + [e.id for e in found]), False)
    text = ""
    if reset:
        text += sse_encode_event("stream-reset", {"channels": reset}, event_id=make_id(listener.last_ids),
                                 json_encode=True)
    text += _render(listener, (_item(e.channel, e.type, e.data, e.id) for e in sorted(events, key=_by_id)))
    for name, (top, _) in tops.items():
        listener.floor[name] = top
    return _Page(text, any(more for _, more in tops.values()))


def _by_id(event: Event) -> int:
    return int(event.id)


def resume_point(request: HttpRequest, channels: Iterable[str]) -> dict[str, int | None] | HttpResponse:
    """Last-Event-ID (or the last non-empty `lastEventId`), per channel of this stream, as the library reads it."""
    raw = request.META.get("HTTP_LAST_EVENT_ID") or next(
        (v for v in reversed(request.GET.getlist("lastEventId")) if v), "")
    if not raw:
        return {}
    if raw == "error":
        return HttpResponseBadRequest("Invalid request: Can't resume session after stream-error.\n")
    try:
        wanted = set(channels)
        return {unquote(c): int(i) for c, i in parse_last_event_id(raw).items() if unquote(c) in wanted}
    except ValueError:
        return sse_error_response("bad-request", "Invalid request: Failed to parse Last-Event-ID or lastEventId.")


async def _chunks(listener: Listener, pending: list[_Page]) -> AsyncIterator[bytes | str]:
    """The response body. Nothing sent is kept between chunks: an idle stream holds only its listener."""
    loop = asyncio.get_running_loop()
    listener.started = True
    try:
        yield OPENING  # one bytes object shared by every stream (Django passes bytes on as they are)
        while True:
            page = pending.pop() if pending else None
            text = page.text if page is not None else _render(listener, listener.take())
            if text:
                yield text
                listener.last_write = loop.time()
            text = ""
            if listener.ended or (page is not None and not page.allowed):
                if listener.final:
                    yield listener.final
                return
            if (page is not None and page.more) or listener.overflow:
                listener.overflow = False
                listener.queue.clear()
                pending.append(await sync_to_async(_read_page)(listener, dict(listener.last_ids), page is None))
                continue
            page = None
            await listener.wait()
    finally:
        HUB.remove(listener)


async def serve(request: HttpRequest, reader: Reader, recheck: Recheck) -> HttpResponse:
    """The stream of a reader already let in (portal.sse): its catch-up from storage, then live events.

    The listener is registered before the storage read, so nothing committed
    after the client's Last-Event-ID (or after now, without one) is missed.
    """
    since = resume_point(request, reader.channels)
    if isinstance(since, HttpResponse):
        return since
    hub = await _hub()
    listener = Listener(reader, recheck)
    hub.add(listener)
    try:
        first = await sync_to_async(_read_page)(listener, since, False)
    except BaseException:
        hub.remove(listener)
        raise
    response = StreamingHttpResponse(_chunks(listener, [first]), content_type="text/event-stream")
    add_default_headers(response, request=request)
    return response


# --- a filter for text chunks ----------------------------------------------------
def _event_id(block: str) -> int | None:
    data = "\n".join(line[6:] for line in block.split("\n") if line.startswith("data: "))
    if '"event": {' not in data:
        return None
    try:
        return int(json.loads(data)["event"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


class RepeatFilter:
    """Remembers the stored events a text stream carried and drops them from later chunks.

    django-eventstream's own view (5.3) re-reads storage from the ids a request
    started with whenever events arrive during its replay, and sends those
    events a second time; its output needed this filter. `serve` reads storage
    from where the client got to and never repeats, so it has no use for it.
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
