"""MQTT-to-PostgreSQL ingest throughput against raw COPY of the same rows (the data-plane benchmark).

`python -m bench.ingest --messages N` on the database in DATABASE_URL (PostgreSQL): N observations are
published to the broker (MQTT_URL, default the local one) on topics twins declare, the real
`manage.py ingest` process writes them, and the figure is observations per second from the first
publish to the last row committed. The baseline is `COPY` of the same N rows into the same
`observation` table on the same server. Also the ingest process's peak RSS (VmHWM) under that load.
Prints the rows as JSON on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
TWINS = 50
CHUNK = 200
WINDOW = 900


def _say(message: str) -> None:
    print(f"[ingest bench] {message}", file=sys.stderr, flush=True)


def _count(conn) -> int:
    return conn.execute("SELECT count(*) FROM observation WHERE twin LIKE 'bi-%'").fetchone()[0]


def _rows(messages: int) -> list[tuple]:
    """The observations both paths write: distinct instants, spread over TWINS twins."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [(start + timedelta(microseconds=i), f"bi-{i % TWINS:03d}", "v", float(i % 1000), "good")
            for i in range(messages)]


def copy_baseline(messages: int) -> dict:
    """In a process of its own: raw COPY of the same rows; its time and its own peak RSS."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    django.setup()
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    rows = _rows(messages)
    with psycopg.connect(dbname=s["NAME"], user=s["USER"] or None, password=s["PASSWORD"] or None,
                         host=s["HOST"] or None, port=s["PORT"] or None, autocommit=True) as conn:
        conn.execute("DELETE FROM observation WHERE twin LIKE 'bi-%'")
        t0, c0 = time.perf_counter(), time.process_time()
        with conn.cursor() as cur, cur.copy("COPY observation (time, twin, signal, value, quality) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        conn.execute("DELETE FROM observation WHERE twin LIKE 'bi-%'")
    return {"seconds": seconds, "cpu": cpu, "peak_kib": _peak_rss_kib(os.getpid())}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run(messages: int, broker: str) -> list[dict]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    django.setup()
    import paho.mqtt.client as mqtt
    import psycopg
    from django.db import connection

    from dataplane.mqtt import parse_mqtt_url

    if connection.vendor != "postgresql":
        raise SystemExit("the ingest benchmark runs on PostgreSQL (set DATABASE_URL)")
    s = connection.settings_dict
    dsn = dict(dbname=s["NAME"], user=s["USER"] or None, password=s["PASSWORD"] or None,
               host=s["HOST"] or None, port=s["PORT"] or None)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    prefix = f"bench/{secrets.token_hex(3)}"
    work = Path(tempfile.mkdtemp(prefix="dtp-bench-ingest-"))
    tree = work / "twins"
    for i in range(TWINS):
        folder = tree / f"bi-{i:03d}"
        folder.mkdir(parents=True)
        (folder / "twin.yaml").write_text(
            f"id: bi-{i:03d}\nname: Bench {i}\ntenant: bench\ninterfaces:\n  data_streams:\n"
            f"    - {{uri: mqtt://{prefix}/bi-{i:03d}/v, signal: v, unit: u, interval: 1}}\n")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "scan_twins", str(tree)], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    with psycopg.connect(**dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM observation WHERE twin LIKE 'bi-%'")

    log = open(work / "ingest.log", "w")
    ingest = subprocess.Popen([sys.executable, "manage.py", "ingest", "--broker", broker, "--topic", f"{prefix}/#",
                               "--no-projection"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                              env={**env, "DTP_SPOOL_DIR": str(work / "spool"), "INFLUX_URL": "", "NEO4J_URL": "",
                                   "MINIO_ENDPOINT": "", "DTP_LOG_LEVEL": "WARNING"})
    rows = _rows(messages)
    try:
        address = parse_mqtt_url(broker)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{secrets.token_hex(3)}")
        client.max_queued_messages_set(0)
        client.connect(address.host, address.port)
        client.loop_start()
        time.sleep(2.0)  # the ingest subscribes on connect; give it its session before the burst
        with psycopg.connect(**dsn, autocommit=True) as conn:
            _say(f"publishing {messages} observations to {broker}")
            t0, cpu0 = time.perf_counter(), _cpu_seconds(ingest.pid)
            # Keep at most WINDOW observations between the broker and the table: Mosquitto's default
            # queue per subscriber (max_queued_messages 1000) drops QoS 1 messages beyond it, which
            # would measure the broker's limit instead of the ingest's throughput.
            publishing = 0.0
            for first in range(0, messages, CHUNK):
                p0 = time.perf_counter()
                infos = [client.publish(f"{prefix}/{twin}/v", json.dumps({"value": value, "ts": when.isoformat()}),
                                        qos=1) for when, twin, _, value, _ in rows[first:first + CHUNK]]
                for info in infos:
                    info.wait_for_publish(timeout=60)
                publishing += time.perf_counter() - p0
                while first + CHUNK - _count(conn) > WINDOW:
                    time.sleep(0.005)
            deadline = time.monotonic() + 300
            while _count(conn) < messages and time.monotonic() < deadline:
                time.sleep(0.02)
            elapsed, ingest_cpu = time.perf_counter() - t0, _cpu_seconds(ingest.pid) - cpu0
            got = _count(conn)
            if got < messages:
                raise SystemExit(f"only {got} of {messages} observations arrived; see {work / 'ingest.log'}")
            peak = _peak_rss_kib(ingest.pid)
            _say(f"ingest: {messages / elapsed:.0f} obs/s ({publishing:.2f} s of {elapsed:.2f} s spent publishing; "
                 f"ingest CPU {ingest_cpu:.2f} s), peak RSS {peak / 1024:.0f} MiB")

            conn.execute("DELETE FROM observation WHERE twin LIKE 'bi-%'")
        baseline_run = subprocess.run([sys.executable, "-m", "bench.ingest", "--copy-baseline", str(messages)],
                                      cwd=REPO, env=env, capture_output=True, text=True, check=True)
        base = json.loads(baseline_run.stdout)
        _say(f"raw COPY: {messages / base['seconds']:.0f} rows/s, peak RSS {base['peak_kib'] / 1024:.0f} MiB")
        client.loop_stop()
        client.disconnect()
    finally:
        ingest.terminate()
        ingest.wait(timeout=30)
        log.close()
    ours, baseline = messages / elapsed, messages / base["seconds"]
    return [
        {"benchmark": "MQTT → ingest → PostgreSQL vs raw COPY", "db": "postgres", "size": messages,
         "ours": ours, "baseline": baseline, "ratio": ours / baseline, "unit": "observations/s"},
        # The end-to-end rate above includes the publisher's share of this machine's cores; the ingest's
        # own CPU per observation says what one ingest core can take.
        {"benchmark": "ingest CPU per 1000 observations vs the COPY client's", "db": "postgres", "size": messages,
         "ours": ingest_cpu * 1000 / messages * 1000, "baseline": base["cpu"] * 1000 / messages * 1000,
         "ratio": ingest_cpu / base["cpu"], "unit": "CPU ms"},
        {"benchmark": "ingest peak RSS vs a process COPYing the same rows", "db": "postgres", "size": messages,
         "ours": peak / 1024, "baseline": base["peak_kib"] / 1024, "ratio": peak / base["peak_kib"],
         "unit": "MiB"},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--broker", default=os.environ.get("MQTT_URL") or "mqtt://127.0.0.1:1883")
    parser.add_argument("--copy-baseline", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.copy_baseline:
        print(json.dumps(copy_baseline(args.copy_baseline)))
        return
    broker, embedded = args.broker, None
    address = urlsplit(broker)
    try:
        socket.create_connection((address.hostname, address.port or 1883), timeout=1).close()
    except OSError:  # no broker there: an embedded one (amqtt) on a free port, as make run does
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        embedded = subprocess.Popen([sys.executable, "-m", "dataplane.broker", "--port", str(port)], cwd=REPO,
                                    stdout=subprocess.DEVNULL)
        broker = f"mqtt://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _say(f"no broker at {args.broker}; using an embedded one on {broker}")
    try:
        print(json.dumps(run(args.messages, broker)))
    finally:
        if embedded is not None:
            embedded.terminate()
            embedded.wait(timeout=10)


if __name__ == "__main__":
    main()
