"""Writes on webhook endpoints and deliveries; the API and the portal call these, nothing else writes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import WebhookDelivery, WebhookEndpoint
from .signing import new_secret

__all__ = ["create_endpoint", "delete_endpoint", "redeliver"]


def create_endpoint(*, tenant: str, url: str, events: list[str], min_severity: str, secret: str = "",
                    description: str = "", actor: str = "") -> WebhookEndpoint:
    """Register an endpoint (its secret generated when none is given); it hears events from now on.

    The outbox cursor is placed now if there is none yet, so the first endpoint's first events are
    not skipped by a worker that starts (and places the cursor at the newest event) after them.
    """
    from .outbox import start_cursor

    start_cursor()
    return WebhookEndpoint.objects.create(tenant=tenant, url=url, events=sorted(set(events)),
                                          min_severity=min_severity, secret=secret or new_secret(),
                                          description=description, created_by=actor)


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its deliveries and their attempts: nothing more is sent to it."""
    endpoint.delete()


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, now, with the same webhook-id; a fresh retry window starts.

    A pending delivery is left as it is (it is on its way); a delivered or failed one becomes
    pending and, like any pending delivery, holds back later ones of its alarm until it is done.
    """
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=now, retry_from=now, finished_at=None)
    delivery.refresh_from_db()
    return delivery
