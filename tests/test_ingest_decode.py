"""Decode refuses what no store can hold, each with its reason; the ingest counts and logs them sparingly."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone

import pytest

from dataplane.messages import MAX_BATCH, Alert, Limits, Observation, Rejected, decode, decode_all
from dataplane.routing import Route
from tests.browser.server import wait_until

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
TELEMETRY = Route("pump-1", "plant", "flow", "m3/h", 5.0, False)
ALERTS = Route("pump-1", "plant", "", "", None, True)


def reason(route: Route, payload: bytes, limits: Limits = Limits()) -> str:
    item = decode(route, payload, NOW, limits)
    assert isinstance(item, Rejected), item
    assert item.detail  # a sentence for the operator
    return item.reason


@pytest.mark.parametrize("payload, route, expected", [
    (b'{"value": 17, "signal": "temp\\u0000nul"}', TELEMETRY, "bad_text"),
    (b'{"value": 1, "unit": "m\\u001b[31m"}', TELEMETRY, "bad_text"),
    (b'{"value": 1, "signal": "\\ud800"}', TELEMETRY, "bad_text"),
    (b'{"severity": "info", "message": "line\\u0000two"}', ALERTS, "bad_text"),
    (b'{"severity": "info", "detail": {"k\\u0007": 1}}', ALERTS, "bad_text"),
    (b'{"severity": "info", "value": NaN}', ALERTS, "non_finite"),
    (b'{"severity": "info", "limits": [1, Infinity]}', ALERTS, "non_finite"),
    (b'{"value": NaN}', TELEMETRY, "bad_value"),
    (b'{"value": 1e400}', TELEMETRY, "bad_value"),
    (b'{"severity": "info", "x": ' + b"[" * 40 + b"]" * 40 + b"}", ALERTS, "too_deep"),
    (b"[" * 30000 + b"]" * 30000, TELEMETRY, "too_deep"),
    (json.dumps({"value": 1, "ts": (NOW + timedelta(days=2)).isoformat()}).encode(), TELEMETRY, "ts_future"),
    (json.dumps({"value": 1, "ts": (NOW - timedelta(days=3651)).isoformat()}).encode(), TELEMETRY, "ts_past"),
    (b'{"value": 1, "ts": 0}', TELEMETRY, "ts_past"),
    (b'{"value": 1, "ts": "0001-01-01T00:00:00Z"}', TELEMETRY, "ts_past"),
    (b'{"value": 1, "ts": "9999-12-31T23:59:59Z"}', TELEMETRY, "ts_future"),
])
def test_what_no_store_can_hold_is_rejected_with_its_reason(payload, route, expected):
    assert reason(route, payload) == expected


def test_the_time_window_is_configurable():
    hour_ahead = json.dumps({"value": 1, "ts": (NOW + timedelta(hours=1)).isoformat()}).encode()
    assert isinstance(decode(TELEMETRY, hour_ahead, NOW), Observation)
    assert reason(TELEMETRY, hour_ahead, Limits(max_future=timedelta(minutes=5))) == "ts_future"
    year_old = json.dumps({"value": 1, "ts": (NOW - timedelta(days=365)).isoformat()}).encode()
    assert reason(TELEMETRY, year_old, Limits(max_past=timedelta(days=30))) == "ts_past"


def test_printable_text_tabs_and_newlines_are_kept():
    alert = decode(ALERTS, b'{"severity": "warning", "message": "flow low\\n\\tcheck valve \\u00e9"}', NOW)
    assert isinstance(alert, Alert) and alert.body["message"] == "flow low\n\tcheck valve \u00e9"
    obs = decode(TELEMETRY, b'{"value": 2.5, "signal": "d\\u00e9bit"}', NOW)
    assert isinstance(obs, Observation) and obs.signal == "d\u00e9bit"


def test_a_batch_carries_many_observations_each_checked_like_a_message():
    payload = json.dumps([
        {"value": 1.5, "ts": "2026-12-01T11:59:58Z"},
        {"value": "high"},
        {"value": 2.5, "ts": "2026-12-01T11:59:59.500Z", "signal": "pressure", "unit": "bar"},
        {"value": 3, "ts": (NOW + timedelta(days=2)).isoformat()},
        7,
    ]).encode()
    items = decode_all(TELEMETRY, payload, NOW)
    assert [i.reason if isinstance(i, Rejected) else i.value for i in items] == [
        1.5, "bad_value", 2.5, "ts_future", "bad_json"]
    assert items[4].detail.startswith("payload[4] must be a JSON object")
    assert (items[2].signal, items[2].unit, items[0].signal) == ("pressure", "bar", "flow")
    assert items[2].time == datetime(2026, 12, 1, 11, 59, 59, 500000, tzinfo=timezone.utc)


def test_a_batch_of_alerts_and_the_limits_of_a_batch():
    alerts = decode_all(ALERTS, b'[{"severity": "info", "message": "a"}, {"severity": "nope"}]', NOW)
    assert isinstance(alerts[0], Alert) and alerts[1].reason == "bad_severity"
    assert [i.reason for i in decode_all(TELEMETRY, b"[]", NOW)] == ["bad_json"]
    too_many = json.dumps([{"value": 1}] * (MAX_BATCH + 1), separators=(",", ":")).encode()
    assert [i.reason for i in decode_all(TELEMETRY, too_many, NOW)] == ["too_large"]
    assert [i.reason for i in decode_all(TELEMETRY, b'[{"value": NaN}]', NOW)] == ["bad_value"]
    assert reason(TELEMETRY, b'[{"value": 1}]') == "bad_json"  # decode() reads one object, never a batch


@pytest.mark.django_db(transaction=True)
def test_the_ingest_counts_each_reason_and_logs_it_once_per_topic(tree, scan_cmd, db_env, mosquitto, tmp_path):
    import subprocess
    import sys

    import paho.mqtt.publish as publish

    from dataplane.models import IngestStatus
    from tests.conftest import REPO

    prefix = f"dtp/t{secrets.token_hex(4)}"
    tree.twin("pump", "pump-1", tenant="plant", extra=f"""
        interfaces:
          data_streams:
            - {{uri: mqtt://{prefix}/pump-1/flow, signal: flow, unit: m3/h}}
        """)
    assert scan_cmd(str(tree.root)).code == 0
    env = {**db_env, "MQTT_URL": mosquitto, "DTP_INGEST_TOPICS": f"{prefix}/#", "DTP_INGEST_FLUSH_SECONDS": "0.1",
           "DTP_INGEST_CLIENT_ID": f"dtp-ingest-test-{secrets.token_hex(4)}", "DTP_SPOOL_DIR": str(tmp_path / "spool"),
           "DTP_INGEST_MAX_FUTURE_SECONDS": "60", "DTP_LOG_LEVEL": "INFO", "INFLUX_URL": "", "NEO4J_URL": "",
           "MINIO_ENDPOINT": ""}
    log_path = tmp_path / "ingest.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(REPO / "manage.py"), "ingest"], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: proc.poll() is not None or any(s.report.get("connected")
                                                          for s in IngestStatus.objects.all()),
                   what="the ingest to connect")
        now = datetime.now(timezone.utc)
        bad = [b'{"value": 17, "signal": "temp\\u0000nul"}',
               json.dumps({"value": 1, "ts": (now + timedelta(minutes=10)).isoformat()}).encode(),
               json.dumps({"value": 1, "ts": (now - timedelta(days=4000)).isoformat()}).encode()]
        # More rejected messages than the broker lets wait unacknowledged (Mosquitto: 20): the good one
        # behind them arrives only if rejected messages are acknowledged too.
        payloads = bad * 8 + [b'{"value": 4.5}']
        messages = [{"topic": f"{prefix}/nobody/declares/{i}", "payload": b'{"value": 1}', "qos": 1}
                    for i in range(10)] + [{"topic": f"{prefix}/pump-1/flow", "payload": p, "qos": 1}
                                           for p in payloads]
        publish.multiple(messages, hostname="127.0.0.1", port=1883)

        def counts() -> dict[str, int]:
            found = [s.report.get("counts", {}) for s in IngestStatus.objects.all()]
            return found[0] if found and found[0].get("received", 0) >= len(messages) else {}

        got = wait_until(counts, what="the status with every message counted")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert got["rejected.bad_text"] == 8 and got["rejected.ts_future"] == 8 and got["rejected.ts_past"] == 8
    assert got["rejected.unknown_topic"] == 10 and got["accepted.observation"] == 1
    text = log_path.read_text()
    for why in ("bad_text", "ts_future", "ts_past"):
        assert text.count(f"rejected ({why})") == 1, text[-3000:]
