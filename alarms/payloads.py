"""The alarm as the API, the stream and the webhooks show it: one function, so they never disagree."""

from __future__ import annotations

from typing import Any

from .models import Alarm, AlarmTransition, Incident

__all__ = ["alarm_payload", "transition_payload", "incident_payload"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def alarm_payload(alarm: Alarm) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "twin": alarm.twin_id,
        "tenant": alarm.tenant,
        "rule": alarm.rule,
        "rule_kind": alarm.rule_kind,
        "source": alarm.source,
        "severity": alarm.severity,
        "status": alarm.status,
        "acknowledged": alarm.acknowledged,
        "acknowledged_by": alarm.acknowledged_by.get_username() if alarm.acknowledged_by_id else None,
        "acknowledged_at": _iso(alarm.acknowledged_at),
        "started_at": _iso(alarm.started_at),
        "cleared_at": _iso(alarm.cleared_at),
        "cleared_by": alarm.cleared_by or None,
        "peak": alarm.peak,
        "last_value": alarm.last_value,
        "assignee": alarm.assignee.get_username() if alarm.assignee_id else None,
        "incident": alarm.incident_id,
        "details": alarm.details,
    }


def transition_payload(t: AlarmTransition) -> dict[str, Any]:
    return {"at": _iso(t.at), "kind": t.kind, "severity": t.severity, "actor": t.actor, "note": t.note,
            "value": t.value}


def incident_payload(incident: Incident) -> dict[str, Any]:
    return {"id": incident.id, "tenant": incident.tenant, "status": incident.status,
            "opened_at": _iso(incident.opened_at), "closed_at": _iso(incident.closed_at),
            "probable_cause": incident.probable_cause_id,
            "alarms": sorted(incident.alarms.values_list("id", flat=True))}
