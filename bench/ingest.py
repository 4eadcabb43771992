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
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TWINS = 50
CHUNK = 200
WINDOW = 900


def _say(message: str) -> None:
    print(f"[ingest bench] {message}", file=sys.stderr, flush=True)


def _count(conn) -> int:
    return conn.execute("SELECT count(*) FROM observation WHERE twin LIKE 'bi-%'").fetchone()[0]


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
    start = datetime.now(timezone.utc) - timedelta(days=1)
    rows = [(start + timedelta(microseconds=i), f"bi-{i % TWINS:03d}", "v", float(i % 1000), "good")
            for i in range(messages)]
    try:
        address = parse_mqtt_url(broker)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{secrets.token_hex(3)}")
        client.max_queued_messages_set(0)
        client.connect(address.host, address.port)
        client.loop_start()
        time.sleep(2.0)  # the ingest subscribes on connect; give it its session before the burst
        with psycopg.connect(**dsn, autocommit=True) as conn:
            _say(f"publishing {messages} observations to {broker}")
            t0 = time.perf_counter()
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
            elapsed = time.perf_counter() - t0
            got = _count(conn)
            if got < messages:
                raise SystemExit(f"only {got} of {messages} observations arrived; see {work / 'ingest.log'}")
            peak = _peak_rss_kib(ingest.pid)
            _say(f"ingest: {messages / elapsed:.0f} obs/s ({publishing:.2f} s of {elapsed:.2f} s spent publishing), "
                 f"peak RSS {peak / 1024:.0f} MiB")

            conn.execute("DELETE FROM observation WHERE twin LIKE 'bi-%'")
            t1 = time.perf_counter()
            with conn.cursor() as cur, cur.copy("COPY observation (time, twin, signal, value, quality) FROM STDIN") \
                    as copy:
                for row in rows:
                    copy.write_row(row)
            copy_elapsed = time.perf_counter() - t1
            _say(f"raw COPY: {messages / copy_elapsed:.0f} rows/s")
            conn.execute("DELETE FROM observation WHERE twin LIKE 'bi-%'")
        client.loop_stop()
        client.disconnect()
    finally:
        ingest.terminate()
        ingest.wait(timeout=30)
        log.close()
    ours, baseline = messages / elapsed, messages / copy_elapsed
    return [
        {"benchmark": "MQTT → ingest → PostgreSQL vs raw COPY", "db": "postgres", "size": messages,
         "ours": ours, "baseline": baseline, "ratio": ours / baseline, "unit": "observations/s"},
        {"benchmark": "ingest process peak RSS under that load", "db": "postgres", "size": messages,
         "ours": peak / 1024, "baseline": peak / 1024, "ratio": 1.0, "unit": "MiB"},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--broker", default=os.environ.get("MQTT_URL") or "mqtt://127.0.0.1:1883")
    args = parser.parse_args()
    print(json.dumps(run(args.messages, args.broker)))


if __name__ == "__main__":
    main()
