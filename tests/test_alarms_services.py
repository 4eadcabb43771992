"""The alarm lifecycle through alarms.services: rows, transitions, event_log and PortalEvents together."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction

from alarms import selectors, services
from alarms.models import Alarm
from registry.models import PortalEvent
from tenancy.access import Access
from tenancy.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def _log_kinds(twin: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind FROM event_log WHERE twin = %s ORDER BY id", [twin])
        return [k for (k,) in cursor.fetchall()]


def test_a_raised_alarm_is_acknowledged_cleared_and_the_next_occurrence_is_a_new_alarm():
    ops = User.objects.create_user("ops")
    first, kind = services.raise_or_update(twin_id="lift-1", tenant="acme", rule="hot", severity="major", value=31.0)
    assert kind == "raise"
    same, kind = services.raise_or_update(twin_id="lift-1", tenant="acme", rule="hot", severity="major", value=33.0)
    assert same.pk == first.pk and kind is None and same.peak == 33.0
    services.acknowledge(first.pk, ops)
    with pytest.raises(services.AlarmError, match="already acknowledged"):
        services.acknowledge(first.pk, ops)
    services.comment(first.pk, ops, "on my way")
    services.clear_by_rule(twin_id="lift-1", rule="hot", value=27.0)
    second, kind = services.raise_or_update(twin_id="lift-1", tenant="acme", rule="hot", severity="major",
                                            value=30.5)
    assert kind == "raise" and second.pk != first.pk
    first.refresh_from_db()
    assert (first.status, first.acknowledged, first.cleared_by, first.peak) == ("cleared", True, "rule", 33.0)
    assert [t.kind for t in first.transitions.all()] == ["raise", "ack", "comment", "clear"]
    assert _log_kinds("lift-1") == ["alarm.raise", "alarm.update", "alarm.update", "alarm.clear", "alarm.raise"]
    events = list(PortalEvent.objects.filter(twin_id="lift-1").order_by("id"))
    assert [e.etype for e in events] == ["alarm.raise", "alarm.update", "alarm.update", "alarm.clear", "alarm.raise"]
    assert {e.tenant for e in events} == {"acme"}
    shown = events[0].payload["alarm"]
    assert {"id", "twin", "tenant", "rule", "severity", "status", "acknowledged", "started_at", "cleared_at",
            "peak"} <= set(shown)


def test_two_active_alarms_for_one_twin_and_rule_are_impossible():
    services.raise_or_update(twin_id="t", tenant="acme", rule="r", severity="minor", value=1.0)
    a = Alarm.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.create(twin_id="t", tenant="acme", rule="r", severity="minor", started_at=a.started_at)


def test_escalation_writes_an_update_and_visibility_follows_the_grants():
    services.raise_or_update(twin_id="t", tenant="acme", rule="r", severity="minor", value=1.0)
    _, kind = services.raise_or_update(twin_id="t", tenant="acme", rule="r", severity="critical", value=2.0)
    assert kind == "escalate"
    services.raise_or_update(twin_id="u", tenant="other", rule="r", severity="minor", value=1.0)
    viewer = Access(tenants={"acme": Role.VIEWER})
    assert [a.twin_id for a in selectors.alarms_visible_to(viewer)] == ["t"]
    assert not selectors.can_operate(viewer, selectors.alarms_visible_to(viewer).get())
    one_twin = Access(twins={("other", "u"): Role.OPERATOR})
    assert [a.twin_id for a in selectors.alarms_visible_to(one_twin)] == ["u"]
    assert selectors.active_counts(viewer) == {"critical": 1}
