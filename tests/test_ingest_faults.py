"""The ingest under faults, as real processes: nothing a twin sent is lost, nothing is stored twice.

Each test runs `manage.py ingest` against a Mosquitto of its own (a deep
queue, so the broker never drops what it holds for the ingest's session:
the machine's shared broker keeps only 1,000 messages per session), SIGKILLs
the ingest or stops its PostgreSQL mid-run, or feeds it a record the store
refuses, and then counts the rows.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.publish as publish
import pytest

from tests.browser.server import wait_until
from tests.conftest import REPO, require_service
from tests.stores import Server

PG_BIN = Path("/usr/lib/postgresql/15/bin")
MESSAGES = 3000
DEADLINE = 120.0  # seconds for thousands of messages on a loaded 2-core machine; not a performance claim


# --- throwaway servers --------------------------------------------------------------------------
@pytest.fixture
def broker() -> Iterator[Server]:
    """A Mosquitto of this test's own: persistent sessions kept in memory, a queue deep enough for a restart."""
    binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if not binary:
        require_service("mosquitto is not installed (apt-get install mosquitto)")

    def argv(port: int, folder: Path) -> list[str]:
        conf = folder / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "max_queued_messages 100000\nlog_dest stdout\n")
        return [binary, "-c", str(conf)]

    server = Server(argv, "mosquitto").start()
    yield server
    server.remove()


class Postgres:
    """A PostgreSQL cluster in a temporary folder on a free port, stopped and started at will."""

    def __init__(self) -> None:
        from tests.browser.server import free_port

        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="dtp-pg-"))
        self.data = self.folder / "data"
        self._as_postgres = os.geteuid() == 0  # initdb and postgres refuse to run as root
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def _run(self, *argv: object) -> None:
        cmd = [str(a) for a in argv]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{' '.join(cmd)}: {done.stdout}{done.stderr}"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/dtp"

    def start(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-l", self.folder / "pg.log", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except AssertionError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    if not (PG_BIN / "initdb").exists():
        require_service(f"PostgreSQL 15 binaries are not in {PG_BIN} (apt-get install postgresql-15)")
    pg = Postgres()
    pg.start()
    import psycopg

    with psycopg.connect(pg.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE dtp")
    yield pg
    pg.remove()


# --- the ingest as a process -------------------------------------------------------------------
def pump_yaml(prefix: str) -> str:
    return (f"id: pump-1\nname: Pump 1\ntenant: plant\ninterfaces:\n  data_streams:\n"
            f"    - {{uri: mqtt://{prefix}/pump-1/flow, signal: flow, unit: m3/h, interval: 5}}\n")


class Ingest:
    """`manage.py ingest` with a fixed client id, started and killed like a real deployment would be."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> subprocess.Popen:
        log = open(self.folder / f"ingest-{self.runs}.log", "w")
        self.proc = subprocess.Popen([sys.executable, str(REPO / "manage.py"), "ingest"], cwd=REPO, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.runs += 1
        return self.proc

    def log(self) -> str:
        return "\n".join((self.folder / f"ingest-{i}.log").read_text() for i in range(self.runs))

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ingest_env(base: dict[str, str], broker: Server, prefix: str, folder: Path, **extra: str) -> dict[str, str]:
    return {**base, "MQTT_URL": f"mqtt://127.0.0.1:{broker.port}", "DTP_INGEST_TOPICS": f"{prefix}/#",
            "DTP_INGEST_CLIENT_ID": f"dtp-ingest-test-{secrets.token_hex(4)}", "DTP_SPOOL_DIR": str(folder / "spool"),
            "DTP_INGEST_FLUSH_SECONDS": "0.1", "INFLUX_URL": "", "NEO4J_URL": "", "MINIO_ENDPOINT": "",
            "PYTHONUNBUFFERED": "1", **extra}


def publisher(broker: Server, topic: str) -> Callable[[int, int], None]:
    """Publish observations first..last-1 (QoS 1, each its own timestamp); returns once the broker has them all."""
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)

    def send(first: int, last: int) -> None:
        publish.multiple([{"topic": topic, "qos": 1, "payload": json.dumps(
            {"value": float(i), "ts": (start + timedelta(seconds=i)).isoformat()})} for i in range(first, last)],
            hostname="127.0.0.1", port=broker.port, client_id=f"test-pub-{secrets.token_hex(4)}")

    return send


def wait_connected(status: Callable[[], dict | None], proc: subprocess.Popen, log: Callable[[], str],
                   since: datetime) -> None:
    """Until the ingest reports itself connected and subscribed (in a status written after `since`)."""
    def ready() -> bool:
        assert proc.poll() is None, f"the ingest exited:\n{log()[-4000:]}"
        report = status()
        return bool(report and report["updated_at"] > since and report["connected"])

    wait_until(ready, timeout=60, what="the ingest to connect and subscribe")


# --- SIGKILL -----------------------------------------------------------------------------------
on_the_test_database = pytest.mark.django_db(transaction=True)


def _django_rows(twin: str) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT time) FROM observation WHERE twin = %s", [twin])
        return cursor.fetchone()


def _django_status() -> dict | None:
    from dataplane.models import IngestStatus

    row = IngestStatus.objects.order_by("-updated_at").first()
    return {"updated_at": row.updated_at, "connected": row.report.get("connected"), "report": row.report} \
        if row else None


@pytest.fixture
def empty_data_tables():
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("observation", "signal", "event_log"):
            cursor.execute(f"DELETE FROM {table}")


@on_the_test_database
@pytest.mark.parametrize("shared_group", ["", "ingest"], ids=["mqtt311-session", "mqtt5-shared-session"])
def test_a_sigkilled_ingest_loses_nothing_after_its_restart(tree, scan_cmd, db_env, broker, tmp_path,
                                                            empty_data_tables, shared_group):
    prefix = f"dtp/t{secrets.token_hex(4)}"
    tree.write("pump/twin.yaml", pump_yaml(prefix))
    assert scan_cmd(str(tree.root)).code == 0
    ingest = Ingest(ingest_env(db_env, broker, prefix, tmp_path, DTP_INGEST_SHARED_GROUP=shared_group), tmp_path)
    send = publisher(broker, f"{prefix}/pump-1/flow")
    try:
        since = datetime.now(timezone.utc)
        wait_connected(_django_status, ingest.start(), ingest.log, since)
        send(0, 1000)
        ingest.kill()  # mid-run: records buffered, batches half-spooled, acknowledgements not yet sent
        at_kill = _django_rows("pump-1")[0]
        send(1000, 2000)  # while it is down: the broker queues them for its session
        ingest.start()
        send(2000, MESSAGES)
        wait_until(lambda: _django_rows("pump-1")[1] >= MESSAGES or ingest.proc.poll() is not None,
                   timeout=DEADLINE, what=f"{MESSAGES} observations (rows at the kill: {at_kill})")
    finally:
        ingest.stop()
    total, distinct = _django_rows("pump-1")
    assert distinct == MESSAGES, f"{MESSAGES - distinct} lost ({at_kill} rows at the kill)\n{ingest.log()[-3000:]}"
    assert total == MESSAGES  # the redelivered duplicates were absorbed by the (twin, signal, time) key
    assert "resumed its session" in (tmp_path / "ingest-1.log").read_text()  # the restart, not a new session


# --- a record the store refuses ----------------------------------------------------------------
def _refuse_value_17() -> Callable[[], None]:
    """Make the store refuse one value for its content, as a constraint an operator added would."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE observation ADD CONSTRAINT test_refuse_17 CHECK (value <> 17)")
            undo = "ALTER TABLE observation DROP CONSTRAINT test_refuse_17"
        else:
            cursor.execute("CREATE TRIGGER test_refuse_17 BEFORE INSERT ON observation WHEN NEW.value = 17 "
                           "BEGIN SELECT RAISE(ABORT, 'value 17 is refused'); END")
            undo = "DROP TRIGGER test_refuse_17"

    def restore() -> None:
        with connection.cursor() as cursor:
            cursor.execute(undo)

    return restore


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "manage.py"), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


@on_the_test_database
def test_a_refused_record_is_dead_lettered_and_the_good_ones_behind_it_are_stored(
        tree, scan_cmd, db_env, broker, tmp_path, empty_data_tables):
    from dataplane.health import ingest_state

    prefix = f"dtp/t{secrets.token_hex(4)}"
    tree.write("pump/twin.yaml", pump_yaml(prefix))
    assert scan_cmd(str(tree.root)).code == 0
    restore = _refuse_value_17()
    env = ingest_env(db_env, broker, prefix, tmp_path, DTP_INGEST_BATCH_SIZE="500")
    ingest = Ingest(env, tmp_path)
    try:
        wait_connected(_django_status, ingest.start(), ingest.log, datetime.now(timezone.utc))
        publisher(broker, f"{prefix}/pump-1/flow")(17, 18 + 200)  # the poison first, then 200 good ones
        wait_until(lambda: _django_rows("pump-1")[0] >= 200, timeout=DEADLINE, what="the 200 good observations")
        status = wait_until(lambda: (lambda s: s if s and any(r.get("dead_letters") for r in s["report"]["stores"])
                                     else None)(_django_status()), what="the dead letter in the ingest's status")
        health = ingest_state()
    finally:
        ingest.stop()
        restore()
    assert _django_rows("pump-1") == (200, 200)
    timescale = next(r for r in status["report"]["stores"] if r["store"] == "timescale")
    assert timescale["dead_letters"] == 1 and timescale["spool_records"] == 0
    assert health.state == "warn" and "1 dead-lettered" in health.detail

    listed = _manage(env, "deadletter", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    letters = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(letters) == 1 and letters[0]["store"] == "timescale" and letters[0]["record"]["value"] == 17.0
    assert "17" in letters[0]["reason"] or "refuse" in letters[0]["reason"].lower()

    # The operator removed the constraint: the replay stores the record and empties the dead-letter.
    replayed = _manage(env, "deadletter", "replay")
    assert replayed.returncode == 0, replayed.stderr
    assert "1 written" in replayed.stdout
    assert _django_rows("pump-1") == (201, 201)
    assert _manage(env, "deadletter", "list", "--json").stdout.strip() == ""


# --- PostgreSQL stopped mid-run ----------------------------------------------------------------
def spooled_values(folder: Path) -> set[float]:
    """The observation values waiting in the timescale spool (batches written by the ingest)."""
    values = set()
    for batch in (folder / "spool" / "timescale").glob("*.batch.json"):
        try:
            values |= {r["value"] for r in json.loads(batch.read_bytes()) if r["k"] == "obs"}
        except (OSError, ValueError):  # removed while we read it: written to the store
            pass
    return values


def test_postgres_stopped_and_restarted_mid_run_loses_nothing(postgres, broker, tmp_path, tree):
    import psycopg

    env = {**os.environ, "DATABASE_URL": postgres.url, "PYTHONUNBUFFERED": "1"}
    prefix = f"dtp/t{secrets.token_hex(4)}"
    tree.write("pump/twin.yaml", pump_yaml(prefix))
    for args in (("migrate", "--noinput"), ("scan_twins", str(tree.root))):
        done = _manage(env, *args)
        assert done.returncode == 0, done.stdout + done.stderr

    def query(sql: str) -> tuple | None:
        try:
            with psycopg.connect(postgres.url, connect_timeout=3) as conn:
                return conn.execute(sql).fetchone()
        except psycopg.OperationalError:
            return None

    def status() -> dict | None:
        row = query("SELECT updated_at, report FROM dataplane_ingeststatus ORDER BY updated_at DESC LIMIT 1")
        return {"updated_at": row[0], "connected": row[1].get("connected"), "report": row[1]} if row else None

    def rows() -> int:
        found = query("SELECT count(DISTINCT time) FROM observation WHERE twin = 'pump-1'")
        return found[0] if found else -1

    ingest = Ingest(ingest_env(env, broker, prefix, tmp_path), tmp_path)
    send = publisher(broker, f"{prefix}/pump-1/flow")
    try:
        wait_connected(status, ingest.start(), ingest.log, datetime.now(timezone.utc))
        send(0, 1000)
        postgres.stop()  # the registry and the observation store at once
        # Through the outage in bursts, each awaited in the timescale spool, so the outage spans
        # many of the ingest's registry checks while messages keep arriving.
        for first in range(1000, 2000, 50):
            send(first, first + 50)
            wait_until(lambda: spooled_values(tmp_path) >= {float(first + 49)} or ingest.proc.poll() is not None,
                       what=f"message {first + 49} in the spool during the outage")
        postgres.start()
        send(2000, MESSAGES)
        wait_until(lambda: rows() >= MESSAGES or ingest.proc.poll() is not None, timeout=DEADLINE,
                   what=f"{MESSAGES} observations after the outage")
        counts = wait_until(lambda: (lambda s: s["report"]["counts"] if s and
                                     s["report"]["counts"].get("received", 0) >= MESSAGES else None)(status()),
                            what="the status after the outage")
    finally:
        ingest.stop()
    assert rows() == MESSAGES, ingest.log()[-3000:]
    assert query("SELECT count(*) FROM observation WHERE twin = 'pump-1'")[0] == MESSAGES
    assert not any(k.startswith("rejected.") for k in counts), counts


def test_postgres_refusing_a_nul_is_a_data_refusal_not_an_outage(postgres):
    """The writer's classification: a NUL in text can never be written, so it is StoreRefused, not StoreDown."""
    import psycopg

    from dataplane.writers import StoreRefused
    from dataplane.writers.sql import SqlWriter

    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS observation (time timestamptz NOT NULL, twin text NOT NULL, "
                     "signal text NOT NULL, value double precision, quality text, PRIMARY KEY (twin, signal, time))")
        conn.execute("CREATE TABLE IF NOT EXISTS signal (twin text, name text, unit text, PRIMARY KEY (twin, name))")
    writer = SqlWriter({"NAME": "dtp", "USER": "postgres", "HOST": "127.0.0.1", "PORT": postgres.port},
                       "postgresql")
    record = {"k": "obs", "time": datetime.now(timezone.utc).isoformat(), "twin": "pump-1", "signal": "temp\x00nul",
              "value": 17.0, "unit": "", "quality": "good"}
    try:
        with pytest.raises(StoreRefused, match="NUL|0x00"):
            writer.write([record])
        writer.write([{**record, "signal": "temp"}])  # the same writer goes on with good records
    finally:
        writer.close()
