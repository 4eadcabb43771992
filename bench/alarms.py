"""Alarm benchmarks on PostgreSQL: ingest throughput with 10 rules per twin (and with them and an anomaly
detector per twin) against none, and the latency from the MQTT publish that crosses a threshold to the
`alarm.raise` event at an SSE client.

`python -m bench.alarms --messages N` on the database in DATABASE_URL. The real `manage.py ingest`
(its evaluator thread included) writes and evaluates; a run ends when every observation is stored
and the rule journal is empty (every row evaluated). The latency run adds the real web process
(uvicorn, demo mode) and one SSE client per sample (bench.sse_clients). Rows as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.fanout import _arrivals, _clients
from bench.servers import REPO, WebServer, percentile, server_env, shipped_mosquitto

TWINS = 50
CHUNK = 200
WINDOW = 750  # plus a CHUNK in flight: under Mosquitto's default queue of 1,000 (on a local broker)
SAMPLES = 20
# Ten rules of every kind, at levels the benchmark's values never reach: evaluation without alarm writes.
TEN_RULES = """rules:
  - {id: r1, signal: v, above: 1000000000, for: 5s, clear_below: 900000000, severity: major}
  - {id: r2, signal: v, below: -1000000000, deadband: 5}
  - {id: r3, signal: v, rate_above: 1000000000, window: 30s}
  - {id: r4, signal: v, rate_below: -1000000000, window: 10s, per: 1m}
  - {id: r5, no_data: 1h, severity: warning}
  - {id: r6, signal: v, anomaly_above: 0.99}
  - {id: r7, all: [{signal: v, above: 1000000000}, {signal: v, rate_above: 1000000000}], for: 1m}
  - {id: r8, any: [{signal: v, above: 1000000000}, {signal: v, below: -1000000000}]}
  - {id: r9, signal: v, above: 1000000000, severity: minor, escalate: [{after: 5m, severity: critical}]}
  - {id: r10, signal: v, above: 1000000000, levels: [{above: 2000000000, severity: critical}]}
"""
# The same and the default detector on v, whose score (v:anomaly_score) r6 reads: scores written as
# observations, detector state saved every pass.
WITH_DETECTOR = TEN_RULES + "anomaly:\n  - {signal: v}\n"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _tree(work: Path, prefix: str, rules: str) -> Path:
    tree = work / "twins"
    for i in range(TWINS):
        folder = tree / f"ba-{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "twin.yaml").write_text(
            f"id: ba-{i:03d}\nname: Bench {i}\ntenant: bench\ninterfaces:\n  data_streams:\n"
            f"    - {{uri: mqtt://{prefix}/ba-{i:03d}/v, signal: v, unit: u, interval: 1}}\n" + rules)
    return tree


def _ingest(work: Path, broker: str, prefix: str, env: dict[str, str]) -> subprocess.Popen:
    log = open(work / f"ingest-{secrets.token_hex(2)}.log", "w")
    return subprocess.Popen([sys.executable, "manage.py", "ingest", "--broker", broker, "--topic", f"{prefix}/#",
                             "--no-projection"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            env={**env, "DTP_SPOOL_DIR": str(work / "spool"), "INFLUX_URL": "", "NEO4J_URL": "",
                                 "MINIO_ENDPOINT": "", "DTP_LOG_LEVEL": "WARNING", "DTP_ALARM_TICK": "0.2",
                                 "DTP_INGEST_CLIENT_ID": f"dtp-bench-alarms-{secrets.token_hex(3)}"})


def _wait_subscribed(conn, ingest: subprocess.Popen, since: datetime) -> None:
    """Until the ingest reports itself connected and subscribed (what the tests wait for too)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ingest.poll() is not None:
            raise SystemExit("the ingest exited before it subscribed")
        row = conn.execute("SELECT count(*) FROM dataplane_ingeststatus WHERE updated_at > %s "
                           "AND (report->>'connected')::boolean", (since,)).fetchone()
        if row[0]:
            return
        time.sleep(0.1)
    raise SystemExit("the ingest did not subscribe within 120 s")


def _client(broker: str):
    import paho.mqtt.client as mqtt

    from dataplane.mqtt import parse_mqtt_url

    address = parse_mqtt_url(broker)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{secrets.token_hex(3)}")
    client.max_queued_messages_set(0)
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def _throughput(conn, client, prefix: str, messages: int) -> float:
    """Observations per second from the first publish until all are stored and evaluated."""
    def pending() -> tuple[int, int]:
        stored = conn.execute("SELECT count(*) FROM observation WHERE twin LIKE 'ba-%%' "
                              "AND signal NOT LIKE '%%:anomaly_score'").fetchone()[0]
        return stored, conn.execute("SELECT count(*) FROM rule_input").fetchone()[0]

    start = datetime.now(timezone.utc) - timedelta(hours=1)
    t0 = time.perf_counter()
    for first in range(0, messages, CHUNK):
        infos = [client.publish(f"{prefix}/ba-{i % TWINS:03d}/v",
                                json.dumps({"value": float(i % 97), "ts": (start + timedelta(milliseconds=i)).isoformat()}),
                                qos=1) for i in range(first, min(messages, first + CHUNK))]
        for info in infos:
            info.wait_for_publish(timeout=60)
        while first + CHUNK - pending()[0] > WINDOW:
            time.sleep(0.005)
    deadline = time.monotonic() + 300
    while pending() != (messages, 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    if pending() != (messages, 0):
        raise SystemExit(f"stored/unevaluated after 300 s: {pending()} of {messages}")
    return messages / (time.perf_counter() - t0)


def _run_mode(work: Path, broker: str, env: dict[str, str], dsn: dict, rules: str, messages: int) -> float:
    import psycopg

    prefix = f"bench/{secrets.token_hex(3)}"
    tree = _tree(work, prefix, rules)  # one folder: the scan moves the same twins to the new rules
    subprocess.run([sys.executable, "manage.py", "scan_twins", "--prune", str(tree)], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    with psycopg.connect(**dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM observation WHERE twin LIKE 'ba-%%'")
        conn.execute("DELETE FROM rule_input")
        since = datetime.now(timezone.utc)
        ingest = _ingest(work, broker, prefix, env)
        client = _client(broker)
        try:
            _wait_subscribed(conn, ingest, since)
            return _throughput(conn, client, prefix, messages)
        finally:
            client.loop_stop()
            client.disconnect()
            ingest.terminate()
            ingest.wait(timeout=30)


def _latency(work: Path, broker: str, env: dict[str, str], dsn: dict) -> list[float]:
    """ms from the publish that crosses `above: 100` to the alarm.raise carrying that value at an SSE client."""
    prefix = f"bench/{secrets.token_hex(3)}"
    tree = _tree(work, prefix, "rules:\n  - {id: hot, signal: v, above: 100, clear_below: 90}\n")
    subprocess.run([sys.executable, "manage.py", "scan_twins", "--prune", str(tree)], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    import psycopg

    since = datetime.now(timezone.utc)
    ingest = _ingest(work, broker, prefix, env)
    client = _client(broker)
    latencies = []
    try:
        with WebServer(server_env(DTP_DEMO_MODE="true")) as web, psycopg.connect(**dsn, autocommit=True) as conn:
            _wait_subscribed(conn, ingest, since)
            for k in range(SAMPLES):
                value = 100.0 + (k + 1) / 1000 + 0.000123  # the marker: this value in the event's peak
                clients = _clients(web.port, "/api/portal/stream?tenant=bench", 1, f'"peak": {value}')
                sent = time.time()
                client.publish(f"{prefix}/ba-000/v", json.dumps({"value": value, "ts": datetime.now(
                    timezone.utc).isoformat()}), qos=1).wait_for_publish(timeout=30)
                latencies += _arrivals(clients, sent, 1)
                client.publish(f"{prefix}/ba-000/v", json.dumps({"value": 50.0, "ts": datetime.now(
                    timezone.utc).isoformat()}), qos=1).wait_for_publish(timeout=30)
                time.sleep(0.5)  # the clear is evaluated before the next raise
    finally:
        client.loop_stop()
        client.disconnect()
        ingest.terminate()
        ingest.wait(timeout=30)
    return latencies


def run(messages: int, broker: str) -> list[dict]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("the alarm benchmark runs on PostgreSQL (set DATABASE_URL)")
    s = connection.settings_dict
    dsn = dict(dbname=s["NAME"], user=s["USER"] or None, password=s["PASSWORD"] or None,
               host=s["HOST"] or None, port=s["PORT"] or None)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    work = Path(tempfile.mkdtemp(prefix="dtp-bench-alarms-"))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    none = _run_mode(work, broker, env, dsn, "", messages)
    _say(f"alarms: ingest without rules {none:.0f} obs/s")
    ten = _run_mode(work, broker, env, dsn, TEN_RULES, messages)
    _say(f"alarms: ingest with 10 rules per twin {ten:.0f} obs/s")
    scored = _run_mode(work, broker, env, dsn, WITH_DETECTOR, messages)
    _say(f"alarms: ingest with 10 rules and a detector per twin {scored:.0f} obs/s")
    lat = _latency(work, broker, env, dsn)
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    _say(f"alarms: publish -> alarm.raise at an SSE client p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    return [
        {"benchmark": "ingest with 10 alarm rules per twin vs no rules (goal ≥ 0.8)", "db": "postgres",
         "size": messages, "ours": ten, "baseline": none, "ratio": ten / none, "unit": "observations/s"},
        {"benchmark": "ingest with 10 alarm rules and an anomaly detector per twin vs no rules", "db": "postgres",
         "size": messages, "ours": scored, "baseline": none, "ratio": scored / none, "unit": "observations/s"},
        # No baseline of its own: the ratio is p99 over p50.
        {"benchmark": "MQTT publish crossing a threshold → alarm.raise at an SSE client, p50 (baseline: p99)",
         "db": "postgres", "size": len(lat), "ours": p50, "baseline": p99, "ratio": p50 / p99, "unit": "ms"},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--broker", default=os.environ.get("MQTT_URL"),
                        help="an existing broker; default: a throwaway Mosquitto with the shipped limits "
                             "(bench.servers.shipped_mosquitto), else the local one on 1883")
    args = parser.parse_args()
    server = folder = None
    broker = args.broker
    if broker is None and shutil.which("mosquitto"):
        broker, server, folder = shipped_mosquitto()
    try:
        print(json.dumps(run(args.messages, broker or "mqtt://127.0.0.1:1883")))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
