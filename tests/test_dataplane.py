"""The data plane end to end: MQTT in through `manage.py ingest`, every store out.

Each test runs the real ingest command as a process on the test database,
against real servers (Mosquitto, victoria-metrics for Influx, moto for S3,
FalkorDB for the graph), on topics no other test uses.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.publish as publish
import pytest
from django.db import connection

from dataplane import cypher
from dataplane.models import IngestStatus
from dataplane.writers.blobs import BlobWriter
from dataplane.writers.graph import open_session
from registry.models import PortalEvent, Twin
from tests.browser.server import wait_until
from tests.conftest import REPO
from tests.stores import export_observations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_data_tables():
    """observation, signal and event_log are plain tables, which the test flush does not empty."""
    with connection.cursor() as cursor:
        for table in ("observation", "signal", "event_log"):
            cursor.execute(f"DELETE FROM {table}")


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own: other tests and generators share the broker."""
    return f"dtp/t{secrets.token_hex(4)}"


@pytest.fixture
def ingest(db_env, tmp_path, mosquitto, prefix):
    """Start `manage.py ingest` on this test's topics; stores are switched on by env."""
    procs = []

    def start(**env: str) -> subprocess.Popen:
        full = {**db_env, "MQTT_URL": mosquitto, "DTP_INGEST_TOPICS": f"{prefix}/#",
                "DTP_INGEST_CLIENT_ID": f"dtp-ingest-test-{prefix.rsplit('/', 1)[-1]}",
                "DTP_SPOOL_DIR": str(tmp_path / "spool"), "DTP_INGEST_FLUSH_SECONDS": "0.1",
                "INFLUX_URL": "", "NEO4J_URL": "", "MINIO_ENDPOINT": "", **env}
        log = open(tmp_path / f"ingest-{len(procs)}.log", "w")
        proc = subprocess.Popen([sys.executable, str(REPO / "manage.py"), "ingest"], cwd=REPO, env=full,
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        procs.append(proc)
        wait_until(lambda: proc.poll() is not None or any(
            s.report.get("connected") for s in IngestStatus.objects.all()), what="the ingest to connect")
        assert proc.poll() is None, (tmp_path / f"ingest-{len(procs) - 1}.log").read_text()
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)


def send(prefix: str, rel: str, body: object, *, raw: bytes | None = None) -> None:
    payload = raw if raw is not None else json.dumps(body)
    publish.multiple([{"topic": f"{prefix}/{rel}", "payload": payload, "qos": 1}], hostname="127.0.0.1", port=1883)


def pump_spec(tree, prefix: str, *, deps: str = "", interval: float = 5) -> Path:
    return tree.twin("pump", "pump-1", tenant="plant", name="Pump 1", extra=f"""
        interfaces:
          data_streams:
            - {{uri: mqtt://{prefix}/pump-1/flow, signal: flow, unit: m3/h, interval: {interval}}}
            - mqtt://{prefix}/pump-1/alerts
        {deps}
        """)


def observations(twin: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT signal, value, quality FROM observation WHERE twin = %s ORDER BY time", [twin])
        return cursor.fetchall()


def event_rows(twin: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT severity, body FROM event_log WHERE twin = %s ORDER BY id", [twin])
        return cursor.fetchall()


def counts() -> dict[str, int]:
    total: dict[str, int] = {}
    for status in IngestStatus.objects.all():
        for key, value in status.report.get("counts", {}).items():
            total[key] = total.get(key, 0) + value
    return total


def lane(store: str) -> dict:
    for status in IngestStatus.objects.all():
        for report in status.report.get("stores", []):
            if report["store"] == store:
                return report
    return {}


def test_one_message_reaches_every_store(tree, scan_cmd, prefix, ingest, victoria_metrics, s3_server,
                                         falkordb_server):
    pump_spec(tree, prefix, deps="dependencies: {static: [tank-1]}")
    assert scan_cmd(str(tree.root)).code == 0
    graph_url = f"falkordb://127.0.0.1:{falkordb_server.port}/dtp"
    s3 = BlobWriter(f"127.0.0.1:{s3_server.port}", "test", "test", "dtp-test")
    s3.ensure_bucket()
    ingest(INFLUX_URL=f"http://127.0.0.1:{victoria_metrics.port}", INFLUX_TOKEN="t", NEO4J_URL=graph_url,
           MINIO_ENDPOINT=f"127.0.0.1:{s3_server.port}", MINIO_ACCESS_KEY="test", MINIO_SECRET_KEY="test",
           MINIO_BUCKET="dtp-test")

    sent_at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
    send(prefix, "pump-1/flow", {"value": 12.5, "ts": sent_at.isoformat().replace("+00:00", "Z")})
    send(prefix, "pump-1/alerts", {"severity": "critical", "message": "flow too low", "value": 0.2})

    # TimescaleDB / PostgreSQL (or the embedded SQLite): the observation and the alert row.
    assert wait_until(lambda: observations("pump-1"), what="the observation") == [("flow", 12.5, "good")]
    severity, body = wait_until(lambda: event_rows("pump-1"), what="the event_log row")[0]
    assert severity == "critical" and (json.loads(body) if isinstance(body, str) else body)["message"] == "flow too low"
    alert = wait_until(lambda: PortalEvent.objects.filter(etype="twin.alert").first(), what="the portal alert")
    assert alert.tenant == "plant" and alert.payload["twin_id"] == "pump-1"

    # InfluxDB's write API: measurement observation, tags twin and signal.
    series = wait_until(lambda: export_observations(victoria_metrics, "pump-1"), what="the Influx point")
    assert series[0]["metric"]["signal"] == "flow" and series[0]["values"] == [12.5]
    assert series[0]["timestamps"] == [int(sent_at.timestamp() * 1000)]

    # The graph: the twin's node and its declared dependency.
    session = open_session(graph_url)
    assert wait_until(lambda: session.run(cypher.EDGES_OF, {"id": "pump-1"}), what="the graph edge") == \
        [["tank-1", "static"]]
    assert session.run(cypher.NODE, {"id": "pump-1"}) == [["Pump 1", "plant", "active"]]

    # S3: the spec snapshot, listed in the manifest with its size and sha256.
    manifest = wait_until(lambda: s3.read_manifest("plant", "pump-1")["blobs"], what="the manifest")
    entry = manifest[0]
    data = s3.read(entry["key"])
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
    assert entry["content_type"] == "application/json" and json.loads(data)["id"] == "pump-1"
    assert entry["key"] == f"plant/pump-1/spec/{entry['sha256']}.json"


def test_unknown_topics_and_bad_payloads_are_counted_and_the_loop_goes_on(tree, scan_cmd, prefix, ingest):
    pump_spec(tree, prefix)
    scan_cmd(str(tree.root))
    ingest()
    send(prefix, "nobody/declares/this", {"value": 1})
    send(prefix, "pump-1/flow", None, raw=b"{not json")
    send(prefix, "pump-1/flow", {"value": "high"})
    send(prefix, "pump-1/flow", {"valu": 3})
    send(prefix, "pump-1/flow", {"value": 4.0, "quality": "uncertain"})

    assert wait_until(lambda: observations("pump-1"), what="the good message") == [("flow", 4.0, "uncertain")]
    wait_until(lambda: counts().get("received", 0) >= 5, what="the status report")
    got = counts()
    assert got["rejected.unknown_topic"] == 1 and got["rejected.bad_json"] == 1
    assert got["rejected.bad_value"] == 1 and got["rejected.no_value"] == 1
    assert got["accepted.observation"] == 1


def test_a_store_that_stops_mid_run_gets_every_observation_exactly_once(tree, scan_cmd, prefix, ingest,
                                                                        victoria_metrics):
    pump_spec(tree, prefix)
    scan_cmd(str(tree.root))
    ingest(INFLUX_URL=f"http://127.0.0.1:{victoria_metrics.port}", INFLUX_TOKEN="t")
    start = datetime.now(timezone.utc) - timedelta(hours=1)  # the export API shows only past samples

    def burst(first: int, last: int) -> None:
        publish.multiple([{"topic": f"{prefix}/pump-1/flow", "qos": 1, "payload": json.dumps(
            {"value": float(i), "ts": (start + timedelta(seconds=i)).isoformat()})} for i in range(first, last)],
            hostname="127.0.0.1", port=1883)

    burst(0, 20)
    wait_until(lambda: len(export_observations(victoria_metrics, "pump-1")) == 1 and
               len(export_observations(victoria_metrics, "pump-1")[0]["values"]) == 20, what="the first 20")

    victoria_metrics.stop()
    burst(20, 50)
    # The database keeps receiving while Influx is down; Influx's batches wait in its spool.
    wait_until(lambda: len(observations("pump-1")) == 50, what="the database to get all 50")
    waiting = wait_until(lambda: (lambda r: r if r.get("spool_records") and r["state"] != "ok" else None)(
        lane("influx")), what="the Influx spool to hold the batches")
    assert waiting["oldest_waiting_seconds"] is not None

    victoria_metrics.start()
    wait_until(lambda: lane("influx").get("spool_records") == 0, timeout=60, what="the spool to drain")
    series = export_observations(victoria_metrics, "pump-1")
    values = series[0]["values"]
    assert sorted(values) == [float(i) for i in range(50)]  # every one, none twice


def test_a_dependency_removed_from_twin_yaml_removes_its_graph_edge(tree, scan_cmd, prefix, ingest,
                                                                   falkordb_server):
    path = pump_spec(tree, prefix, deps="dependencies: {static: [tank-1], dynamic: [valve-1]}")
    scan_cmd(str(tree.root))
    graph_url = f"falkordb://127.0.0.1:{falkordb_server.port}/dtp"
    ingest(NEO4J_URL=graph_url)
    session = open_session(graph_url)
    wait_until(lambda: session.run(cypher.EDGES_OF, {"id": "pump-1"}) == [["tank-1", "static"], ["valve-1", "dynamic"]],
               what="both edges")

    path.write_text(path.read_text().replace("dynamic: [valve-1]", "dynamic: []"))
    scan_cmd(str(tree.root))
    wait_until(lambda: session.run(cypher.EDGES_OF, {"id": "pump-1"}) == [["tank-1", "static"]],
               what="the removed edge to go")
    # valve-1 was only a declared target: with no edge left, its node goes too.
    assert session.run("MATCH (n:Twin {id: 'valve-1'}) RETURN n.id") == []


def test_liveness_goes_stale_and_silent_then_receiving_again(tree, scan_cmd, prefix, ingest):
    pump_spec(tree, prefix, interval=0.3)  # stale after 0.9 s, silent after 3 s without data
    scan_cmd(str(tree.root))
    ingest()

    def liveness_events() -> list[str]:
        return [e.payload["twin"]["runtime"].get("liveness") for e in
                PortalEvent.objects.filter(etype="twin.update", payload__twin__id="pump-1").order_by("id")
                if "liveness" in e.payload.get("runtime_changed", [])]

    send(prefix, "pump-1/flow", {"value": 1.0})
    wait_until(lambda: liveness_events() == ["receiving", "stale", "silent"], what="receiving, stale, silent")
    send(prefix, "pump-1/flow", {"value": 2.0})
    wait_until(lambda: liveness_events()[-1:] == ["receiving"], what="receiving again")
    runtime = Twin.objects.get(pk="pump-1").runtime
    assert runtime["liveness"] == "receiving" and datetime.fromisoformat(runtime["last_seen"])


def test_liveness_follows_what_the_ingest_accepts(tree, scan_cmd, prefix, ingest):
    path = pump_spec(tree, prefix, interval=60)  # receiving for three minutes after a message
    scan_cmd(str(tree.root))
    ingest()
    send(prefix, "pump-1/flow", {"value": 1.0})
    wait_until(lambda: Twin.objects.get(pk="pump-1").runtime.get("liveness") == "receiving", what="receiving")

    # Deprecated: the ingest refuses its topics, so its badge says so at once, not minutes later.
    path.write_text(path.read_text().replace("name: Pump 1", "name: Pump 1\nmetadata: {status: deprecated}"))
    assert scan_cmd(str(tree.root)).code == 0
    wait_until(lambda: Twin.objects.get(pk="pump-1").runtime.get("liveness") == "silent", what="silent")

    # Back in service and sending: receiving again, with both keys written together.
    path.write_text(path.read_text().replace("\nmetadata: {status: deprecated}", ""))
    assert scan_cmd(str(tree.root)).code == 0
    send(prefix, "pump-1/flow", {"value": 2.0})
    wait_until(lambda: Twin.objects.get(pk="pump-1").runtime.get("liveness") == "receiving", what="receiving")
    assert Twin.objects.get(pk="pump-1").runtime["last_seen"]
