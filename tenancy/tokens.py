"""API tokens: created and shown once, stored as a SHA-256, recognised by their prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from .models import ApiToken

__all__ = ["TOKEN_PREFIX", "create_token", "find_token", "revoke_tokens", "tokens_of", "revoke_own_token"]

TOKEN_PREFIX = "dtp_"
PREFIX_LENGTH = 8  # characters of the secret shown to recognise a token
# last_used_at is written at most this often per token, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user: AbstractBaseUser, *, name: str = "", read_only: bool = False) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned here and never again."""
    secret = secrets.token_urlsafe(32)
    while not secret[0].isalnum():  # the prefix is typed on command lines: never let it look like an option
        secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken.objects.create(user=user, name=name, prefix=secret[:PREFIX_LENGTH], key_hash=_digest(raw),
                                    read_only=read_only)
    return token, raw


def find_token(raw: str) -> ApiToken | None:
    """The live token for a raw value, or None; marks it used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    digest = _digest(raw)
    prefix = raw[len(TOKEN_PREFIX):][:PREFIX_LENGTH]
    for token in ApiToken.objects.select_related("user").filter(prefix=prefix):
        if hmac.compare_digest(token.key_hash, digest):
            now = timezone.now()
            if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
                token.last_used_at = now
            return token
    return None


def revoke_tokens(*, user: AbstractBaseUser | None = None, prefix: str = "") -> int:
    """Delete a user's tokens, or the tokens whose prefix matches; returns how many."""
    if user is None and not prefix:
        raise ValueError("name a user or a token prefix")
    rows = ApiToken.objects.all()
    if user is not None:
        rows = rows.filter(user=user)
    if prefix:
        rows = rows.filter(prefix=prefix.removeprefix(TOKEN_PREFIX)[:PREFIX_LENGTH])
    count, _ = rows.delete()
    return count


def tokens_of(user: AbstractBaseUser) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))


def revoke_own_token(user: AbstractBaseUser, prefix: str) -> int:
    """Revoke the token with this prefix if it is the user's (any user's, for staff); returns how many.

    Someone else's token answers as absent (0), so prefixes of other users' tokens cannot be probed.
    """
    rows = ApiToken.objects.filter(prefix=prefix.removeprefix(TOKEN_PREFIX)[:PREFIX_LENGTH])
    if not getattr(user, "is_staff", False):
        rows = rows.filter(user=user)
    count, _ = rows.delete()
    return count
