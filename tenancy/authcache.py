"""A short-lived, process-local memory of who a token is and what its user may see.

Without it every API request reads the token (and its user) and then the user's grants before
its own query: two of a detail's queries. An entry maps a token's SHA-256 to the token, its user
and the user's `Access` (tenancy.access decides it; `visible_to` still applies it to every query)
and lives `DTP_AUTH_CACHE_SECONDS` (default 5; 0 turns the cache off).

How soon a change counts:
- in this process, at once: a revoked grant (`revoke_grants`' hook), and any saved or deleted
  grant, token, user or group membership (model signals) empty the cache, once when the change is
  made and again when its transaction commits;
- in other processes (more uvicorn workers, other hosts), within the TTL: their entries expire
  on their own. A revoked token or grant therefore works elsewhere for at most
  `DTP_AUTH_CACHE_SECONDS` more. A change made with `QuerySet.update()` sends no signal and is
  also bounded only by the TTL.

A request that read the database while a change was being made does not store what it read
(the generation check below), so an entry is never older than the last change it could miss.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .access import Access, access_for
from .models import ApiToken, Grant
from .services import Revocation, on_revoke

__all__ = ["Authenticated", "authenticated", "forget_all", "MAX_ENTRIES"]

MAX_ENTRIES = 10_000  # tokens remembered at once; more empties the cache (a flood of distinct valid tokens)


@dataclass(frozen=True)
class Authenticated:
    """A valid token's user, the token, and the Access it gives (read-only tokens: viewer at most)."""

    user: Any
    token: ApiToken
    access: Access


_clock = time.monotonic  # the TTL's clock (a test moves it instead of sleeping)
_lock = threading.Lock()
_entries: dict[str, tuple[float, Authenticated]] = {}
_generation = 0


def _ttl() -> float:
    return float(getattr(settings, "DTP_AUTH_CACHE_SECONDS", 0))


def authenticated(raw: str, load: Callable[[str], ApiToken | None]) -> Authenticated | None:
    """The remembered answer for this raw token, or `load(raw)`'s (None: no such live token).

    Entries are keyed by the token's SHA-256, never the token itself. Only good answers are
    remembered: a bad token is looked up (and counted by the rate limit) every time.
    """
    key_hash = hashlib.sha256(raw.encode()).hexdigest()
    ttl = _ttl()
    now = _clock()
    if ttl > 0:
        with _lock:
            hit = _entries.get(key_hash)
        if hit is not None and hit[0] > now:
            return hit[1]
    seen = _generation
    token = load(raw)
    if token is None or not token.user.is_active:
        return None
    found = Authenticated(token.user, token, access_for(token.user, read_only=token.read_only))
    if ttl > 0:
        with _lock:
            if seen == _generation:  # nothing changed while we read: safe to keep
                if len(_entries) >= MAX_ENTRIES:
                    _entries.clear()
                _entries[key_hash] = (now + ttl, found)
    return found


def forget_all(*_args: Any, **_kwargs: Any) -> None:
    """Drop every entry now, and again when the current transaction (if any) commits."""
    _forget()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_forget)


def _forget() -> None:
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def _on_revocation(_revocation: Revocation) -> None:
    _forget()  # called after the revoking transaction committed


on_revoke(_on_revocation)
for _model in (Grant, ApiToken, get_user_model(), Group):
    post_save.connect(forget_all, sender=_model, dispatch_uid=f"authcache-save-{_model.__name__}")
    post_delete.connect(forget_all, sender=_model, dispatch_uid=f"authcache-delete-{_model.__name__}")
m2m_changed.connect(forget_all, sender=get_user_model().groups.through, dispatch_uid="authcache-groups")
