"""Alarm tables. The rules that change them live in alarms.services.

An alarm has one identity per (twin, rule) while active, as ThingsBoard's do;
a new occurrence after a clear is a new row (nothing is reused). The
conditional unique constraint makes a second active alarm for the same pair
impossible even if two evaluators raced.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registry.models import TenantRowQuerySet, Twin, TwinRowQuerySet

from .types import IncidentStatus, Severity, Source, Status, TransitionKind


class Incident(models.Model):
    """Alarms on twins linked by dependencies, raised within the correlation window."""

    tenant = models.CharField(max_length=63, db_index=True)
    opened_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The most upstream alarmed twin (see docs/alarms.md, Correlation).
    probable_cause = models.ForeignKey(Twin, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    status = models.CharField(max_length=8, choices=IncidentStatus.choices, default=IncidentStatus.OPEN,
                              db_index=True)

    objects = TenantRowQuerySet.as_manager()  # visible_to: tenant-wide grants (an incident spans a tenant's twins)

    class Meta:
        ordering = ["-opened_at", "-id"]


class Alarm(models.Model):
    twin = models.ForeignKey(Twin, on_delete=models.DO_NOTHING, db_constraint=False, related_name="alarms")
    tenant = models.CharField(max_length=63, db_index=True)
    rule = models.CharField(max_length=128, db_index=True)  # the rule id, or the device alert's type
    rule_kind = models.CharField(max_length=16, default="threshold")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.RULE)
    severity = models.CharField(max_length=8, choices=Severity.choices, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    acknowledged = models.BooleanField(default=False)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(db_index=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    # A username, or "rule" / "source" when the condition or the device cleared it.
    cleared_by = models.CharField(max_length=150, blank=True, default="")
    peak = models.FloatField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    details = models.JSONField(default=dict, blank=True)

    objects = TwinRowQuerySet.as_manager()  # visible_to: with the twin it is about

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["twin", "rule"], condition=models.Q(status="active"),
                                               name="alarm_one_active_per_twin_rule")]
        indexes = [models.Index(fields=["tenant", "status", "severity"])]


class AlarmTransition(models.Model):
    """One step of an alarm's history; comments are transitions of kind `comment` with their text in `note`."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="transitions")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=TransitionKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    # A username, or "rule" / "source".
    actor = models.CharField(max_length=150, blank=True, default="")
    note = models.TextField(blank=True, default="")
    value = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]


class RuleState(models.Model):
    """What a rule remembers between evaluations (pending since, hysteresis, window, escalation).

    Written in the same transaction as the alarm changes it causes and as the
    deletion of the journal rows it consumed, so a restart neither re-raises
    nor loses anything.
    """

    twin_id = models.CharField(max_length=128)
    rule = models.CharField(max_length=128)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["twin_id", "rule"], name="rulestate_twin_rule")]


class ModelRules(models.Model):
    """A model's rules file (models/**/*.rules.yaml), as last read without errors."""

    path = models.CharField(max_length=1024, primary_key=True)
    dtmi = models.CharField(max_length=2048, db_index=True)
    rules = models.JSONField(default=list)
    anomaly = models.JSONField(default=list)  # detectors (alarms.anomaly_config), kept with the rules
    sha256 = models.CharField(max_length=64)
    updated_at = models.DateTimeField()


class TwinRules(models.Model):
    """A twin's own `rules:` (and overrides of its model's rules) and `anomaly:`, as last read without errors."""

    twin_id = models.CharField(max_length=128, primary_key=True)
    rules = models.JSONField(default=list)
    anomaly = models.JSONField(default=list)
    updated_at = models.DateTimeField()


class DetectorState(models.Model):
    """What a twin's anomaly detector has learnt (analytics.detectors state), by the signals it watches.

    Kept beside RuleState and written in the same pass transaction as the journal rows it consumed
    and the scores it wrote, so a restarted ingest continues the detector instead of warming it up
    again. `spec` is the detector as configured: a changed kind or parameter starts it afresh.
    """

    twin_id = models.CharField(max_length=128)
    key = models.CharField(max_length=512)  # the watched signals, comma-separated
    spec = models.JSONField(default=dict)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["twin_id", "key"], name="detectorstate_twin_key")]
