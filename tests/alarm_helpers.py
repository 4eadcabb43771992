"""Arrangements the alarm tests share: twins with rules on disk, the ingest as a process, publishing values."""

from __future__ import annotations

import json
import secrets
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.publish as publish

from tests.browser.server import wait_until
from tests.stores import Server
from tests.test_ingest_faults import Ingest, _django_status, ingest_env, wait_connected

DEADLINE = 60.0  # seconds on a loaded 2-core machine; not a performance claim


def room_yaml(twin_id: str, prefix: str, rules: str, *, tenant: str = "acme", extra: str = "") -> str:
    return (f"id: {twin_id}\nname: {twin_id}\ntenant: {tenant}\n{extra}interfaces:\n  data_streams:\n"
            f"    - {{uri: mqtt://{prefix}/{twin_id}/temp, signal: temp_room_1, unit: C}}\n"
            f"    - {{uri: mqtt://{prefix}/{twin_id}/alerts}}\n"
            + ("rules:\n" + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ") + "\n" if rules else ""))


def send(broker: Server, prefix: str, twin_id: str, value: float, signal: str = "temp") -> None:
    """One observation, QoS 1, stamped now; returns once the broker has it."""
    payload = json.dumps({"value": value, "ts": datetime.now(timezone.utc).isoformat()})
    publish.single(f"{prefix}/{twin_id}/{signal}", payload, qos=1, hostname="127.0.0.1", port=broker.port,
                   client_id=f"test-pub-{secrets.token_hex(4)}")


def start_ingest(db_env: dict[str, str], broker: Server, prefix: str, folder: Path, **extra: str) -> Ingest:
    env = ingest_env(db_env, broker, prefix, folder, DTP_ALARM_TICK="0.1", **extra)
    ingest = Ingest(env, folder)
    since = datetime.now(timezone.utc)
    ingest.start()
    wait_connected(_django_status, ingest.proc, ingest.log, since)
    return ingest


def alarms_of(twin_id: str, rule: str | None = None) -> list:
    from alarms.models import Alarm

    qs = Alarm.objects.filter(twin_id=twin_id).order_by("id")
    return list(qs.filter(rule=rule) if rule else qs)


def wait_alarm(ingest: Ingest, what: str, predicate):
    def check():
        assert ingest.proc.poll() is None, f"the ingest exited:\n{ingest.log()[-4000:]}"
        return predicate()

    return wait_until(check, timeout=DEADLINE, what=what)
