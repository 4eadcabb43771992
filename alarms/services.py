"""Every write to an alarm: the row, its transition, an event_log row and a PortalEvent, in one transaction.

Users act through acknowledge / clear / assign / comment; the rule engine and
the device alerts through raise_or_update / clear_by_rule. All of them end in
`_record`, which stores the portal event under the registry's lock
(registry.reconcile.announce) so event ids commit in order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from registry import events
from registry.reconcile import announce

from . import correlation
from .models import Alarm, AlarmTransition
from .payloads import alarm_payload
from .types import ALARM_CLEAR, ALARM_RAISE, ALARM_UPDATE, SEVERITY_RANK, Severity, Source, Status, TransitionKind

__all__ = ["AlarmError", "acknowledge", "clear", "assign", "comment", "raise_or_update", "clear_by_rule",
           "clear_orphans"]

# event_log's severity vocabulary is the stores' (debug/info/warning/critical).
_LOG_SEVERITY = {Severity.CRITICAL: "critical", Severity.MAJOR: "critical", Severity.MINOR: "warning",
                 Severity.WARNING: "warning"}


class AlarmError(ValueError):
    """A request the alarm's state refuses; the message says what to do instead."""


def _actor(user: Any) -> str:
    return user if isinstance(user, str) else user.get_username()


def _locked(alarm_id: int) -> Alarm:
    alarm = Alarm.objects.select_for_update().filter(pk=alarm_id).first()
    if alarm is None:
        raise AlarmError(f"there is no alarm {alarm_id}; list alarms with GET /api/alarms")
    return alarm


def _record(alarm: Alarm, kind: str, etype: str, actor: str, *, note: str = "", value: float | None = None,
            at: datetime | None = None) -> AlarmTransition:
    at = at or timezone.now()
    step = AlarmTransition.objects.create(alarm=alarm, at=at, kind=kind, severity=alarm.severity, actor=actor,
                                          note=note, value=value)
    payload = alarm_payload(alarm)
    body = json.dumps({"alarm": payload, "transition": kind, "actor": actor, "note": note}, default=str)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO event_log (time, twin, severity, kind, body) VALUES (%s, %s, %s, %s, %s) "
                       "ON CONFLICT DO NOTHING",
                       [at, alarm.twin_id, _LOG_SEVERITY[alarm.severity], etype, body])
    announce([events.EventDraft(alarm.tenant, etype, {"alarm": payload, "transition": kind, "actor": actor},
                                alarm.twin_id)])
    return step


def acknowledge(alarm_id: int, user: Any) -> Alarm:
    """Active or cleared, an alarm is acknowledged once; a second acknowledgement is refused."""
    with transaction.atomic():
        alarm = _locked(alarm_id)
        if alarm.acknowledged:
            raise AlarmError(f"alarm {alarm_id} was already acknowledged by "
                             f"{alarm.acknowledged_by.get_username() if alarm.acknowledged_by_id else 'someone'}")
        alarm.acknowledged, alarm.acknowledged_by, alarm.acknowledged_at = True, user, timezone.now()
        alarm.save(update_fields=["acknowledged", "acknowledged_by", "acknowledged_at"])
        _record(alarm, TransitionKind.ACK, ALARM_UPDATE, _actor(user))
        return alarm


def clear(alarm_id: int, user: Any, note: str = "") -> Alarm:
    """An operator clears an active alarm; the rule raises a new one if its condition comes back."""
    with transaction.atomic():
        alarm = _locked(alarm_id)
        if alarm.status != Status.ACTIVE:
            raise AlarmError(f"alarm {alarm_id} is already cleared")
        _close(alarm, _actor(user), note=note)
        return alarm


def assign(alarm_id: int, user_or_none: Any, by: Any) -> Alarm:
    with transaction.atomic():
        alarm = _locked(alarm_id)
        alarm.assignee = user_or_none
        alarm.save(update_fields=["assignee"])
        note = user_or_none.get_username() if user_or_none is not None else ""
        _record(alarm, TransitionKind.ASSIGN, ALARM_UPDATE, _actor(by), note=note)
        return alarm


def comment(alarm_id: int, user: Any, text: str) -> AlarmTransition:
    text = text.strip()
    if not text:
        raise AlarmError("a comment needs some text")
    with transaction.atomic():
        alarm = _locked(alarm_id)
        return _record(alarm, TransitionKind.COMMENT, ALARM_UPDATE, _actor(user), note=text)


def _close(alarm: Alarm, actor: str, *, note: str = "", value: float | None = None,
           at: datetime | None = None) -> None:
    alarm.status, alarm.cleared_at, alarm.cleared_by = Status.CLEARED, at or timezone.now(), actor
    if value is not None:
        alarm.last_value = value
    alarm.save(update_fields=["status", "cleared_at", "cleared_by", "last_value"])
    _record(alarm, TransitionKind.CLEAR, ALARM_CLEAR, actor, note=note, value=value, at=alarm.cleared_at)
    correlation.alarm_cleared(alarm)


def raise_or_update(*, twin_id: str, tenant: str, rule: str, severity: str, value: float | None,
                    at: datetime | None = None, rule_kind: str = "threshold", source: str = Source.RULE,
                    details: dict[str, Any] | None = None) -> tuple[Alarm, str | None]:
    """Raise the (twin, rule) alarm, or move the active one's severity and peak.

    Returns the alarm and the transition written ("raise", "escalate",
    "deescalate") or None when nothing the user sees changed (a new value
    that is no new peak is kept in last_value without an event).
    """
    at = at or timezone.now()
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().filter(twin_id=twin_id, rule=rule, status=Status.ACTIVE).first()
        if alarm is None:
            alarm = Alarm.objects.create(twin_id=twin_id, tenant=tenant, rule=rule, rule_kind=rule_kind,
                                         source=source, severity=severity, started_at=at, peak=value,
                                         last_value=value, details=details or {})
            correlation.alarm_raised(alarm)
            _record(alarm, TransitionKind.RAISE, ALARM_RAISE, source, value=value, at=at)
            return alarm, TransitionKind.RAISE
        kind = None
        if SEVERITY_RANK[severity] != SEVERITY_RANK[alarm.severity]:
            up = SEVERITY_RANK[severity] > SEVERITY_RANK[alarm.severity]
            kind = TransitionKind.ESCALATE if up else TransitionKind.DEESCALATE
            alarm.severity = severity
        if value is not None:
            alarm.last_value = value
            if alarm.peak is None or _worse(value, alarm.peak, details):
                alarm.peak = value
        alarm.save(update_fields=["severity", "last_value", "peak"])
        if kind:
            _record(alarm, kind, ALARM_UPDATE, source, value=value, at=at)
        return alarm, kind


def _worse(value: float, peak: float, details: dict[str, Any] | None) -> bool:
    """The peak of a below-threshold alarm is its lowest value."""
    return value < peak if (details or {}).get("direction") == "below" else value > peak


def clear_by_rule(*, twin_id: str, rule: str, value: float | None = None, at: datetime | None = None,
                  by: str = "rule") -> Alarm | None:
    """The condition (or the device) cleared: close the active alarm, if there is one."""
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().filter(twin_id=twin_id, rule=rule, status=Status.ACTIVE).first()
        if alarm is None:
            return None
        _close(alarm, by, value=value, at=at)
        return alarm


def clear_orphans(*, slot_where: str, params: list[Any], rules: dict[str, set[str]],
                  at: datetime | None = None) -> int:
    """Clear the active alarms in these slots that nothing can clear any more; returns how many.

    An alarm of a twin that is gone (deleted or deprecated: not in `rules`) is cleared whatever raised
    it; an alarm a rule raised is cleared once the twin no longer has that rule (removed from its model's
    rules file or its twin.yaml). Without this such an alarm stayed active for ever: the rule that
    would have cleared it is no longer evaluated. `cleared_by` is "registry", with the reason as the note.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, twin_id, rule, source FROM {Alarm._meta.db_table} "
                       f"WHERE status = %s AND {slot_where}", [Status.ACTIVE, *params])
        found = cursor.fetchall()
    orphans = [(pk, "its twin was removed or deprecated" if twin not in rules else f"its rule {rule!r} was removed")
               for pk, twin, rule, source in found
               if twin not in rules or (source == Source.RULE and rule not in rules[twin])]
    with transaction.atomic():
        for pk, why in orphans:
            alarm = Alarm.objects.select_for_update().filter(pk=pk, status=Status.ACTIVE).first()
            if alarm is not None:
                _close(alarm, "registry", note=f"cleared because {why}", at=at)
    return len(orphans)
