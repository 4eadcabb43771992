"""The fleet's fault log is exact: same seed, same log; the faults in the log are the ones in the data."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest

from tests.test_twin_fleet import generate
from twins.fleet.faultlog import FaultLog
from twins.fleet.run import SIM_START, build_sims, load_fleet, simulate

TICKS, DT, RATE = 600, 5.0, 0.03


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet")
    generate(out, "--machines", "30")
    return load_fleet(out)


def logged(fleet, seed: int) -> tuple[list[dict], list[dict]]:
    out = io.StringIO()
    rows = simulate(fleet, seed=seed, ticks=TICKS, dt=DT, fault_rate=RATE, faults=FaultLog(out, seed))
    return [json.loads(line) for line in out.getvalue().splitlines()], rows


def test_the_same_seed_writes_the_same_log_and_another_seed_another(fleet):
    one, _ = logged(fleet, 7)
    assert len(one) > 50  # dozens of faults over the 30 machines
    assert one == logged(fleet, 7)[0]
    assert one != logged(fleet, 8)[0]
    assert set(one[0]) == {"machine", "machine_type", "signal", "topic", "kind", "start", "end", "start_tick",
                           "end_tick", "magnitude", "seed", "complete"}
    assert {r["kind"] for r in one} == {"spike", "step", "drift", "stuck", "noise_burst", "dropout"}
    assert {r["machine_type"] for r in one} >= {"pump", "turbine", "robot_arm"}


def test_start_and_end_are_the_times_of_the_first_and_last_affected_ticks(fleet):
    records, _ = logged(fleet, 7)
    for r in records:
        assert datetime.fromisoformat(r["start"].replace("Z", "+00:00")) == SIM_START + timedelta(
            seconds=r["start_tick"] * DT)
        assert datetime.fromisoformat(r["end"].replace("Z", "+00:00")) == SIM_START + timedelta(
            seconds=r["end_tick"] * DT)
        assert r["start_tick"] <= r["end_tick"] and r["seed"] == 7
        if r["kind"] == "spike":
            assert r["start_tick"] == r["end_tick"]
    # a machine has one fault at a time: its records never overlap
    by_machine: dict[str, list[tuple[int, int]]] = {}
    for r in records:
        by_machine.setdefault(r["machine"], []).append((r["start_tick"], r["end_tick"]))
    for spans in by_machine.values():
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))


def test_the_faults_in_the_log_are_the_ones_in_the_data(fleet):
    records, rows = logged(fleet, 7)
    logged_ticks = {(r["machine"], r["signal"], t) for r in records for t in range(r["start_tick"], r["end_tick"] + 1)}

    faulty = set()  # what the simulator applied to each reading, stepped afresh from the same seed
    sims = build_sims(fleet, 7, RATE)
    for tick in range(TICKS):
        for machine, sim in zip(fleet, sims, strict=True):
            faulty |= {(machine.spec.id, r.signal, tick) for r in sim.step(DT) if r.fault is not None}
    assert faulty == logged_ticks

    topic_of = {(m.spec.id, name): b.topic for m in fleet for name, b in m.bindings.items()}
    gaps = {(topic, t) for t, row in enumerate(rows) for topic, value in row.items() if value is None}
    dropouts = {(topic_of[(m, s)], t) for m, s, t in logged_ticks
                if any(r["kind"] == "dropout" and r["machine"] == m and r["start_tick"] <= t <= r["end_tick"]
                       for r in records)}
    assert gaps == dropouts  # every missing message is a logged dropout, and every dropout tick is missing
    for r in (r for r in records if r["kind"] == "stuck"):
        values = {rows[t][r["topic"]] for t in range(r["start_tick"], r["end_tick"] + 1)}
        assert len(values) == 1  # a frozen transmitter repeats one value exactly


def test_a_fault_still_under_way_when_the_run_stops_is_logged_as_incomplete(fleet):
    out = io.StringIO()
    simulate(fleet, seed=3, ticks=1, dt=DT, fault_rate=1.0, faults=FaultLog(out, 3))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == len(fleet)  # a fault started on every machine at tick 0
    assert all(r["start_tick"] == 0 for r in records)
    assert {r["complete"] for r in records if r["kind"] != "spike"} == {False}
    assert all(r["complete"] and r["end_tick"] == 0 for r in records if r["kind"] == "spike")


def test_the_run_logs_each_fault_with_the_times_its_messages_carry(tmp_path):
    import os

    from tests.conftest import require_service
    from tests.mqtt_helpers import MOSQUITTO, Subscriber, broker_answers, run_module, wait_for

    if not broker_answers(*MOSQUITTO):
        require_service(f"Mosquitto at {MOSQUITTO[0]}:{MOSQUITTO[1]} does not answer")
    tenant = f"t-{os.urandom(4).hex()}"  # the fleet's topics carry the tenant: this test's own
    generate(tmp_path / "fleet", "--machines", "15", "--tenant", tenant)
    log_file = tmp_path / "faults.jsonl"
    sub = Subscriber(f"dtp/fleet/{tenant}/#")
    try:
        # One message per reading (--no-batch), so each signal's stamps are on its own topic to compare.
        result = run_module("twins.fleet", "run", "--specs", str(tmp_path / "fleet"), "--count", "4", "--no-batch",
                            "--interval", "0.1", "--seed", "1", "--fault-rate", "1", "--faults-log", str(log_file),
                            env={"MQTT_URL": f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}"})
        assert result.returncode == 0, result.stderr
        records = [json.loads(line) for line in log_file.read_text().splitlines()]
        wait_for(lambda: len({m.json()["ts"] for m in sub.received()}) >= 4, "messages of all four ticks")
    finally:
        sub.close()
    ticks = sorted({m.json()["ts"] for m in sub.received()})
    assert len(ticks) == 4
    stamps = {m.topic: set() for m in sub.received()}
    for m in sub.received():
        stamps[m.topic].add(m.json()["ts"])
    assert {r["machine"] for r in records if r["start_tick"] == 0} == {m.spec.id for m in load_fleet(tmp_path / "fleet")}
    for r in records:
        assert r["start"] == ticks[r["start_tick"]] and r["end"] == ticks[r["end_tick"]], r
        window = set(ticks[r["start_tick"]:r["end_tick"] + 1])
        if r["kind"] == "dropout":
            assert not window & stamps.get(r["topic"], set()), r  # withheld: no message in its window
        else:
            assert window <= stamps[r["topic"]], r  # sent, with exactly these timestamps
