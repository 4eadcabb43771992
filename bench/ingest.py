"""MQTT-to-PostgreSQL ingest throughput against its floors (the data-plane benchmark).

`python -m bench.ingest --messages N` on the database in DATABASE_URL (PostgreSQL): N observations are
published to the broker (MQTT_URL, default the local one) on topics twins declare, the real
`manage.py ingest` process writes them, and the figure is per second from the first publish to the
last row committed. Two baselines, measured in the same run with the same publisher:
- one observation per message, against a paho subscriber (in a process of its own) that only counts
  the same N messages: the MQTT protocol floor in Python;
- BATCH observations per message (the batch payload of docs/messages.md), against `COPY` of the same
  N rows into the same `observation` table on the same server.
Also the ingest process's CPU and peak RSS (VmHWM) under that load. Prints the rows as JSON on stdout;
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.servers import shipped_mosquitto, wait_port

REPO = Path(__file__).resolve().parent.parent
TWINS = 50
CHUNK = 200
WINDOW = 750  # messages between the publisher and their arrival, plus a CHUNK: under the default queue of 1,000
BATCH = 10


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


def _count_messages(broker: str, topic: str, counter, ready) -> None:
    """The protocol floor, in a process of its own: a paho subscriber (QoS 1) that only counts messages."""
    import paho.mqtt.client as mqtt

    from dataplane.mqtt import parse_mqtt_url

    def on_message(_client, _userdata, _msg) -> None:
        counter.value += 1

    address = parse_mqtt_url(broker)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-floor-{secrets.token_hex(3)}")
    client.on_message = on_message
    client.on_subscribe = lambda *_args: ready.set()
    client.connect(address.host, address.port)
    client.subscribe(topic, qos=1)
    client.loop_forever()


def _payloads(prefix: str, rows: list[tuple], per_message: int) -> list[tuple[str, str]]:
    """(topic, payload) pairs: one observation per message, or one twin's per_message instants per message."""
    if per_message == 1:
        return [(f"{prefix}/{twin}/v", json.dumps({"value": value, "ts": when.isoformat()}))
                for when, twin, _, value, _ in rows]
    by_twin: dict[str, list[dict]] = {}
    for when, twin, _, value, _ in rows:
        by_twin.setdefault(twin, []).append({"value": value, "ts": when.isoformat()})
    return [(f"{prefix}/{twin}/v", json.dumps(items[i:i + per_message]))
            for twin, items in by_twin.items() for i in range(0, len(items), per_message)]


def _wait_for(total: int, arrived, t0: float) -> float:
    deadline = time.monotonic() + 300
    while arrived() < total and time.monotonic() < deadline:
        time.sleep(0.02)  # each look is a count(*) on the server under measurement: not too often
    if arrived() < total:
        raise SystemExit(f"only {arrived()} of {total} messages arrived")
    return time.perf_counter() - t0


def _publish(publisher, prefix: str, rows: list[tuple], per_message: int, arrived) -> tuple[float, float]:
    """Publish `rows` (per_message observations per message, QoS 1); wait until `arrived()` messages match.

    Returns (elapsed from the first publish to the last arrival, seconds spent publishing).
    """
    payloads = _payloads(prefix, rows, per_message)
    if isinstance(publisher, CPublisher):  # one `mosquitto_pub -l` per topic, all at once
        return _publish_c(publisher, payloads, arrived)
    total = len(payloads)
    t0, publishing = time.perf_counter(), 0.0
    for first in range(0, total, CHUNK):
        p0 = time.perf_counter()
        infos = [publisher.publish(topic, payload, qos=1) for topic, payload in payloads[first:first + CHUNK]]
        for info in infos:
            info.wait_for_publish(timeout=60)
        publishing += time.perf_counter() - p0
        while first + CHUNK - arrived() > WINDOW:
            time.sleep(0.005)
    return _wait_for(total, arrived, t0), publishing


@dataclass(frozen=True)
class CPublisher:
    host: str
    port: int


def _publish_c(publisher: CPublisher, payloads: list[tuple[str, str]], arrived) -> tuple[float, float]:
    """mosquitto_pub (libmosquitto, C) reading one message per line, one process per topic, in parallel.

    The broker is this benchmark's own, with the shipped queue depth, so nothing needs holding back:
    the figure is what the subscriber (the ingest, or the counting floor) takes, not what one Python
    publisher can send.
    """
    folder = Path(tempfile.mkdtemp(prefix="dtp-bench-pub-"))
    by_topic: dict[str, list[str]] = {}
    for topic, payload in payloads:
        by_topic.setdefault(topic, []).append(payload)
    files = []
    for i, (topic, lines) in enumerate(by_topic.items()):
        path = folder / f"{i}.lines"
        path.write_text("\n".join(lines) + "\n")
        files.append((topic, path))
    t0 = time.perf_counter()
    procs = [subprocess.Popen(["mosquitto_pub", "-h", publisher.host, "-p", str(publisher.port), "-q", "1", "-t", topic, "-l",
                               "-i", f"bench-pub-{secrets.token_hex(3)}"], stdin=open(path, "rb"))
             for topic, path in files]
    for proc in procs:
        if proc.wait(timeout=300) != 0:
            raise SystemExit(f"mosquitto_pub exited {proc.returncode}")
    publishing = time.perf_counter() - t0
    elapsed = _wait_for(len(payloads), arrived, t0)
    for _, path in files:
        path.unlink()
    folder.rmdir()
    return elapsed, publishing


def _floor(publisher, broker: str, prefix: str, rows: list[tuple]) -> float:
    """Messages per second to a subscriber that only counts them (same publisher, same broker)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    counter, ready = ctx.Value("q", 0, lock=False), ctx.Event()
    floor_prefix = f"{prefix}-floor"
    child = ctx.Process(target=_count_messages, args=(broker, f"{floor_prefix}/#", counter, ready), daemon=True)
    child.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the counting subscriber did not subscribe")
        elapsed, _ = _publish(publisher, floor_prefix, rows, 1, lambda: counter.value)
    finally:
        child.terminate()
        child.join(10)
    return len(rows) / elapsed


def run(messages: int, broker: str, batch: int = BATCH, c_publisher: bool = False) -> list[dict]:
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
    results = {}
    try:
        address = parse_mqtt_url(broker)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{secrets.token_hex(3)}")
        client.max_queued_messages_set(0)
        client.connect(address.host, address.port)
        client.loop_start()
        publisher = CPublisher(address.host, address.port) if c_publisher else client
        time.sleep(2.0)  # the ingest subscribes on connect; give it its session before the burst
        with psycopg.connect(**dsn, autocommit=True) as conn:
            for per_message in sorted({1, batch}):
                _say(f"publishing {messages} observations, {per_message} per message, to {broker}")
                cpu0 = _cpu_seconds(ingest.pid)
                elapsed, publishing = _publish(publisher, prefix, rows, per_message,
                                               lambda: -(-_count(conn) // per_message))
                ingest_cpu = _cpu_seconds(ingest.pid) - cpu0
                results[per_message] = (elapsed, ingest_cpu)
                _say(f"ingest: {messages / elapsed:.0f} obs/s ({publishing:.2f} s of {elapsed:.2f} s spent "
                     f"publishing; ingest CPU {ingest_cpu:.2f} s)")
                conn.execute("DELETE FROM observation WHERE twin LIKE 'bi-%'")
            peak = _peak_rss_kib(ingest.pid)
        floor = _floor(publisher, broker, prefix, rows)
        _say(f"paho subscriber that only counts: {floor:.0f} msg/s")
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
        shutil.rmtree(work, ignore_errors=True)
    single, batched = messages / results[1][0], messages / results[batch][0]
    copy_rate = messages / base["seconds"]
    cpu = results[batch][1]
    rows_out = [
        {"benchmark": "MQTT → ingest → PostgreSQL, 1 obs/message, vs a paho subscriber that only counts",
         "db": "postgres", "size": messages, "ours": single, "baseline": floor, "ratio": single / floor,
         "unit": "messages/s"},
        {"benchmark": f"MQTT → ingest → PostgreSQL, {batch} obs/message, vs raw COPY of the same rows",
         "db": "postgres", "size": messages, "ours": batched, "baseline": copy_rate, "ratio": batched / copy_rate,
         "unit": "observations/s"},
        # The end-to-end rates above include the publisher's share of this machine's cores; the ingest's
        # own CPU per observation says what one ingest core can take.
        {"benchmark": "ingest CPU per 1000 observations (1 obs/message) vs the COPY client's", "db": "postgres",
         "size": messages, "ours": results[1][1] * 1e6 / messages, "baseline": base["cpu"] * 1e6 / messages,
         "ratio": results[1][1] / base["cpu"], "unit": "CPU ms"},
        {"benchmark": f"ingest CPU per 1000 observations ({batch} obs/message) vs the COPY client's",
         "db": "postgres", "size": messages, "ours": cpu * 1e6 / messages, "baseline": base["cpu"] * 1e6 / messages,
         "ratio": cpu / base["cpu"], "unit": "CPU ms"},
        {"benchmark": "ingest peak RSS vs a process COPYing the same rows", "db": "postgres", "size": messages,
         "ours": peak / 1024, "baseline": base["peak_kib"] / 1024, "ratio": peak / base["peak_kib"],
         "unit": "MiB"},
    ]
    return rows_out if batch > 1 else [r for i, r in enumerate(rows_out) if i not in (1, 3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--broker", default=os.environ.get("MQTT_URL"),
                        help="an existing broker (published to by one paho client, at most 950 messages ahead); "
                             "default: a throwaway Mosquitto with the shipped limits, published to by mosquitto_pub")
    parser.add_argument("--batch", type=int, default=BATCH, help="observations per message in the batched run "
                        "(1: no batched run)")
    parser.add_argument("--copy-baseline", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.copy_baseline:
        print(json.dumps(copy_baseline(args.copy_baseline)))
        return
    broker, server, folder, c_publisher = args.broker, None, None, False
    if broker is None and shutil.which("mosquitto") and shutil.which("mosquitto_pub"):
        broker, server, folder = shipped_mosquitto()
        c_publisher = True
        _say(f"a throwaway Mosquitto with the shipped limits on {broker}, published to by mosquitto_pub")
    elif broker is None:  # no Mosquitto here: an embedded one (amqtt) on a free port, as make run does
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "dataplane.broker", "--port", str(port)], cwd=REPO,
                                  stdout=subprocess.DEVNULL)
        broker = f"mqtt://127.0.0.1:{port}"
        wait_port(port, server, "the embedded broker", timeout=20)
        _say(f"no Mosquitto here; using an embedded broker on {broker}, published to by one paho client")
    try:
        print(json.dumps(run(args.messages, broker, args.batch, c_publisher)))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
