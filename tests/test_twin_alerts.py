"""Threshold alerts: one on rising above, one "cleared" on falling below threshold - hysteresis."""

from __future__ import annotations

import random
import threading

import pytest

from tests.conftest import require_service
from tests.mqtt_helpers import MOSQUITTO, Subscriber, broker_answers, check_alert, wait_for
from twins.common import ConfigError, RunSettings, StackRunner, ThresholdAlarm, parse_mqtt_url
from twins.lift import DEFINITION as LIFT
from twins.lift import LiftModel, rms_alarm


def alerts_for(values: list[float], threshold: float, hysteresis: float) -> list[tuple[int, str]]:
    alarm = ThresholdAlarm("vibration_rms", threshold, hysteresis, unit="mm/s")
    out = []
    for i, v in enumerate(values):
        alert = alarm.update(v, "2026-01-01T00:00:00.000Z")
        if alert is not None:
            out.append((i, alert.severity))
    return out


def test_an_alarm_fires_once_on_rising_above_and_clears_once_below_the_hysteresis_band():
    values = [2.0, 7.1, 7.2, 9.0, 7.0, 6.61, 6.6, 6.59, 6.0, 7.11, 7.11, 1.0]
    # 7.1 is not above 7.1; 7.2 rises; still above or inside the band (>= 6.6): quiet; 6.59 clears;
    # 7.11 rises again once; 1.0 clears.
    assert alerts_for(values, 7.1, 0.5) == [(2, "warning"), (7, "info"), (9, "warning"), (11, "info")]


def test_without_hysteresis_it_clears_as_soon_as_the_value_is_below_the_threshold():
    assert alerts_for([8.0, 7.1, 7.09, 7.2], 7.1, 0.0) == [(0, "warning"), (2, "info"), (3, "warning")]


def test_the_alert_says_what_crossed_what():
    alarm = ThresholdAlarm("vibration_rms", 7.1, 0.5, unit="mm/s")
    alert = alarm.update(7.4, "2026-01-01T00:00:00.000Z")
    assert alert.payload() == {"severity": "warning", "message": "vibration_rms 7.4 mm/s rose above 7.1 mm/s",
                               "ts": "2026-01-01T00:00:00.000Z", "signal": "vibration_rms", "value": 7.4,
                               "threshold": 7.1}
    cleared = alarm.update(6.0, "2026-01-01T00:00:05.000Z").payload()
    assert cleared["severity"] == "info" and cleared["message"].startswith("vibration_rms cleared")


def test_the_lift_threshold_and_hysteresis_come_from_the_environment():
    spec = LIFT.load_spec({})
    [alarm] = rms_alarm({"LIFT_RMS_THRESHOLD": "4.5", "LIFT_RMS_HYSTERESIS": "0.25"}, spec)
    assert (alarm.threshold, alarm.hysteresis, alarm.unit) == (4.5, 0.25, "mm/s")
    [default] = rms_alarm({}, spec)
    assert (default.threshold, default.hysteresis) == (7.1, 0.5)
    with pytest.raises(ConfigError, match="LIFT_RMS_HYSTERESIS must be a number >= 0, got '-1'"):
        rms_alarm({"LIFT_RMS_HYSTERESIS": "-1"}, spec)


def test_the_lift_publishes_alerts_on_its_alerts_topic_at_the_crossing_values():
    if not broker_answers(*MOSQUITTO):
        require_service(f"Mosquitto at {MOSQUITTO[0]}:{MOSQUITTO[1]} does not answer")
    # A threshold of this run's own marks its alerts among anyone else's on the shared topic.
    t = round(5 + random.random() * 3, 6)
    rms = [t - 2, t + 0.9, t + 1.5, t - 0.3, t - 0.8, t - 0.1, t + 0.2]
    env = {"LIFT_RMS_THRESHOLD": str(t), "LIFT_RMS_HYSTERESIS": "0.5"}
    settings = RunSettings(broker=parse_mqtt_url(f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}"), interval=0.05,
                           count=len(rms))
    runner = StackRunner(LIFT, settings, env, model=LiftModel(seed=1, rms_sequence=rms))
    sub = Subscriber(runner.spec.alerts_topic)
    try:
        thread = threading.Thread(target=runner.run)
        thread.start()
        thread.join(60)
        assert not thread.is_alive()

        def ours():
            found = [m.json() for m in sub.received() if m.json().get("threshold") == t]
            return found if len(found) >= 3 else None

        alerts = wait_for(ours, "three alerts with this run's threshold")
    finally:
        sub.close()
    for alert in alerts:
        check_alert(alert)
    assert [(a["severity"], a["value"], a["signal"]) for a in alerts] == [
        ("warning", rms[1], "vibration_rms"), ("info", rms[4], "vibration_rms"), ("warning", rms[6], "vibration_rms")]
    # The UI lists them newest first, each marked as delivered.
    shown = runner.board.snapshot()["alerts"]
    assert [(a["value"], a["published"]) for a in shown] == [(rms[6], True), (rms[4], True), (rms[1], True)]
