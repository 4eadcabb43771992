"""With CENTRAL_INFLUX_URL & co. set, a stack also writes its telemetry to a central InfluxDB 2 write API."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

from tests.browser.server import free_port
from tests.conftest import require_service
from tests.mqtt_helpers import MOSQUITTO, broker_answers, run_module, wait_for
from twins.lift import LiftModel


@pytest.fixture
def influx_api(tmp_path):
    """VictoriaMetrics speaks InfluxDB 2's write API (see /work/shared/SERVICES.md)."""
    binary = shutil.which("victoria-metrics")
    if binary is None:
        require_service("victoria-metrics is not installed (apt-get install victoria-metrics)")
    port = free_port()
    proc = subprocess.Popen([binary, f"-httpListenAddr=127.0.0.1:{port}", f"-storageDataPath={tmp_path / 'vm'}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return urllib.request.urlopen(f"{base}/health", timeout=1).status == 200
        except OSError:
            return False

    try:
        wait_for(up, "victoria-metrics to answer")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def exported(base: str) -> list[dict]:
    urllib.request.urlopen(f"{base}/internal/force_flush", timeout=5).read()
    query = urllib.parse.quote('{__name__="observation_value",twin="lift-001"}')
    with urllib.request.urlopen(f"{base}/api/v1/export?match[]={query}", timeout=5) as response:
        return [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]


def test_the_lift_writes_each_published_value_to_the_central_influx(influx_api):
    if not broker_answers(*MOSQUITTO):
        require_service(f"Mosquitto at {MOSQUITTO[0]}:{MOSQUITTO[1]} does not answer")
    seed, count = 77, 3
    model = LiftModel(seed)
    expected = [model.step(0.1) for _ in range(count)]
    result = run_module("twins.lift", "--count", str(count), "--interval", "0.1", "--seed", str(seed), "--no-ui",
                        env={"MQTT_URL": f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}", "CENTRAL_INFLUX_URL": influx_api,
                             "INFLUX_ORG": "dtp", "INFLUX_BUCKET": "signals", "INFLUX_TOKEN": "t0ken"})
    assert result.returncode == 0, result.stderr
    def complete():
        series = exported(influx_api)
        return series if len(series) == 3 and all(len(s["values"]) == count for s in series) else None

    series = wait_for(complete, f"three series of {count} points in the store")
    by_signal = {s["metric"]["signal"]: s for s in series}
    assert set(by_signal) == {"vibration_rms", "door_cycles", "load"}
    for signal, s in by_signal.items():
        assert s["metric"]["unit"] == {"vibration_rms": "mm/s", "door_cycles": "count", "load": "kg"}[signal]
        assert s["values"] == [float(tick[signal]) for tick in expected]


def test_without_all_four_variables_nothing_is_written():
    from twins.common.influx import InfluxSettings

    full = {"CENTRAL_INFLUX_URL": "http://x:8086", "INFLUX_ORG": "o", "INFLUX_BUCKET": "b", "INFLUX_TOKEN": "t"}
    assert InfluxSettings.from_env(full) == InfluxSettings("http://x:8086", "o", "b", "t")
    for missing in full:
        assert InfluxSettings.from_env({k: v for k, v in full.items() if k != missing}) is None
