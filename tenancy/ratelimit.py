"""Failed sign-ins and failed token checks are counted per client address and refused past a limit.

Counts live in Django's cache: in-process memory on the embedded default,
Redis when REDIS_URL is set, so the limit holds across web workers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

__all__ = ["WINDOW_SECONDS", "client_address", "blocked", "record_failure"]

WINDOW_SECONDS = 60


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind a proxy, set it from X-Forwarded-For in the proxy or ASGI server (uvicorn --proxy-headers)."""
    return request.META.get("REMOTE_ADDR", "unknown")


def _key(kind: str, address: str) -> str:
    return f"dtp:authfail:{kind}:{address}"


def blocked(kind: str, address: str) -> bool:
    return cache.get(_key(kind, address), 0) >= settings.DTP_AUTH_FAILURES_PER_MINUTE


def record_failure(kind: str, address: str) -> None:
    key = _key(kind, address)
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
