"""GET /api/portal/stream: who may follow the stream, and for how long.

A reader is a signed-in session or an API token (`Authorization: Token …` or
`Bearer …`, read-only tokens included), authenticated by the same code as the
REST API, so scripts follow the stream with the token they already use. The
stream itself is portal.eventstream's (the stream library's view).

The reader's grants are re-checked before each stored event goes out (at
most every RECHECK_SECONDS per reader and process): a grant revoked anywhere
(another web worker, the CLI, a group's grant) ends the stream before that
tenant's next event, and so does revoking the token the stream was opened with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.request import Request

from registry import events as ev
from tenancy.authentication import ApiTokenAuthentication
from tenancy.models import ApiToken

from . import access, eventstream
from .stream import channel_readable, releasing, stream_channels

__all__ = ["stream", "while_allowed", "RECHECK_SECONDS"]

RECHECK_SECONDS = 0.5
_checks: dict[tuple[Any, Any, tuple[str, ...]], tuple[float, bool]] = {}
_checks_lock = threading.Lock()


@releasing
def _still_allowed(user: Any, token_id: int | None, channels: tuple[str, ...]) -> bool:
    key = (getattr(user, "pk", None), token_id, channels)
    now = time.monotonic()
    with _checks_lock:
        hit = _checks.get(key)
        if hit and now - hit[0] < RECHECK_SECONDS:
            return hit[1]
    scope = access.scope(user)  # the user's grants, read once for all the stream's channels
    ok = all(channel_readable(scope, c) for c in channels)
    if ok and token_id is not None:
        ok = ApiToken.objects.filter(pk=token_id).exists()
    with _checks_lock:
        if len(_checks) > 10_000:
            _checks.clear()
        _checks[key] = (now, ok)
    return ok


async def while_allowed(chunks: AsyncIterator[str], user: Any, channels: set[str],
                        token_id: int | None = None) -> AsyncIterator[str]:
    """Pass chunks on while the reader may still read every channel of this stream; else end it."""
    names = tuple(sorted(channels))
    check = sync_to_async(_still_allowed, thread_sensitive=False)
    async for chunk in chunks:
        if eventstream.is_stored_event(chunk) and not await check(user, token_id, names):
            return  # the client reconnects and gets only what it may still read (or 403)
        yield chunk


def _refusal(text: str, status: int, **headers: str) -> HttpResponse:
    """A refusal in the JSON shape of every other answer under /api/ (docs/api.md)."""
    response = JsonResponse({"detail": text}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _token_reader(request: HttpRequest) -> tuple[Any, ApiToken | None] | HttpResponse:
    """The token's user, or the session's; an answer when a token was sent and is not good."""
    try:
        found = ApiTokenAuthentication().authenticate(Request(request))
    except exceptions.Throttled as exc:
        return _refusal(str(exc.detail), 429, **{"Retry-After": str(int(exc.wait or 60))})
    except exceptions.AuthenticationFailed as exc:
        return _refusal(str(exc.detail), 401, **{"WWW-Authenticate": 'Token realm="api"'})
    if found is None:
        return request.user, None
    return found


def stream(request: HttpRequest) -> HttpResponse:
    """GET /api/portal/stream?tenant=a,b: Server-Sent Events, resumable with Last-Event-ID."""
    reader = _token_reader(request)
    if isinstance(reader, HttpResponse):
        return reader
    user, token = reader
    request.user = user  # the channel manager reads the request's user
    if not access.may_read(user):
        return _refusal("Sign in, or send an API token (Authorization: Token <token>), to follow the portal "
                      "stream.", 401, **{"WWW-Authenticate": 'Token realm="api"'})
    channels = stream_channels(request)
    if not (channels - {ev.channel(ev.HEALTH)}):
        return _refusal("You hold no grant on these tenants.", 403)
    getattr(user, "pk", None)  # resolve the lazy user here, in the request's thread
    token_id = token.pk if token is not None else None
    response = eventstream.serve(request, lambda chunks: while_allowed(chunks, user, channels, token_id))
    if not connection.in_atomic_block:
        # The response streams for hours; the checks above must not keep this thread's connection.
        connection.close()
    return response
