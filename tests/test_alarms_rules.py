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


def _journal_left(twin_id: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rule_input WHERE twin = %s", [twin_id])
        return cursor.fetchone()[0]


ROOM_MODEL = """{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Room;1", "@type": "Interface",
 "contents": [{"@type": "Telemetry", "name": "temp_room_1", "schema": "double"}]}"""
MODEL_RULES = """
model: dtmi:test:Room;1
rules:
  - {id: hot, signal: temp_room_1, above: 30, clear_below: 28, severity: minor}
"""


def test_a_model_rule_applies_to_every_twin_of_the_model_and_a_twin_overrides_its_threshold(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    prefix = f"dtp/a{secrets.token_hex(4)}"
    (tree.root.parent / "models").mkdir()
    (tree.root.parent / "models" / "room.json").write_text(ROOM_MODEL)
    (tree.root.parent / "models" / "room.rules.yaml").write_text(MODEL_RULES.lstrip())
    typed = "model: dtmi:test:Room;1\n"
    tree.write("a/twin.yaml", room_yaml("room-a", prefix, "", extra=typed))
    tree.write("b/twin.yaml", room_yaml("room-b", prefix, "- {id: hot, above: 40, clear_below: 38}", extra=typed))
    result = scan_cmd(str(tree.root))
    assert result.code == 0, result.out + result.err
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-b", 35.0)
        send(broker, prefix, "room-a", 35.0)
        wait_alarm(ingest, "the model rule on room-a", lambda: alarms_of("room-a", "hot"))
        wait_alarm(ingest, "room-b's value evaluated", lambda: _journal_left("room-b") == 0)
        assert alarms_of("room-b") == []  # 35 is below room-b's own threshold
        send(broker, prefix, "room-b", 41.0)
        raised = wait_alarm(ingest, "room-b's override to fire", lambda: alarms_of("room-b", "hot"))
    finally:
        ingest.stop()
    assert raised[0].severity == "minor" and raised[0].peak == 41.0  # the model's severity, the twin's level


def test_a_broken_rules_file_is_placed_and_keeps_its_last_good_rules(tree, scan_cmd):
    from alarms.models import ModelRules
    from registry.models import SpecFileError

    models = tree.root.parent / "models"
    models.mkdir()
    (models / "room.json").write_text(ROOM_MODEL)
    (models / "room.rules.yaml").write_text(MODEL_RULES.lstrip())
    assert scan_cmd(str(tree.root)).code == 0
    (models / "room.rules.yaml").write_text(MODEL_RULES.lstrip().replace("above: 30", "above: hot"))
    scan_cmd(str(tree.root))
    error = SpecFileError.objects.get(path=str(models / "room.rules.yaml"))
    assert (error.line, error.column) == (3, 43)  # the value of above
    assert "above must be a number" in error.message
    assert ModelRules.objects.get().rules[0]["above"] == 30


def test_a_twin_rule_mistake_is_an_error_at_its_line_and_column(tree, scan_cmd):
    tree.write("room/twin.yaml", room_yaml("room-1", "dtp/x", "- id: r\n  signal: temp_room_1\n  above: 30\n"
                                                               "  clear_below: 35\n"))
    result = scan_cmd(str(tree.root))
    assert "twin.yaml:12:18: rules[0].clear_below: clear_below (35) must be on the safe side" in result.out + result.err


def test_a_no_data_rule_fires_when_nothing_arrives_and_clears_on_the_next_message(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    prefix = f"dtp/a{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room_yaml("room-1", prefix, "- {id: silent, no_data: 1s, severity: warning}"))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        alarm = wait_alarm(ingest, "the silence to be noticed", lambda: alarms_of("room-1", "silent"))[0]
        assert (alarm.rule_kind, alarm.severity) == ("no_data", "warning")
        send(broker, prefix, "room-1", 20.0)
        wait_alarm(ingest, "the message to clear it", lambda: alarms_of("room-1")[0].status == "cleared")
    finally:
        ingest.stop()


def test_a_value_band_raises_critical_and_de_escalates_when_the_value_falls_back(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    rules = """
    - id: hot
      signal: temp_room_1
      above: 30
      severity: minor
      levels: [{above: 50, severity: critical}]
    """
    prefix = f"dtp/a{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room_yaml("room-1", prefix, rules))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-1", 55.0)
        wait_alarm(ingest, "a critical raise", lambda: alarms_of("room-1") and alarms_of("room-1")[0].severity
                   == "critical")
        send(broker, prefix, "room-1", 35.0)
        wait_alarm(ingest, "de-escalation to minor", lambda: alarms_of("room-1")[0].severity == "minor")
    finally:
        ingest.stop()
    alarm = alarms_of("room-1")[0]
    assert [(t.kind, t.severity) for t in alarm.transitions.all()] == [("raise", "critical"),
                                                                       ("deescalate", "minor")]


def test_a_minor_alarm_escalates_with_time_without_new_data(tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    rules = "- {id: hot, signal: temp_room_1, above: 30, severity: minor, escalate: [{after: 1s, severity: major}]}"
    prefix = f"dtp/a{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room_yaml("room-1", prefix, rules))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-1", 31.0)
        wait_alarm(ingest, "escalation to major", lambda: alarms_of("room-1") and alarms_of("room-1")[0].severity
                   == "major")
    finally:
        ingest.stop()
    assert [t.kind for t in alarms_of("room-1")[0].transitions.all()] == ["raise", "escalate"]


def test_an_active_alarm_is_cleared_when_its_rule_or_its_twin_is_removed(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    """No alarm stays active that no rule can clear any more: the registry clears it, saying why."""
    prefix = f"dtp/o{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room_yaml("room-o", prefix, HOT_ROOM))
    tree.write("hall/twin.yaml", room_yaml("hall-o", prefix, HOT_ROOM))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-o", 31.0)
        send(broker, prefix, "hall-o", 31.0)
        wait_alarm(ingest, "both rooms to alarm", lambda: len(alarms_of("room-o") + alarms_of("hall-o")) == 2)
        tree.write("room/twin.yaml", room_yaml("room-o", prefix, ""))  # the rule is taken out of the file
        (tree.root / "hall" / "twin.yaml").unlink()  # the twin goes: deprecated by the scan
        assert scan_cmd(str(tree.root)).code == 0
        wait_alarm(ingest, "both alarms to clear", lambda: all(
            a.status == "cleared" for a in alarms_of("room-o") + alarms_of("hall-o")))
    finally:
        ingest.stop()
    (room,), (hall,) = alarms_of("room-o"), alarms_of("hall-o")
    assert (room.cleared_by, hall.cleared_by) == ("registry", "registry")
    notes = {a.twin_id: a.transitions.get(kind="clear").note for a in (room, hall)}
    assert notes == {"room-o": "cleared because its rule 'hot-room' was removed",
                     "hall-o": "cleared because its twin was removed or deprecated"}
