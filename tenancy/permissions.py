"""Who may call the API at all; what they may see and change is tenancy.access's question."""

from __future__ import annotations

from django.conf import settings
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from .models import ApiToken

__all__ = ["ReadsOrWritesAllowed"]


class ReadsOrWritesAllowed(permissions.BasePermission):
    """Reads: signed in, or anyone in demo mode. Writes: signed in, and not with a read-only token."""

    message = "Sign in or send an API token (Authorization: Token <token>)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated) or settings.DTP_DEMO_MODE
        if not (request.user and request.user.is_authenticated):
            return False
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            self.message = "This API token is read-only."
            return False
        return True
