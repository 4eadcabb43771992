"""Reads of webhook endpoints and deliveries, scoped by tenancy.access like every other read."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db.models import QuerySet

from tenancy.access import Access
from tenancy.models import Role

from .models import WebhookDelivery, WebhookEndpoint

__all__ = ["endpoints_visible_to", "deliveries_of", "shown_url"]


def endpoints_visible_to(access: Access) -> QuerySet[WebhookEndpoint]:
    """Endpoints of tenants the caller holds a tenant-wide grant on (a webhook is tenant configuration)."""
    return WebhookEndpoint.objects.visible_to(access)


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.prefetch_related("attempt_rows")


def shown_url(access: Access, endpoint: WebhookEndpoint) -> str:
    """The URL as the caller may see it: whole for the tenant's admins; scheme, host and path for others,
    since a query string often carries the receiver's token."""
    if access.can(Role.ADMIN, endpoint.tenant):
        return endpoint.url
    parts = urlsplit(endpoint.url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")
