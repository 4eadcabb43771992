"""Alarm evaluation under faults, as real processes: a SIGKILL between pending and firing, two workers
and one killed, and the device's own alerts and correlation through the same path."""

from __future__ import annotations

import secrets

import paho.mqtt.publish as publish
import pytest

from tests.alarm_helpers import DEADLINE, alarms_of, room_yaml, send, start_ingest, wait_alarm
from tests.browser.server import wait_until
from tests.test_ingest_faults import broker  # noqa: F401 - a Mosquitto of the test's own

pytestmark = pytest.mark.django_db(transaction=True)


def _raises(twin_id: str) -> int:
    from registry.models import PortalEvent

    return PortalEvent.objects.filter(twin_id=twin_id, etype="alarm.raise").count()


def _pending(twin_id: str, rule: str) -> bool:
    from alarms.models import RuleState

    row = RuleState.objects.filter(twin_id=twin_id, rule=rule).first()
    return bool(row and row.state.get("pending"))


def test_an_ingest_sigkilled_between_pending_and_firing_fires_once_after_its_restart(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    prefix = f"dtp/k{secrets.token_hex(4)}"
    rules = "- {id: hot, signal: temp_room_1, above: 30, for: 5s, clear_below: 28}"
    tree.write("room/twin.yaml", room_yaml("room-1", prefix, rules))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    send(broker, prefix, "room-1", 31.0)
    wait_alarm(ingest, "the pending period to be stored", lambda: _pending("room-1", "hot"))
    ingest.kill()
    assert alarms_of("room-1") == []  # killed within the 5 s
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        wait_alarm(ingest, "the restarted evaluator to fire", lambda: alarms_of("room-1"))
        send(broker, prefix, "room-1", 32.0)
        wait_alarm(ingest, "the next value on the same alarm", lambda: alarms_of("room-1")[0].peak == 32.0)
    finally:
        ingest.stop()
    assert len(alarms_of("room-1")) == 1 and _raises("room-1") == 1


def _slot_holders(twins: list[str]) -> dict[str, int]:
    """twin -> pid of the evaluator whose slot lock covers it (pg_locks, this database only)."""
    from django.conf import settings
    from django.db import connection

    from alarms.ownership import _KEY, SLOT_SQL

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t, l.pid FROM unnest(%s::text[]) AS t JOIN pg_locks l ON l.locktype = 'advisory' "
                       f"AND l.granted AND l.classid = %s AND l.objid = {SLOT_SQL.format(col='t', n=settings.DTP_ALARM_SLOTS)} "
                       f"AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                       [twins, _KEY])
        return dict(cursor.fetchall())


def test_two_workers_share_the_twins_and_the_survivor_takes_over_a_killed_ones(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("several evaluators share twins through PostgreSQL's advisory locks; SQLite has one")
    prefix = f"dtp/w{secrets.token_hex(4)}"
    twins = [f"room-{i}" for i in range(8)]
    for t in twins:
        tree.write(f"{t}/twin.yaml", room_yaml(t, prefix, "- {id: hot, signal: temp_room_1, above: 30}"))
    assert scan_cmd(str(tree.root)).code == 0
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = start_ingest(db_env, broker, prefix, tmp_path / "a")
    b = start_ingest(db_env, broker, prefix, tmp_path / "b")
    try:
        split = wait_until(lambda: (h := _slot_holders(twins)) and len(h) == len(twins) and len(set(h.values())) == 2
                           and h, timeout=DEADLINE, what="the two evaluators to split the slots")
        for t in twins:
            send(broker, prefix, t, 31.0)
        wait_alarm(b, "one alarm per twin", lambda: all(alarms_of(t) for t in twins))
        a.kill()
        survivor = wait_until(lambda: (h := _slot_holders(twins)) and len(h) == len(twins)
                              and len(set(h.values())) == 1 and h,
                              timeout=DEADLINE, what="the survivor to hold every twin's slot")
        assert set(survivor.values()) < set(split.values())  # one of the two, not a newcomer
        for t in twins:
            send(broker, prefix, t, 27.0)
        wait_alarm(b, "every alarm cleared by the survivor",
                   lambda: all(alarms_of(t)[0].status == "cleared" for t in twins))
        for t in twins:
            send(broker, prefix, t, 35.0)
        wait_alarm(b, "a new alarm per twin", lambda: all(len(alarms_of(t)) == 2 for t in twins))
    finally:
        a.stop()
        b.stop()
    for t in twins:  # evaluated once each: no double raise, no double clear
        old, new = alarms_of(t)
        assert [x.kind for x in old.transitions.all()] == ["raise", "clear"]
        assert [x.kind for x in new.transitions.all()] == ["raise"]
        assert _raises(t) == 2


def test_alarms_on_twins_linked_by_a_dependency_form_one_incident_naming_the_upstream_twin(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    from alarms.models import Incident

    prefix = f"dtp/c{secrets.token_hex(4)}"
    rule = "- {id: hot, signal: temp_room_1, above: 30}"
    tree.write("plant/twin.yaml", room_yaml("plant", prefix, rule))
    tree.write("lift/twin.yaml", room_yaml("lift", prefix, rule, extra="dependencies:\n  static: [plant]\n"))
    tree.write("other/twin.yaml", room_yaml("other", prefix, rule))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "lift", 31.0)
        wait_alarm(ingest, "the lift's alarm", lambda: alarms_of("lift"))
        send(broker, prefix, "other", 31.0)
        send(broker, prefix, "plant", 31.0)
        wait_alarm(ingest, "the plant's alarm", lambda: alarms_of("plant") and alarms_of("other"))
    finally:
        ingest.stop()
    incident = Incident.objects.get()
    assert incident.probable_cause_id == "plant"
    assert sorted(a.twin_id for a in incident.alarms.all()) == ["lift", "plant"]
    assert alarms_of("other")[0].incident_id is None  # no dependency, no incident


def test_a_stacks_own_alert_becomes_a_device_alarm_and_its_clear_message_clears_it(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    import json

    prefix = f"dtp/d{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room_yaml("room-1", prefix, ""))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)

    def alert(body: dict) -> None:
        publish.single(f"{prefix}/room-1/alerts", json.dumps(body), qos=1, hostname="127.0.0.1", port=broker.port)

    try:
        alert({"severity": "warning", "message": "temp_room_1 31 rose above 30", "signal": "temp_room_1",
               "value": 31.0, "threshold": 30.0})
        raised = wait_alarm(ingest, "the device alarm", lambda: alarms_of("room-1"))[0]
        assert (raised.source, raised.rule, raised.severity) == ("device", "device:temp_room_1", "warning")
        alert({"severity": "info", "message": "temp_room_1 cleared: 27 is back below 29", "signal": "temp_room_1",
               "value": 27.0, "threshold": 30.0})
        wait_alarm(ingest, "the device's clear", lambda: alarms_of("room-1")[0].status == "cleared")
    finally:
        ingest.stop()
    assert alarms_of("room-1")[0].cleared_by == "source"
