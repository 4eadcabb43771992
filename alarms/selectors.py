"""Reads of alarms and incidents, scoped by the models' `visible_to` querysets like every other read."""

from __future__ import annotations

from django.db.models import QuerySet

from tenancy.access import Access
from tenancy.models import Role

from .models import Alarm, AlarmTransition, Incident
from .types import Status

__all__ = ["alarms_visible_to", "alarm_for", "alarm_history", "incidents_visible_to", "can_operate",
           "active_counts"]


def alarms_visible_to(access: Access) -> QuerySet[Alarm]:
    """Alarms on twins the user may see (a twin grant shows that twin's alarms only)."""
    return Alarm.objects.visible_to(access)


def alarm_for(access: Access, alarm_id: int) -> Alarm | None:
    return alarms_visible_to(access).filter(pk=alarm_id).first()


def can_operate(access: Access, alarm: Alarm) -> bool:
    """Operators (and admins) acknowledge, clear, assign and comment; viewers read."""
    return access.can(Role.OPERATOR, alarm.tenant, alarm.twin_id)


def alarm_history(alarm: Alarm) -> QuerySet[AlarmTransition]:
    return alarm.transitions.order_by("at", "id")


def incidents_visible_to(access: Access) -> QuerySet[Incident]:
    """Incidents of tenants the user sees wholly (an incident spans twins of its tenant)."""
    return Incident.objects.visible_to(access)


def active_counts(access: Access) -> dict[str, int]:
    """Active alarms by severity, for the header and the cards."""
    counts: dict[str, int] = {}
    for sev in alarms_visible_to(access).filter(status=Status.ACTIVE).values_list("severity", flat=True):
        counts[sev] = counts.get(sev, 0) + 1
    return counts
