"""Anomaly detectors in the ingest's evaluator, end to end: MQTT in; scores as observations, detector state that
survives a restart, and `anomaly_above` alarms out; the score series through the series API, scoped by tenant."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone

import paho.mqtt.publish as publish
import pytest
from django.db import connection

from tenancy.models import Role
from tests.alarm_helpers import alarms_of, room_yaml, start_ingest, wait_alarm
from tests.test_api import client
from tests.test_ingest_faults import broker  # noqa: F401 - a Mosquitto of the test's own

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=30)
SCORE = "temp_room_1:anomaly_score"


@pytest.fixture(autouse=True)
def _fresh_data_tables():
    """The plain data tables outlive a test (the flush empties Django's only): start these twins afresh."""
    with connection.cursor() as cursor:
        for table in ("observation", "rollup_1m", "rollup_1h", "rule_input"):
            cursor.execute(f"DELETE FROM {table} WHERE twin LIKE 'room-%%'")


def room(twin_id: str, prefix: str, *, warmup: int, rules: str = "", tenant: str = "tenant-a") -> str:
    detector = f"anomaly:\n  - {{signal: temp_room_1, params: {{warmup: {warmup}}}}}\n"
    return room_yaml(twin_id, prefix, rules, tenant=tenant) + detector


def send(broker, prefix: str, twin_id: str, values: dict[int, float]) -> None:  # noqa: F811
    """Readings at START + i seconds (one a second, like a steady sensor), QoS 1; returns once the broker has them."""
    publish.multiple([{"topic": f"{prefix}/{twin_id}/temp", "qos": 1, "payload": json.dumps(
        {"value": v, "ts": (START + timedelta(seconds=i)).isoformat()})} for i, v in sorted(values.items())],
        hostname="127.0.0.1", port=broker.port, client_id=f"test-pub-{secrets.token_hex(4)}")


def normal(first: int, last: int) -> dict[int, float]:
    return {i: 20.0 + 0.1 * (i % 5) for i in range(first, last)}


def scores(twin_id: str) -> list[tuple[datetime, float]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT time, value FROM observation WHERE twin = %s AND signal = %s ORDER BY time",
                       [twin_id, SCORE])
        rows = cursor.fetchall()
    return [(datetime.fromisoformat(t) if isinstance(t, str) else t, v) for t, v in rows]


def at(i: int) -> datetime:
    return START + timedelta(seconds=i)


def test_a_score_above_the_rules_level_raises_one_anomaly_alarm_and_the_score_is_stored_as_a_signal(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    prefix = f"dtp/n{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room("room-1", prefix, warmup=20,
                                      rules="- {id: odd-temp, signal: temp_room_1, anomaly_above: 0.8}"))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-1", normal(0, 30))
        wait_alarm(ingest, "ten scores after the 20 readings of warm-up", lambda: len(scores("room-1")) == 10)
        assert alarms_of("room-1") == []  # normal readings score low
        send(broker, prefix, "room-1", {30: 35.0})
        alarm = wait_alarm(ingest, "the anomaly alarm", lambda: (alarms_of("room-1") or [None])[0])
    finally:
        ingest.stop()
    assert (alarm.rule, alarm.rule_kind, alarm.status) == ("odd-temp", "anomaly", "active")
    stored = scores("room-1")
    assert [t for t, _ in stored] == [at(i) for i in range(20, 31)]  # one score per reading after warm-up
    assert all(v < 0.8 for _, v in stored[:-1]) and stored[-1][1] > 0.8
    assert alarm.peak == stored[-1][1] and alarm.started_at == at(30)
    with connection.cursor() as cursor:  # the rollup triggers carry the score like any signal
        cursor.execute("SELECT sum(value_count) FROM rollup_1m WHERE twin = 'room-1' AND signal = %s", [SCORE])
        assert cursor.fetchone()[0] == 11


def test_the_detector_continues_after_the_ingest_is_killed_instead_of_warming_up_again(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    from alarms.models import DetectorState

    prefix = f"dtp/n{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room("room-2", prefix, warmup=25))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-2", normal(0, 27))
        wait_alarm(ingest, "two scores after warm-up", lambda: len(scores("room-2")) == 2)
        ingest.kill()  # SIGKILL: no chance to save anything on the way out
        ingest.start()
        send(broker, prefix, "room-2", normal(27, 28))
        # A detector started afresh would need 25 readings before its first score; this one scores at once.
        wait_alarm(ingest, "a score for the first reading after the restart", lambda: len(scores("room-2")) == 3)
    finally:
        ingest.stop()
    assert [t for t, _ in scores("room-2")] == [at(25), at(26), at(27)]
    state = DetectorState.objects.get(twin_id="room-2", key="temp_room_1")
    assert state.state["n"] == 28 and state.spec["kind"] == "mad"


def test_the_score_series_is_read_through_the_series_api_within_the_twins_tenant(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    prefix = f"dtp/n{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room("room-3", prefix, warmup=5))
    tree.write("other/twin.yaml", room_yaml("room-b", prefix, "", tenant="tenant-b"))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-3", normal(0, 10))
        wait_alarm(ingest, "five scores", lambda: len(scores("room-3")) == 5)
    finally:
        ingest.stop()
    params = {"signal": SCORE, "from": at(0).isoformat(), "to": at(60).isoformat()}
    url = "/api/registry/twins/room-3/series"
    mine = client(Role.VIEWER, tenant="tenant-a").get(url, params)
    assert mine.status_code == 200
    body = mine.json()
    assert (body["signal"], body["resolution"], len(body["points"])) == (SCORE, "raw", 5)
    assert all(0.0 <= p["last"] <= 1.0 for p in body["points"])
    theirs = client(Role.VIEWER, tenant="tenant-b").get(url, params)
    assert theirs.status_code == 404  # another tenant's twin, score included, is not there at all


def test_a_detector_whose_parameters_change_starts_afresh(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    from alarms.models import DetectorState

    prefix = f"dtp/n{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room("room-4", prefix, warmup=5))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        send(broker, prefix, "room-4", normal(0, 7))
        wait_alarm(ingest, "two scores", lambda: len(scores("room-4")) == 2)
        tree.write("room/twin.yaml", room("room-4", prefix, warmup=8))  # a changed parameter: learn again
        assert scan_cmd(str(tree.root)).code == 0
        send(broker, prefix, "room-4", normal(7, 16))
        wait_alarm(ingest, "the changed detector's first score", lambda: len(scores("room-4")) == 3)
    finally:
        ingest.stop()
    assert [t for t, _ in scores("room-4")] == [at(5), at(6), at(15)]  # 8 readings (7..14) of warm-up
    assert DetectorState.objects.get(twin_id="room-4").spec["params"]["warmup"] == 8


def test_a_multivariate_detector_scores_each_of_its_signals_and_keeps_its_forest(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    from alarms.models import DetectorState

    prefix = f"dtp/n{secrets.token_hex(4)}"
    tree.write("room/twin.yaml", room_yaml("room-5", prefix, "", tenant="tenant-a").replace(
        "    - {uri: mqtt://", f"    - {{uri: mqtt://{prefix}/room-5/hum, signal: humidity, unit: '%'}}\n"
                               "    - {uri: mqtt://", 1)
        + "anomaly:\n  - {kind: hst, signals: [temp_room_1, humidity], "
          "params: {warmup: 25, window_size: 10, score_window: 20}}\n")
    assert scan_cmd(str(tree.root)).code == 0
    ingest = start_ingest(db_env, broker, prefix, tmp_path)
    try:
        for i in range(30):  # one vector a second: temp, then humidity
            send(broker, prefix, "room-5", {i: 20.0 + 0.1 * (i % 5)})
            publish.single(f"{prefix}/room-5/hum", json.dumps({"value": 40.0 + 0.2 * (i % 3),
                                                               "ts": at(i).isoformat()}),
                           qos=1, hostname="127.0.0.1", port=broker.port)
        hum = "humidity:anomaly_score"
        wait_alarm(ingest, "scores of the last vectors", lambda: len(scores("room-5")) >= 4 and _rows(hum) >= 5)
    finally:
        ingest.stop()
    state = DetectorState.objects.get(twin_id="room-5", key="temp_room_1,humidity")
    assert state.spec["kind"] == "hst" and state.state["n"] >= 25 and state.state["model"]


def _rows(signal: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM observation WHERE twin = 'room-5' AND signal = %s", [signal])
        return cursor.fetchone()[0]
