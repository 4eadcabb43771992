"""Send what the outbox holds: due deliveries, in order per alarm, each attempt recorded.

A delivery is due when its next attempt time has come and no earlier delivery of the same alarm
to the same endpoint is still pending: a receiver that was down gets an alarm's raise before its
clear. A worker claims a delivery by moving its next attempt time forward in one conditional
UPDATE (a lease), so two workers never send the same attempt and a worker killed mid-send only
delays it by the lease; then it sends outside any transaction and records the attempt.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import targets
from .models import WebhookAttempt, WebhookDelivery
from .schedule import RetryPolicy, retryable
from .signing import signed_headers

__all__ = ["due", "claim", "attempt", "deliver_due"]

log = logging.getLogger(__name__)
Status = WebhookDelivery.Status


def due(limit: int) -> list[WebhookDelivery]:
    """Pending deliveries whose time has come and that wait behind no earlier one of their alarm."""
    earlier = WebhookDelivery.objects.filter(endpoint=OuterRef("endpoint"), order_key=OuterRef("order_key"),
                                             status=Status.PENDING, event_id__lt=OuterRef("event_id"))
    return list(WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
                .exclude(Exists(earlier)).select_related("endpoint").order_by("next_attempt_at", "id")[:limit])


def claim(delivery: WebhookDelivery) -> bool:
    """Take the delivery for one attempt; False when another worker took it first."""
    lease = timezone.now() + timedelta(seconds=settings.DTP_WEBHOOK_TIMEOUT_SECONDS * 2 + 5)
    taken = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING,
                                           next_attempt_at=delivery.next_attempt_at).update(next_attempt_at=lease)
    return taken == 1


def attempt(delivery: WebhookDelivery, policy: RetryPolicy) -> WebhookAttempt:
    """One signed POST, and its record: delivered, retried later, or failed for good."""
    started = timezone.now()
    body = json.dumps(delivery.payload, separators=(",", ":"))
    headers = signed_headers(delivery.endpoint.secret, delivery.msg_id, started, body)
    answer = targets.post(delivery.endpoint.url, body.encode(), headers)
    number = delivery.attempts + 1
    now = timezone.now()
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        outcome, next_at = WebhookAttempt.Outcome.DELIVERED, None
    elif answer.final or not retryable(answer.status_code):
        outcome, next_at = WebhookAttempt.Outcome.FAILED, None
    else:
        next_at = policy.next_attempt(number, delivery.retry_from, now, at_least=answer.retry_after)
        outcome = WebhookAttempt.Outcome.RETRY if next_at else WebhookAttempt.Outcome.FAILED
    status = {WebhookAttempt.Outcome.DELIVERED: Status.DELIVERED, WebhookAttempt.Outcome.FAILED: Status.FAILED,
              WebhookAttempt.Outcome.RETRY: Status.PENDING}[outcome]
    error = answer.error
    if outcome == WebhookAttempt.Outcome.FAILED and retryable(answer.status_code) and not answer.final:
        error += f"; no retry left {policy.give_up_after:g} s after the event, given up"
    with transaction.atomic():
        row = WebhookAttempt.objects.create(delivery=delivery, number=number, started_at=started,
                                            status_code=answer.status_code, latency_ms=answer.latency_ms,
                                            error=error, outcome=outcome)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=number, status=status, next_attempt_at=next_at or now, last_status_code=answer.status_code,
            last_error=error, finished_at=None if status == Status.PENDING else now)
    return row


def _send(delivery: WebhookDelivery, policy: RetryPolicy) -> None:
    try:
        attempt(delivery, policy)
    except Exception:  # the lease runs out and the delivery is tried again; the worker goes on
        log.exception("webhook delivery %s could not be attempted", delivery.msg_id)
    finally:
        close_old_connections()


def deliver_due(pool: ThreadPoolExecutor | None = None, limit: int = 50) -> int:
    """Claim and send the due deliveries (concurrently with `pool`); returns how many were attempted."""
    policy = RetryPolicy.from_settings()
    claimed = [d for d in due(limit) if claim(d)]
    if pool is None:
        for delivery in claimed:
            attempt(delivery, policy)
    else:
        list(pool.map(lambda d: _send(d, policy), claimed))
    return len(claimed)
