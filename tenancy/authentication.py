"""DRF authentication by API token: `Authorization: Token <token>` (DRF's convention) or `Bearer <token>`.

A good token's user and access are remembered for a few seconds (tenancy.authcache): the token
and grant queries are then skipped, and a revoke in this process still counts at once.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from .authcache import authenticated
from .ratelimit import WINDOW_SECONDS, client_address, record_token_failure, token_blocked
from .tokens import find_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Token <token>' or 'Bearer <token>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token contains characters that tokens never have.") from None
        found = authenticated(raw, find_token)
        if found is not None:
            request.token_access = found.access  # read by the API views: the grants were read with the token
            return found.user, found.token  # a valid token cannot be guessed: never refused for others' failures
        address = client_address(request)
        if token_blocked(address):
            raise exceptions.Throttled(wait=WINDOW_SECONDS, detail="Too many failed token checks from this address.")
        record_token_failure(address)
        raise exceptions.AuthenticationFailed("Invalid or revoked token.")

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'
