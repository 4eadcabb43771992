"""The stream view: django-eventstream's own ASGI view, made to send each stored event once.

django-eventstream (5.3) replays from storage, yields, and only then checks
whether events were queued for the listener meanwhile; if so it re-reads
storage from the ids the request started with and sends those events a
second time. That happens exactly on a reconnect while events are arriving.
Rather than fork the view, its output is passed through a filter that drops
a stored event (by PortalEvent id) this response already sent.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_eventstream.views import events

from . import access

__all__ = ["stream", "drop_repeats", "RepeatFilter"]

REMEMBER = 10_000  # ids per response; far more than a replay window holds


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


def stream(request: HttpRequest) -> HttpResponse:
    """GET /api/portal/stream?tenant=a,b: Server-Sent Events, resumable with Last-Event-ID."""
    if not access.may_read(request.user):
        return HttpResponse("Sign in to follow the portal stream.\n", status=401, content_type="text/plain")
    if access.requested_tenants(request.user, request.GET.get("tenant")) == set():
        return HttpResponse("You hold no grant on these tenants.\n", status=403, content_type="text/plain")
    response = events(request)
    if isinstance(response, StreamingHttpResponse) and response.is_async:
        response.streaming_content = drop_repeats(response.streaming_content)
    return response
