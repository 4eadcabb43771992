"""GET /api/portal/stream: who may follow the stream, and for how long.

A reader is a signed-in session or an API token (`Authorization: Token …` or
`Bearer …`, read-only tokens included), authenticated by the same code as the
REST API, so scripts follow the stream with the token they already use. The
stream itself is portal.eventstream's, served from this process's event loop
(portal.hub).

The view is async: the reader is let in with one synchronous step (the
token, the session's user, the channels its grants give), and from then on
the open stream costs no thread. The reader's grants are re-checked before
stored events go out (at most every RECHECK_SECONDS per reader and process,
once per reader for all its streams and one hop for all readers of a burst):
a grant revoked anywhere (another web worker, the CLI, a group's grant) ends
the stream before that tenant's next event, and so does revoking the token
the stream was opened with.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.request import Request

from registry import events as ev
from tenancy.authentication import ApiTokenAuthentication
from tenancy.models import ApiToken

from . import access, eventstream
from .hub import Reader
from .stream import RECHECK_SECONDS, channel_readable, releasing, stream_channels

__all__ = ["stream", "still_allowed", "RECHECK_SECONDS"]


@releasing
def still_allowed(readers: list[Reader]) -> set[Reader]:
    """Which of these readers may still read every channel of their stream (grants read once per user).

    Run by the hub in a worker thread, for all the readers a burst of events goes to.
    """
    scopes: dict[Any, Any] = {}
    token_ids = {r.token_id for r in readers if r.token_id is not None}
    live_tokens = set(ApiToken.objects.filter(pk__in=token_ids).values_list("pk", flat=True)) if token_ids else set()
    allowed = set()
    for reader in readers:
        if reader.user_pk not in scopes:
            scopes[reader.user_pk] = access.scope(reader.user)
        scope = scopes[reader.user_pk]
        if all(channel_readable(scope, c) for c in reader.channels) and (
                reader.token_id is None or reader.token_id in live_tokens):
            allowed.add(reader)
    return allowed


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


@releasing
def _let_in(request: HttpRequest) -> Reader | HttpResponse:
    """The one synchronous step of an open: who reads, and which channels; or the refusal."""
    found = _token_reader(request)
    if isinstance(found, HttpResponse):
        return found
    user, token = found
    request.user = user
    if not access.may_read(user):
        return _refusal("Sign in, or send an API token (Authorization: Token <token>), to follow the portal "
                        "stream.", 401, **{"WWW-Authenticate": 'Token realm="api"'})
    channels = stream_channels(request)
    if not (channels - {ev.channel(ev.HEALTH)}):
        return _refusal("You hold no grant on these tenants.", 403)
    return Reader(getattr(user, "pk", None), token.pk if token is not None else None, tuple(sorted(channels)),
                  user=user)


async def stream(request: HttpRequest) -> HttpResponse:
    """GET /api/portal/stream?tenant=a,b: Server-Sent Events, resumable with Last-Event-ID."""
    reader = await sync_to_async(_let_in)(request)
    if isinstance(reader, HttpResponse):
        return reader
    return await eventstream.serve(request, reader, still_allowed)
