"""The small vocabularies alarms share with the API and the portal."""

from __future__ import annotations

from django.db import models

__all__ = ["Severity", "Status", "Source", "TransitionKind", "IncidentStatus", "SEVERITY_RANK", "ALARM_RAISE",
           "ALARM_UPDATE", "ALARM_CLEAR", "INCIDENT_UPDATE"]


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    WARNING = "warning", "Warning"


# Higher is worse; escalation only ever moves to a higher rank while the condition holds.
SEVERITY_RANK = {Severity.WARNING: 1, Severity.MINOR: 2, Severity.MAJOR: 3, Severity.CRITICAL: 4}


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    CLEARED = "cleared", "Cleared"


class Source(models.TextChoices):
    RULE = "rule", "Platform rule"
    DEVICE = "device", "The twin's own alert"


class TransitionKind(models.TextChoices):
    RAISE = "raise", "Raised"
    ESCALATE = "escalate", "Escalated"
    DEESCALATE = "deescalate", "De-escalated"
    ACK = "ack", "Acknowledged"
    CLEAR = "clear", "Cleared"
    ASSIGN = "assign", "Assigned"
    COMMENT = "comment", "Comment"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


ALARM_RAISE = "alarm.raise"
ALARM_UPDATE = "alarm.update"
ALARM_CLEAR = "alarm.clear"
INCIDENT_UPDATE = "incident.update"
