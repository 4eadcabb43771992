"""Failed sign-ins and failed token checks are counted, and guessing is refused past a limit.

Counts live in Django's cache: in-process memory on the embedded default,
Redis when REDIS_URL is set, so the limit holds across web workers.

Who counts as "the same client" matters more than the limit:
- The address is REMOTE_ADDR, which uvicorn rewrites from X-Forwarded-For
  only for the proxies in DTP_TRUSTED_PROXIES (`--forwarded-allow-ips`), so a
  forged header from anyone else changes nothing.
- Sign-in failures are counted per address and per user name. Changing the
  address (many clients, or a trusted proxy's forwarded one) does not reset the
  count on an account, and changing the user name does not reset the count on
  an address.
- Refusing every sign-in from a blocked address or for a blocked name would
  let anyone lock out a shared proxy, or a colleague. So a browser that has
  signed in to an account before carries a signed device cookie for it
  (OWASP's "device cookies"), and its sign-ins to that account are limited
  only by the failures made with that cookie, never by other people's.
- A token is a 256-bit secret: it cannot be guessed, so a valid one is
  always accepted. Failed token checks are counted per address, and past the
  limit the next failures are answered 429 instead of 401.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

__all__ = ["WINDOW_SECONDS", "DEVICE_COOKIE", "client_address", "signin_blocked", "record_signin_failure",
           "remember_device", "token_blocked", "record_token_failure"]

WINDOW_SECONDS = 60
DEVICE_COOKIE = "dtp_device"
DEVICE_MAX_AGE = 180 * 24 * 3600  # seconds
_DEVICE_SALT = "tenancy.ratelimit.device"


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR: the peer, or the client a trusted proxy forwarded (uvicorn --forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR", "unknown")


def _name(username: str) -> str:
    """A bounded cache key part; case-folded, as "Admin" and "admin" guess at the same account."""
    return hashlib.sha256(username.strip().casefold().encode(errors="replace")).hexdigest()[:32]


def _key(kind: str, value: str) -> str:
    return f"dtp:authfail:{kind}:{value}"


def _over(kind: str, value: str) -> bool:
    return cache.get(_key(kind, value), 0) >= settings.DTP_AUTH_FAILURES_PER_MINUTE


def _count(kind: str, value: str) -> None:
    key = _key(kind, value)
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)


def _device(request: HttpRequest, username: str) -> str | None:
    """The device id of this browser's cookie, if it was issued for `username`."""
    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=_DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != _name(username):
        return None
    device = data.get("d")
    return device if isinstance(device, str) else None


def signin_blocked(request: HttpRequest, username: str) -> bool:
    """Is a sign-in as `username` from this request refused unchecked, for the rest of the window?"""
    device = _device(request, username)
    if device is not None:
        return _over("device", device)
    return _over("login-addr", client_address(request)) or _over("login-user", _name(username))


def record_signin_failure(request: HttpRequest, username: str) -> None:
    _count("login-addr", client_address(request))
    _count("login-user", _name(username))
    device = _device(request, username)
    if device is not None:
        _count("device", device)


def remember_device(response: HttpResponse, username: str) -> None:
    """After a successful sign-in: this browser may sign in to `username` whatever others fail."""
    value = signing.dumps({"u": _name(username), "d": secrets.token_urlsafe(12)}, salt=_DEVICE_SALT)
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)


def token_blocked(address: str) -> bool:
    return _over("token", address)


def record_token_failure(address: str) -> None:
    _count("token", address)
