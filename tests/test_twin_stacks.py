"""The sample twin stacks publish the one message format on exactly the topics their twin.yaml declares."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from datetime import datetime, timezone

import pytest

from registry.spec import parse_spec
from tests.browser.server import free_port
from tests.conftest import require_service
from tests.mqtt_helpers import (
    MOSQUITTO,
    REPO,
    Subscriber,
    broker_answers,
    check_telemetry,
    parse_ts,
    run_module,
    start_module,
    stop,
    wait_for,
)
from twins.stacks import sample_stacks

STACKS = {d.name: d for d in sample_stacks()}
MQTT_URL = f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}"


@pytest.fixture
def mosquitto() -> str:
    if not broker_answers(*MOSQUITTO):
        require_service(f"Mosquitto at {MOSQUITTO[0]}:{MOSQUITTO[1]} does not answer")
    return MQTT_URL


def declared(name: str) -> dict[str, tuple[str, str]]:
    """topic -> (signal, unit) for every MQTT stream in the stack's twin.yaml, read independently of twins.*"""
    path = REPO / "twins" / name / "twin.yaml"
    spec = parse_spec(path.read_bytes(), str(path)).spec
    return {s.topic: (s.signal, s.unit) for s in spec.streams if s.kind == "mqtt"}


def http_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


@pytest.mark.parametrize("name", ["lift", "energy_hvac", "m5core2", "room_sensor"])
def test_a_stack_publishes_its_seeded_values_on_every_declared_topic(mosquitto, name):
    streams = declared(name)
    telemetry = {t: su for t, su in streams.items() if not t.endswith("/alerts")}
    prefix = os.path.commonprefix(list(streams)).rsplit("/", 1)[0]
    seed, count, interval = 4242, 3, 0.1
    model = STACKS[name].model(seed, {})
    expected = [model.step(interval) for _ in range(count)]
    wanted = {topic: {tick[signal] for tick in expected} for topic, (signal, _) in telemetry.items()}
    args = ["--count", str(count), "--interval", str(interval), "--seed", str(seed)]
    if STACKS[name].ui_port_env:
        args.append("--no-ui")
    sub = Subscriber(f"{prefix}/#")
    try:
        result = run_module(f"twins.{name}", *args, env={"MQTT_URL": mosquitto})
        assert result.returncode == 0, result.stderr

        def ours() -> dict[str, list[dict]] | None:
            # Other runs may publish on these topics too: ours carry this seed's values.
            found: dict[str, list[dict]] = {}
            for m in sub.received():
                if m.topic in wanted:
                    payload = m.json()
                    if payload.get("value") in wanted[m.topic]:
                        found.setdefault(m.topic, []).append(payload)
            complete = all({p["value"] for p in found.get(t, [])} == values for t, values in wanted.items())
            return found if complete else None

        found = wait_for(ours, f"{name}'s seeded values on {sorted(telemetry)}")
    finally:
        sub.close()
    for topic, payloads in found.items():
        for payload in payloads:
            check_telemetry(payload, signal=telemetry[topic][0], unit=telemetry[topic][1])
    stray = {m.topic for m in sub.received()} - set(streams)
    assert not stray, f"messages under {prefix}/ on topics {name}'s twin.yaml does not declare: {stray}"


def test_the_room_sensor_takes_topic_signal_name_and_unit_from_the_environment(mosquitto):
    topic = f"dtp/test/{os.urandom(4).hex()}/room"
    sub = Subscriber(topic)
    try:
        result = run_module("twins.room_sensor", "--once", env={
            "MQTT_URL": mosquitto, "MQTT_TOPIC": topic, "SIM_SIGNAL_NAME": "temp_lab", "SIM_SIGNAL_UNIT": "K"})
        assert result.returncode == 0, result.stderr
        message = wait_for(lambda: sub.received(), f"a message on {topic}")[0]
    finally:
        sub.close()
    check_telemetry(message.json(), signal="temp_lab", unit="K")
    assert "is not declared in" in result.stderr  # the registry would not know this topic: it says so


def test_the_lift_ui_shows_the_values_the_generator_published(mosquitto):
    port = free_port()
    vibration_topic = next(t for t, (s, _) in declared("lift").items() if s == "vibration_rms")
    sub = Subscriber(vibration_topic)
    proc = start_module("twins.lift", "--interval", "0.2", env={"MQTT_URL": mosquitto, "LIFT_UI_PORT": str(port)})
    try:
        def shown_and_published():
            state = http_json(f"http://127.0.0.1:{port}/api")
            if not state:
                return None
            shown = next((s for s in state["signals"] if s["signal"] == "vibration_rms"), None)
            published = [m.json() for m in sub.received()]
            if shown and any(p["ts"] == shown["ts"] and p["value"] == shown["value"] for p in published):
                return state, shown
            return None

        state, shown = wait_for(shown_and_published, "the lift UI to show a vibration value seen on the broker")
        assert state["twin"]["id"] == "lift-001"
        assert {s["signal"] for s in state["signals"]} == {"vibration_rms", "door_cycles", "load"}
        assert state["broker"] == {"url": mosquitto, "connected": True}
        assert shown["topic"] == vibration_topic and shown["unit"] == "mm/s" and shown["published"] is True
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            page = response.read().decode()
        assert "Lift 001" in page and vibration_topic in page and "Recent alerts" in page
    finally:
        code, _, err = stop(proc)
        sub.close()
    assert code == 0, err


def test_python_m_twins_stacks_runs_all_four_with_their_uis_and_stops_on_sigterm(mosquitto):
    started = datetime.now(timezone.utc).replace(microsecond=0)
    topics = {t: su for name in STACKS for t, su in declared(name).items() if not t.endswith("/alerts")}
    sub = Subscriber("dtp/#")
    lift_port, energy_port = free_port(), free_port()
    proc = start_module("twins.stacks", env={"MQTT_URL": mosquitto, "PUBLISH_INTERVAL_SEC": "0.2",
                                             "LIFT_UI_PORT": str(lift_port), "ENERGY_UI_PORT": str(energy_port)})
    try:
        def fresh_on_every_topic():
            seen = {m.topic for m in sub.received() if m.topic in topics
                    and parse_ts(m.json()["ts"]) >= started}
            return seen == set(topics)

        wait_for(fresh_on_every_topic, "fresh messages on every declared topic of the four stacks")
        lift = wait_for(lambda: http_json(f"http://127.0.0.1:{lift_port}/api"), "the lift UI")
        energy = wait_for(lambda: http_json(f"http://127.0.0.1:{energy_port}/api"), "the energy UI")
        assert lift["twin"]["id"] == "lift-001" and energy["twin"]["id"] == "energy-hvac-001"
        for m in sub.received():
            if m.topic in topics and parse_ts(m.json()["ts"]) >= started:
                check_telemetry(m.json(), signal=topics[m.topic][0], unit=topics[m.topic][1])
        proc.send_signal(signal.SIGTERM)
        code, _, err = stop(proc)
    finally:
        if proc.poll() is None:
            stop(proc)
        sub.close()
    assert code == 0, err


def test_a_counted_run_without_a_broker_fails_and_says_which_broker():
    port = free_port()  # nothing listens here
    result = run_module("twins.m5core2", "--once", "--connect-timeout", "1", env={
        "MQTT_URL": f"mqtt://127.0.0.1:{port}", "MQTT_RECONNECT_MIN_SEC": "0.1", "MQTT_RECONNECT_MAX_SEC": "0.2"})
    assert result.returncode == 1
    assert f"no MQTT broker answered at mqtt://127.0.0.1:{port}" in result.stderr


def test_a_broken_twin_yaml_stops_the_stack_with_the_file_and_line(tmp_path):
    spec = tmp_path / "twin.yaml"
    spec.write_text("id: lift-001\nname: Lift\ntenant: acme\ninterfaces:\n  data_streams:\n"
                    "    - {uri: mqtt://dtp/lift/x/vibration, signal: vibration_rms}\n")
    result = run_module("twins.lift", "--once", "--spec", str(spec), "--no-ui")
    assert result.returncode == 2
    assert f"{spec}: interfaces.data_streams declares no MQTT stream with signal 'door_cycles'" in result.stderr


def test_a_bad_setting_is_refused_with_the_variable_name():
    result = run_module("twins.lift", "--once", "--no-ui", env={"PUBLISH_INTERVAL_SEC": "soon"})
    assert result.returncode == 2
    assert "PUBLISH_INTERVAL_SEC must be a number, got 'soon'" in result.stderr
    result = run_module("twins.lift", "--once", "--no-ui", env={"MQTT_URL": "http://broker:1883"})
    assert result.returncode == 2 and "MQTT_URL 'http://broker:1883' must start with mqtt://" in result.stderr
