"""The machine fleet: 15 types, valid generated specs, seeded series, faults that look like anomalies."""

from __future__ import annotations

import os
import statistics

import pytest

from registry.spec import parse_spec
from tests.conftest import require_service
from tests.mqtt_helpers import MOSQUITTO, Subscriber, broker_answers, check_telemetry, run_module, wait_for
from twins.fleet import MACHINE_TYPES, load_fleet, simulate
from twins.fleet.catalog import machine_type
from twins.fleet.faults import spread
from twins.fleet.sim import MachineSim

TYPES = {"pump", "compressor", "motor", "conveyor", "fan", "boiler", "chiller", "turbine", "generator", "cnc_mill",
         "lathe", "press", "robot_arm", "mixer", "extruder"}


def generate(out, *args: str):
    result = run_module("twins.fleet", "generate", "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    return result


def specs_under(folder):
    parsed = [parse_spec(p.read_bytes(), str(p)) for p in sorted(folder.rglob("twin.yaml"))]
    assert all(p.ok for p in parsed), [str(e) for p in parsed for e in p.errors]
    return [p.spec for p in parsed]


def test_fifteen_machines_are_fifteen_valid_specs_one_of_each_type(tmp_path):
    result = generate(tmp_path / "fleet", "--machines", "15", "--seed", "3")
    assert "wrote 15 twin.yaml files (15 machine types)" in result.stdout
    specs = specs_under(tmp_path / "fleet")
    assert len(specs) == 15
    assert {s.metadata["machine_type"] for s in specs} == TYPES == {t.key for t in MACHINE_TYPES}
    for spec in specs:
        kind = machine_type(spec.metadata["machine_type"])
        assert spec.tenant == "acme-factory"
        assert [s.signal for s in spec.streams] == [s.name for s in kind.signals]
        assert all(s.kind == "mqtt" and s.topic.startswith("dtp/fleet/acme-factory/") for s in spec.streams)
        assert len(kind.signals) >= 4


def test_generation_is_deterministic_for_a_seed_and_regenerating_removes_machines_no_longer_in_the_fleet(tmp_path):
    generate(tmp_path / "a", "--machines", "40", "--seed", "9", "--tenant", "plant-x")
    generate(tmp_path / "b", "--machines", "40", "--seed", "9", "--tenant", "plant-x")
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("twin.yaml")}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("twin.yaml")}
    assert files_a == files_b and len(files_a) == 40
    assert {s.tenant for s in specs_under(tmp_path / "a")} == {"plant-x"}
    hand_written = tmp_path / "a" / "mine" / "twin.yaml"
    hand_written.parent.mkdir()
    hand_written.write_text("id: mine\nname: Mine\ntenant: plant-x\n")
    generate(tmp_path / "a", "--machines", "5", "--seed", "9", "--tenant", "plant-x")
    assert len(list((tmp_path / "a").rglob("twin.yaml"))) == 6  # the 5 generated, and the hand-written one kept


def test_a_bad_fleet_request_is_refused_with_the_option_named(tmp_path):
    result = run_module("twins.fleet", "generate", "--out", str(tmp_path), "--tenant", "Acme Corp")
    assert result.returncode == 2 and "--tenant must be a lowercase slug" in result.stderr
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "twin.yaml").write_text("id: m1\nname: M\ntenant: t\nmetadata: {machine_type: toaster}\n")
    result = run_module("twins.fleet", "run", "--specs", str(tmp_path), "--once")
    assert result.returncode == 2
    assert f"{tmp_path / 'm' / 'twin.yaml'}: metadata.machine_type is 'toaster'" in result.stderr


def test_a_seed_repeats_the_series_and_another_seed_changes_it(tmp_path):
    generate(tmp_path, "--machines", "15")
    machines = load_fleet(tmp_path)
    one = simulate(machines, seed=5, ticks=50)
    assert one == simulate(machines, seed=5, ticks=50)
    assert one != simulate(machines, seed=6, ticks=50)


def test_signals_stay_near_nominal_and_within_limits_without_faults():
    for kind in MACHINE_TYPES:
        sim = MachineSim("m-1", kind, kind.signals, seed=1, fault_rate=0)
        series = {s.name: [] for s in kind.signals}
        for _ in range(500):
            for r in sim.step(5.0):
                series[r.signal].append(r.value)
        for s in kind.signals:
            values = series[s.name]
            assert all(s.low <= v <= s.high for v in values), (kind.key, s.name)
            assert abs(statistics.fmean(values) - s.nominal) < 4 * spread(s) + abs(s.drift_per_hour), (kind.key, s.name)
            assert len(set(values)) > 1, (kind.key, s.name)  # noisy, never a flat line


def test_injected_faults_look_like_anomalies():
    kind = machine_type("pump")
    sim = MachineSim("pump-1", kind, kind.signals, seed=11, fault_rate=0.05)
    rows = [sim.step(5.0) for _ in range(6000)]
    by_kind: dict[str, list[list]] = {}
    for tick, row in enumerate(rows):
        for r in row:
            if r.fault:
                by_kind.setdefault(r.fault, []).append((tick, r))
    assert set(by_kind) == {"spike", "step", "drift", "stuck", "noise_burst", "dropout"}
    normal = {s.name: [r.value for row in rows for r in row if r.signal == s.name and not r.fault]
              for s in kind.signals}
    for tick, r in by_kind["spike"]:
        values = normal[r.signal]
        z = abs(r.value - statistics.fmean(values)) / statistics.pstdev(values)
        assert z > 2.5, (tick, r)
    assert all(r.value is None for _, r in by_kind["dropout"])  # a gap: no message at all
    stuck_values: dict[str, set] = {}
    for _, r in by_kind["stuck"]:
        stuck_values.setdefault(r.signal, set()).add(r.value)
    assert any(len(v) == 1 for v in stuck_values.values())  # a flat line where there is always noise


@pytest.mark.parametrize("batch", [True, False], ids=["one batch per machine", "one message per reading"])
def test_run_publishes_every_declared_stream_of_the_fleet(tmp_path, batch):
    if not broker_answers(*MOSQUITTO):
        require_service(f"Mosquitto at {MOSQUITTO[0]}:{MOSQUITTO[1]} does not answer")
    tenant = f"t-{os.urandom(4).hex()}"  # the fleet's topics carry the tenant: this test's own
    generate(tmp_path, "--machines", "15", "--tenant", tenant)
    specs = specs_under(tmp_path)
    streams = {s.topic: (s.signal, s.unit) for spec in specs for s in spec.streams}
    topic_of = {(spec.id, s.signal): s.topic for spec in specs for s in spec.streams}
    twin_of = {s.topic: spec.id for spec in specs for s in spec.streams}

    def readings() -> list[tuple[str, dict]]:
        """(the topic of the stream each reading belongs to, the reading), batches unpacked."""
        out = []
        for m in sub.received():
            items = m.json() if isinstance(m.json(), list) else [m.json()]
            out.extend((topic_of[twin_of[m.topic], item["signal"]], item) for item in items)
        return out

    sub = Subscriber(f"dtp/fleet/{tenant}/#")
    try:
        result = run_module("twins.fleet", "run", "--specs", str(tmp_path), "--count", "2", "--interval", "0.1",
                            "--seed", "1", "--fault-rate", "0", *([] if batch else ["--no-batch"]),
                            env={"MQTT_URL": f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}"})
        assert result.returncode == 0, result.stderr
        wait_for(lambda: len(readings()) >= 2 * len(streams), "two readings of every declared fleet stream")
    finally:
        sub.close()
    received = sub.received()
    # Batched: one message per machine and tick, on the machine's own first stream; else one per topic.
    assert len(received) == 2 * (len(specs) if batch else len(streams))
    assert {t for t, _ in readings()} == set(streams)
    for topic, item in readings():
        check_telemetry(item, signal=streams[topic][0], unit=streams[topic][1])
    expected = simulate(load_fleet(tmp_path), seed=1, ticks=2, dt=0.1, fault_rate=0)
    assert sorted((topic, item["value"]) for topic, item in readings()) == sorted(
        (topic, value) for row in expected for topic, value in row.items())
