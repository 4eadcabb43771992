"""Rules evaluated by the ingest's evaluator, end to end: MQTT in, alarm rows and events out."""

from __future__ import annotations

import secrets

import pytest

from tests.alarm_helpers import alarms_of, room_yaml, send, start_ingest, wait_alarm
from tests.test_ingest_faults import broker  # noqa: F401 - a Mosquitto of the test's own

pytestmark = pytest.mark.django_db(transaction=True)

HOT_ROOM = """
- id: hot-room
  signal: temp_room_1
  above: 30
  for: 1s
  clear_below: 28
  severity: major
"""


def _events(twin_id: str) -> list[str]:
    from registry.models import PortalEvent

    return list(PortalEvent.objects.filter(twin_id=twin_id, etype__startswith="alarm.")
                .order_by("id").values_list("etype", flat=True))


def test_a_threshold_with_for_and_hysteresis_raises_once_clears_and_raises_a_new_alarm(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    from django.contrib.auth.models import User

    from alarms import services

    prefix = f"dtp/a{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room_yaml("room-1", prefix, HOT_ROOM))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-1", 31.0)
        first = wait_alarm(ingest, "hot-room to fire once its 1s has passed",
                           lambda: (alarms_of("room-1") or [None])[0])
        assert (first.rule, first.severity, first.status, first.source) == ("hot-room", "major", "active", "rule")
        send(broker, prefix, "room-1", 29.0)  # between clear_below and above: still active (hysteresis)
        send(broker, prefix, "room-1", 33.0)
        wait_alarm(ingest, "the peak to follow", lambda: alarms_of("room-1")[0].peak == 33.0)
        services.acknowledge(first.pk, User.objects.create_user("ops"))
        send(broker, prefix, "room-1", 27.0)
        wait_alarm(ingest, "the alarm to clear below 28", lambda: alarms_of("room-1")[0].status == "cleared")
        send(broker, prefix, "room-1", 31.5)
        wait_alarm(ingest, "a second alarm", lambda: len(alarms_of("room-1")) == 2)
    finally:
        ingest.stop()
    old, new = alarms_of("room-1")
    assert (old.status, old.acknowledged, old.cleared_by, old.peak) == ("cleared", True, "rule", 33.0)
    assert (new.status, new.acknowledged, new.peak) == ("active", False, 31.5)
    assert _events("room-1") == ["alarm.raise", "alarm.update", "alarm.clear", "alarm.raise"]
