"""The shared publisher: MQTT_URL, backoff with jitter, and resuming after the broker comes back."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timezone

import pytest

from tests.mqtt_helpers import Subscriber, ThrowawayBroker, check_telemetry, parse_ts, start_module, stop, wait_for
from twins.common import Backoff, BrokerConfig, parse_mqtt_url


@pytest.mark.parametrize("url, expected", [
    ("", BrokerConfig("127.0.0.1", 1883)),
    ("mqtt://broker", BrokerConfig("broker", 1883)),
    ("mqtt://10.0.0.5:1884", BrokerConfig("10.0.0.5", 1884)),
    ("mqtts://broker.example.com", BrokerConfig("broker.example.com", 8883, tls=True)),
    ("mqtts://dev:s%40cret@broker:8884", BrokerConfig("broker", 8884, True, "dev", "s@cret")),
    ("mqtt://user@[::1]:1883", BrokerConfig("::1", 1883, False, "user", None)),
])
def test_mqtt_urls_are_read_with_tls_credentials_and_default_ports(url, expected):
    assert parse_mqtt_url(url) == expected


def test_the_password_never_shows_in_the_display_form():
    assert parse_mqtt_url("mqtts://dev:secret@broker:8884").display == "mqtts://dev@broker:8884"


@pytest.mark.parametrize("url, message", [
    ("http://broker:1883", "must start with mqtt:// or mqtts://"),
    ("mqtt://", "names no host"),
    ("mqtt://broker:99999", "the port must be a number from 1 to 65535"),
    ("mqtt://broker:1883/dtp", "a broker URL has no path or query"),
])
def test_unusable_mqtt_urls_are_refused_naming_the_variable(url, message):
    with pytest.raises(ValueError, match="MQTT_URL") as err:
        parse_mqtt_url(url)
    assert message in str(err.value)


def test_backoff_doubles_up_to_its_cap_with_jitter_in_the_upper_half():
    backoff, rng = Backoff(initial=0.5, maximum=8.0), random.Random(7)
    for attempt, cap in enumerate([0.5, 1, 2, 4, 8, 8, 8]):
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(cap / 2 <= d <= cap for d in delays)
        assert len(set(delays)) > 100  # jittered: publishers that lost one broker do not retry in step


def test_publishing_resumes_with_current_values_after_the_broker_restarts():
    broker = ThrowawayBroker()
    broker.start()
    topic = "dtp/sensors/room1/temp"
    first = Subscriber(topic, port=broker.port)
    proc = start_module("twins.room_sensor", env={
        "MQTT_URL": broker.url, "PUBLISH_INTERVAL_SEC": "0.1",
        "MQTT_RECONNECT_MIN_SEC": "0.1", "MQTT_RECONNECT_MAX_SEC": "0.4"})
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    second = None
    try:
        wait_for(lambda: len(first.received()) >= 2, "messages before the outage")
        first.close()
        down_at = len(err_lines)
        broker.stop()
        wait_for(lambda: any("lost the broker" in line for line in err_lines[down_at:]),
                 "the publisher to notice the broker is gone")
        wait_for(lambda: sum("retrying in" in line for line in err_lines[down_at:]) >= 2,
                 "two failed reconnect attempts during the outage")
        restarted = datetime.now(timezone.utc).replace(microsecond=0)
        broker.start()
        second = Subscriber(topic, port=broker.port)
        after = wait_for(lambda: second.received() if len(second.received()) >= 3 else None,
                         "messages after the broker is back")
        assert proc.poll() is None, "the publisher exited while the broker was away"
    finally:
        code, _, _ = stop(proc)
        reader.join(5)
        if second:
            second.close()
        broker.stop()
    assert code == 0
    assert any("reconnected to" in line for line in err_lines)
    for message in after:
        payload = message.json()
        check_telemetry(payload, signal="temp_room_1", unit="C")
        # No backlog: nothing stamped during the outage is delivered after it.
        assert parse_ts(payload["ts"]) >= restarted, payload
