"""Alarms on twins linked by dependencies, raised close together, form one incident.

The walk: from the new alarm's twin, follow dependency rows both ways
(a twin depends on its targets, so targets are upstream) up to
DTP_ALARM_CORRELATION_DEPTH hops, inside the twin's tenant. Every alarm on a
reached twin that is active or started within DTP_ALARM_CORRELATION_WINDOW
seconds before the new one is related. The incident's probable cause is the
related twin that the most other related twins depend on, transitively: the
most upstream one (ties: the earliest alarm).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from registry.models import Dependency

from .models import Alarm, Incident
from .types import IncidentStatus, Status

__all__ = ["alarm_raised", "alarm_cleared", "neighbourhood"]


def _edges(tenant: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(upstream, downstream) adjacency of one tenant's dependency graph."""
    up: dict[str, set[str]] = defaultdict(set)
    down: dict[str, set[str]] = defaultdict(set)
    for src, target in Dependency.objects.filter(twin__tenant=tenant).values_list("twin_id", "target"):
        up[src].add(target)
        down[target].add(src)
    return up, down


def neighbourhood(twin_id: str, up: dict[str, set[str]], down: dict[str, set[str]], depth: int) -> set[str]:
    seen, frontier = {twin_id}, {twin_id}
    for _ in range(depth):
        frontier = {n for t in frontier for n in up[t] | down[t]} - seen
        if not frontier:
            break
        seen |= frontier
    return seen


def _upstream_of(twin_id: str, up: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [twin_id]
    while stack:
        for n in up[stack.pop()]:
            if n not in seen:
                seen.add(n)
                stack.append(n)
    return seen


def alarm_raised(alarm: Alarm) -> None:
    """Attach a new alarm to the incident of its related alarms, opening one when they have none."""
    up, down = _edges(alarm.tenant)
    near = neighbourhood(alarm.twin_id, up, down, settings.DTP_ALARM_CORRELATION_DEPTH) - {alarm.twin_id}
    if not near:
        return
    since = alarm.started_at - timedelta(seconds=settings.DTP_ALARM_CORRELATION_WINDOW)
    related = list(Alarm.objects.filter(tenant=alarm.tenant, twin_id__in=near)
                   .filter(Q(status=Status.ACTIVE) | Q(started_at__gte=since)).exclude(pk=alarm.pk)
                   .order_by("started_at", "id"))
    if not related:
        return
    incident = next((a.incident for a in related if a.incident_id and a.incident.status == IncidentStatus.OPEN),
                    None)
    if incident is None:
        incident = Incident.objects.create(tenant=alarm.tenant, opened_at=related[0].started_at,
                                           probable_cause_id=related[0].twin_id)
    members = related + [alarm]
    for a in members:
        if a.incident_id != incident.id:
            a.incident = incident
            if a.pk != alarm.pk:
                a.save(update_fields=["incident"])
    twins = {a.twin_id for a in Alarm.objects.filter(incident=incident)} | {alarm.twin_id}
    first = {a.twin_id: a.started_at for a in reversed(members)}

    def rank(t: str) -> tuple[int, object]:
        dependants = sum(1 for o in twins if o != t and t in _upstream_of(o, up))
        return (-dependants, first.get(t) or incident.opened_at)

    incident.probable_cause_id = min(twins, key=rank)
    incident.save(update_fields=["probable_cause"])


def alarm_cleared(alarm: Alarm) -> None:
    """An incident closes when its last active alarm clears."""
    if not alarm.incident_id:
        return
    if not Alarm.objects.filter(incident_id=alarm.incident_id, status=Status.ACTIVE).exists():
        Incident.objects.filter(pk=alarm.incident_id, status=IncidentStatus.OPEN).update(
            status=IncidentStatus.CLOSED, closed_at=timezone.now())
