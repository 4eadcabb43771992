"""Response headers Django 5.2 does not set itself: the pages' Content-Security-Policy.

Django's SecurityMiddleware already sends HSTS (DTP_HTTPS), nosniff and the
referrer policy; CSP arrives only in Django 6.0, and one header does not need a
dependency (django-csp), so this middleware sets it. The policy forbids inline
script, so a script injected into a page through a twin's name or description
would not run even if escaping were ever missed; the portal's own code is in
portal/static/ and attaches its handlers there.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

__all__ = ["ContentSecurityPolicyMiddleware", "API_DOCS_PREFIXES", "API_DOCS_POLICY"]

# The Swagger UI and ReDoc pages (drf-spectacular's templates, not ours) start with an inline script
# and inline styles, and ReDoc runs a worker from a blob: URL; they get a policy that allows just that.
API_DOCS_PREFIXES = ("/api/docs/", "/api/redoc/")
API_DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                   "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
                   "base-uri 'self'; frame-ancestors 'none'")


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Add DTP_CONTENT_SECURITY_POLICY to every response that sets none (sync and async, as MiddlewareMixin is)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        policy = settings.DTP_CONTENT_SECURITY_POLICY
        if request.path.startswith(API_DOCS_PREFIXES):
            policy = API_DOCS_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
