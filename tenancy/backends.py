"""Password sign-in, rate limited on every path that checks a password (the portal's and the admin's forms)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from .ratelimit import record_signin_failure, signin_blocked

__all__ = ["RateLimitedModelBackend"]


class RateLimitedModelBackend(ModelBackend):
    """Django's ModelBackend, which refuses (without checking the password) a sign-in the limit holds back."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any):
        if request is not None and username is not None and signin_blocked(request, username):
            raise PermissionDenied("too many failed sign-ins")
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _count_failure(sender: object, credentials: dict[str, Any], request: HttpRequest | None = None,
                   **kwargs: Any) -> None:
    """Django sends this for every failed authenticate(), whichever form asked."""
    if request is not None:
        record_signin_failure(request, str(credentials.get("username", "")))
