"""init_stores, smoke, the embedded broker and the spool, through their public entries."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from dataplane.spool import Spool, SpoolFull
from tests.browser.server import free_port
from tests.conftest import REPO


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "manage.py"), *args], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=120)


@pytest.fixture
def stores_env(db_env, victoria_metrics, s3_server, falkordb_server, mosquitto) -> dict[str, str]:
    return {**db_env, "INFLUX_URL": f"http://127.0.0.1:{victoria_metrics.port}", "INFLUX_TOKEN": "t",
            "NEO4J_URL": f"falkordb://127.0.0.1:{falkordb_server.port}/dtp",
            "MINIO_ENDPOINT": f"http://127.0.0.1:{s3_server.port}", "MINIO_ACCESS_KEY": "k",
            "MINIO_SECRET_KEY": "s", "MINIO_BUCKET": "dtp-smoke", "MQTT_URL": mosquitto,
            "COLUMNS": "200"}


@pytest.mark.django_db(transaction=True)
def test_init_stores_is_idempotent_and_smoke_reads_back_from_every_store(stores_env):
    first = run(["init_stores"], stores_env)
    assert first.returncode == 0, first.stderr
    assert "bucket created" in first.stdout and "indexes ready" in first.stdout
    second = run(["init_stores"], stores_env)
    assert second.returncode == 0 and "bucket exists" in second.stdout, second.stderr

    smoke = run(["smoke"], stores_env)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    rows = {line.split("│")[1].strip(): line for line in smoke.stdout.splitlines() if line.startswith("│")}
    assert set(rows) == {"timescale", "influx", "graph", "blobs", "mqtt"}
    for store in ("timescale", "graph", "blobs", "mqtt"):
        assert rows[store].count(" ok ") == 2, rows[store]
    # victoria-metrics takes Influx writes but has no Flux API to read them back: said, not hidden.
    assert " ok " in rows["influx"] and "n/a" in rows["influx"] and "no Flux query API" in rows["influx"]


@pytest.mark.django_db(transaction=True)
def test_smoke_fails_and_names_the_store_that_is_down(db_env):
    closed = free_port()
    smoke = run(["smoke"], {**db_env, "INFLUX_URL": f"http://127.0.0.1:{closed}", "INFLUX_TOKEN": "t",
                            "COLUMNS": "200"})
    assert smoke.returncode == 1
    assert "smoke check failed for: influx" in smoke.stderr
    assert "not configured" in smoke.stdout  # graph, blobs, mqtt are not set here


def test_the_embedded_broker_says_in_one_line_when_its_port_is_taken():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "dataplane.broker", "--port", str(port)], cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"MQTT_URL=mqtt://127.0.0.1:{port}" in lines[0] and "Traceback" not in proc.stderr


def test_the_spool_keeps_batches_in_order_across_a_restart_and_refuses_when_full(tmp_path):
    spool = Spool(tmp_path, max_bytes=200)
    spool.put([{"k": "obs", "n": 1}])
    spool.put([{"k": "obs", "n": 2}, {"k": "obs", "n": 3}])
    with pytest.raises(SpoolFull):
        spool.put([{"k": "obs", "pad": "x" * 300}])

    reopened = Spool(tmp_path, max_bytes=200)  # as after an ingest restart
    assert reopened.state().depth == 2 and reopened.state().records == 3
    seq, first = reopened.peek()
    assert first == [{"k": "obs", "n": 1}]
    reopened.pop(seq)
    seq, second = reopened.peek()
    assert [r["n"] for r in second] == [2, 3]
    reopened.pop(seq)
    assert reopened.peek() is None and reopened.state().oldest_age_seconds is None


@pytest.mark.django_db(transaction=True)
def test_sync_graph_rebuilds_a_drifted_graph_from_the_registry(tree, scan_cmd, db_env, falkordb_server):
    from dataplane import cypher
    from dataplane.writers.graph import open_session

    tree.twin("a", "pump-1", tenant="plant", extra="dependencies: {static: [tank-1], dynamic: [valve-1]}")
    tree.twin("b", "tank-1", tenant="plant")
    scan_cmd(str(tree.root))
    url = f"falkordb://127.0.0.1:{falkordb_server.port}/dtp"
    session = open_session(url)
    session.run("MERGE (n:Twin {id: 'gone-9', name: 'Gone'})")  # left over from a deleted twin
    session.run("MERGE (a:Twin {id: 'pump-1'}) MERGE (b:Twin {id: 'old-3'}) MERGE (a)-[:DEPENDS_ON {kind: 'static'}]->(b)")

    result = run(["sync_graph"], {**db_env, "NEO4J_URL": url})
    assert result.returncode == 0, result.stderr
    assert "2 twins in step" in result.stdout
    assert session.run(cypher.EDGES_OF, {"id": "pump-1"}) == [["tank-1", "static"], ["valve-1", "dynamic"]]
    ids = [row[0] for row in session.run("MATCH (n:Twin) RETURN n.id ORDER BY n.id")]
    assert ids == ["pump-1", "tank-1", "valve-1"]  # gone-9 and old-3 removed; valve-1 is a declared target
    assert session.run(cypher.NODE, {"id": "tank-1"}) == [["Tank-1", "plant", "active"]]
