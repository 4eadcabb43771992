"""Webhook tables: endpoints a tenant's admins register, the outbox of deliveries, and every attempt.

A delivery is one event for one endpoint: it is written once (unique per endpoint and event), keeps
its `msg_id` across retries and redeliveries (the Standard Webhooks `webhook-id`, so a receiver can
drop duplicates), and is the unit that waits behind an earlier delivery of the same alarm.
"""

from __future__ import annotations

from django.db import models

from alarms.types import ALARM_CLEAR, ALARM_RAISE, ALARM_UPDATE, Severity
from alarms.types import SEVERITY_RANK as _RANK
from registry.models import TenantRowQuerySet

SEVERITIES = tuple(str(s) for s in sorted(Severity.values, key=lambda v: _RANK[v]))  # lowest first
SEVERITY_RANK = {name: _RANK[name] for name in SEVERITIES}
ALARM_EVENTS = (ALARM_RAISE, ALARM_UPDATE, ALARM_CLEAR)


class WebhookEndpoint(models.Model):
    tenant = models.CharField(max_length=63, db_index=True)
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True, default="")
    events = models.JSONField(default=list, help_text="event types delivered, e.g. alarm.raise")
    min_severity = models.CharField(max_length=16, default="warning")
    # The whsec_<base64> secret: HMAC needs the key itself, so it is stored as given (shown once by the API).
    secret = models.CharField(max_length=200)
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TenantRowQuerySet.as_manager()  # visible_to: a webhook is tenant configuration

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.tenant}: {self.url}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    msg_id = models.CharField(max_length=64, unique=True)
    event_id = models.BigIntegerField(help_text="the PortalEvent this delivery carries")
    event_type = models.CharField(max_length=32)
    # Deliveries with the same key go out in event order: the alarm's id.
    order_key = models.CharField(max_length=128)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    # Retries stop this long after here: creation, or the last redeliver.
    retry_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"]),
                   models.Index(fields=["endpoint", "order_key", "event_id"])]

    def __str__(self) -> str:
        return f"{self.msg_id} {self.event_type} -> {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    class Outcome(models.TextChoices):
        DELIVERED = "delivered"
        RETRY = "retry", "failed, will retry"
        FAILED = "failed", "failed, not retried"

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.FloatField()
    error = models.TextField(blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.outcome}"
