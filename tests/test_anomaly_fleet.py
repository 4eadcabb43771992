"""A small fleet run (twins.fleet, fixed seed) with one injected fault, through the real ingest with detectors on
every signal of every machine: exactly one anomaly alarm, on the machine and signal the fault log names, raised
at the fault's first reading."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from django.db import connection

from tests.alarm_helpers import start_ingest, wait_alarm
from tests.mqtt_helpers import REPO, run_module
from tests.test_ingest_faults import broker  # noqa: F401 - a Mosquitto of the test's own
from tests.test_twin_fleet import generate
from twins.fleet.run import load_fleet

pytestmark = pytest.mark.django_db(transaction=True)

# Three machines (pump, compressor, motor: 15 signals), 90 ticks of 0.2 s. With this seed and rate the fleet
# injects one fault: a step on the motor's power_factor from tick 46 to 74, after the detectors' 30 readings of
# warm-up. The test reads the fault log rather than trusting this comment.
SEED, RATE, TICKS, INTERVAL = "113", "0.004", 90, "0.2"
FLEET = "twin LIKE 'acme-factory-%%'"  # the data tables outlive a test: count this fleet's rows only


def _rules_files(models: Path, fleet_dir: Path) -> None:
    """One rules file per machine model: a default detector and an `anomaly_above: 0.8` rule on every signal.

    gap_factor 0: the run stamps readings with the wall clock, whose gaps on a loaded test machine say
    nothing about the machine (the fault here is not a dropout).
    """
    by_model = {m.spec.model: sorted(m.bindings) for m in load_fleet(fleet_dir)}
    for i, (dtmi, signals) in enumerate(sorted(by_model.items())):
        lines = [f"model: {dtmi}", "rules:"]
        lines += [f"  - {{id: odd-{s}, signal: {s}, anomaly_above: 0.8}}" for s in signals]
        lines += ["anomaly:"] + [f"  - {{signal: {s}, params: {{gap_factor: 0}}}}" for s in signals]
        (models / f"machine-{i}.rules.yaml").write_text("\n".join(lines) + "\n")


def _count(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_one_injected_fault_raises_exactly_one_anomaly_alarm_on_its_machine_and_signal(
        tree, scan_cmd, db_env, broker, tmp_path):  # noqa: F811
    from alarms.models import Alarm

    generate(tree.root, "--machines", "3")
    models = tree.root.parent / "models"
    shutil.copytree(REPO / "models" / "fleet", models / "fleet")
    shutil.copytree(REPO / "models" / "platform", models / "platform")  # what the machine models extend
    _rules_files(models, tree.root)
    result = scan_cmd(str(tree.root))
    assert result.code == 0, result.out + result.err
    with connection.cursor() as cursor:  # plain tables: the test flush does not empty them
        cursor.execute(f"DELETE FROM observation WHERE {FLEET}")
        cursor.execute(f"DELETE FROM rule_input WHERE {FLEET}")
    ingest = start_ingest(db_env, broker, "dtp/fleet/acme-factory", tmp_path)
    faults = tmp_path / "faults.jsonl"
    try:
        run = run_module("twins.fleet", "run", "--specs", str(tree.root), "--seed", SEED, "--fault-rate", RATE,
                         "--interval", INTERVAL, "--count", str(TICKS), "--faults-log", str(faults),
                         "--mqtt-url", f"mqtt://127.0.0.1:{broker.port}", timeout=120)
        assert run.returncode == 0, run.stderr
        readings = TICKS * 15
        wait_alarm(ingest, "every reading stored and evaluated", lambda: _count(
            f"SELECT count(*) FROM observation WHERE {FLEET} AND signal NOT LIKE '%%:anomaly_score'") == readings
            and _count(f"SELECT count(*) FROM rule_input WHERE {FLEET}") == 0)
    finally:
        ingest.stop()
    (fault,) = [json.loads(line) for line in faults.read_text().splitlines()]  # the run injected one fault
    alarms = list(Alarm.objects.filter(rule_kind="anomaly"))
    assert [(a.twin_id, a.rule) for a in alarms] == [(fault["machine"], f"odd-{fault['signal']}")]
    assert alarms[0].started_at == datetime.fromisoformat(fault["start"].replace("Z", "+00:00"))
    assert _count(f"SELECT count(*) FROM observation WHERE {FLEET} AND signal LIKE '%%:anomaly_score'") \
        == (TICKS - 30) * 15
