"""The stream view: django-eventstream's own ASGI view, made to send each stored event once.

django-eventstream (5.3) replays from storage, yields, and only then checks
whether events were queued for the listener meanwhile; if so it re-reads
storage from the ids the request started with and sends those events a
second time. That happens exactly on a reconnect while events are arriving.
Rather than fork the view, its output is passed through a filter that drops
a stored event (by PortalEvent id) this response already sent.

A second filter re-checks the reader's grants before it passes on a stored
event (at most every RECHECK_SECONDS per user and process): a grant revoked
anywhere (another web worker, the CLI, a group's grant) ends the stream before
that tenant's next event goes out. django-eventstream's kick, which the admin
uses, is immediate but reaches only the process that revoked.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django_eventstream.views import events

from registry import events as ev

from . import access
from .stream import channel_readable, releasing, stream_channels

__all__ = ["stream", "drop_repeats", "RepeatFilter", "while_allowed"]

REMEMBER = 10_000  # ids per response; far more than a replay window holds
RECHECK_SECONDS = 0.5
_checks: dict[tuple[Any, tuple[str, ...]], tuple[float, bool]] = {}
_checks_lock = threading.Lock()


def _event_id(block: str) -> int | None:
    data = "\n".join(line[6:] for line in block.split("\n") if line.startswith("data: "))
    if '"event": {' not in data:
        return None
    try:
        return int(json.loads(data)["event"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


class RepeatFilter:
    """Remembers the stored events one response sent and drops them from later chunks."""

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


async def drop_repeats(chunks: AsyncIterator[str | bytes]) -> AsyncIterator[str]:
    once = RepeatFilter()
    async for chunk in chunks:
        out = once(chunk)
        if out:
            yield out


@releasing
def _still_allowed(user: Any, channels: tuple[str, ...]) -> bool:
    key = (getattr(user, "pk", None), channels)
    now = time.monotonic()
    with _checks_lock:
        hit = _checks.get(key)
        if hit and now - hit[0] < RECHECK_SECONDS:
            return hit[1]
    scope = access.scope(user)  # the user's grants, read once for all the stream's channels
    ok = all(channel_readable(scope, c) for c in channels)
    with _checks_lock:
        if len(_checks) > 10_000:
            _checks.clear()
        _checks[key] = (now, ok)
    return ok


async def while_allowed(chunks: AsyncIterator[str], user: Any, channels: set[str]) -> AsyncIterator[str]:
    """Pass chunks on while the user may still read every channel of this stream; else end it."""
    names = tuple(sorted(channels))
    check = sync_to_async(_still_allowed, thread_sensitive=False)
    async for chunk in chunks:
        if '"event": {' in chunk and not await check(user, names):
            return  # the client reconnects and gets only what it may still read (or 403)
        yield chunk


def stream(request: HttpRequest) -> HttpResponse:
    """GET /api/portal/stream?tenant=a,b: Server-Sent Events, resumable with Last-Event-ID."""
    if not access.may_read(request.user):
        return JsonResponse({"detail": "Sign in to follow the portal stream."}, status=401)
    channels = stream_channels(request)
    if not (channels - {ev.channel(ev.HEALTH)}):
        return JsonResponse({"detail": "You hold no grant on these tenants."}, status=403)
    user = request.user
    getattr(user, "pk", None)  # resolve the lazy user here, in the request's thread
    response = events(request)
    if isinstance(response, StreamingHttpResponse) and response.is_async:
        response.streaming_content = while_allowed(drop_repeats(response.streaming_content), user, channels)
    if not connection.in_atomic_block:
        # The response streams for hours; the checks above must not keep this thread's connection.
        connection.close()
    return response
