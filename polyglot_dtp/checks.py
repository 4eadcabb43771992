"""The one set of health checks: `/readyz`, the command-line probes and the portal's badges ask these.

Each check speaks the service's own protocol with the configured URL, its TLS
and its credentials (redis-py's PING, paho's CONNECT and CONNACK, the stores'
own writers), so "ok" means that this deployment could use the service, not
merely that a port is open. Each answers a Check: ok, warn, down, or off (not
configured, never shown as healthy).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django.conf import settings

__all__ = ["Check", "database", "migrations", "redis", "mqtt", "scanner", "store", "ingest"]


@dataclass(frozen=True)
class Check:
    state: str  # ok | warn | down | off
    detail: str = ""
    pending: list[str] = field(default_factory=list)  # migrations not applied yet (migrations() only)

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def database(alias: str = "default") -> Check:
    from django.db import DatabaseError, connections

    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        connection.close_if_unusable_or_obsolete()  # a broken connection is not reused by the next check
        return Check("down", f"error: {str(exc).strip()[:200] or type(exc).__name__}")
    return Check("ok", connection.vendor)


def migrations(alias: str = "default") -> Check:
    """Down while any migration is unapplied: a process started before `migrate` finished must not serve."""
    from django.db import DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[alias]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        connection.close_if_unusable_or_obsolete()
        return Check("down", f"error: {str(exc).strip()[:200] or type(exc).__name__}")
    pending = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
    return Check("down" if pending else "ok", f"{len(pending)} pending" if pending else "applied", pending)


def redis(url: str | None = None, timeout: float | None = None) -> Check:
    """PING with the URL's password and TLS (`rediss://`); an authentication error is down, not ok."""
    import redis as redis_py

    url = settings.REDIS_URL if url is None else url
    if not url:
        return Check("off", "not configured: events fan out in-process")
    timeout = settings.DTP_HEALTH_TIMEOUT if timeout is None else timeout
    client = redis_py.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    where = client.connection_pool.connection_kwargs
    place = f"{where.get('host', '?')}:{where.get('port', '?')}"
    try:
        client.ping()
    except redis_py.AuthenticationError as exc:
        return Check("down", f"{place}: Redis refused the credentials in REDIS_URL ({exc})")
    except redis_py.RedisError as exc:
        return Check("down", f"{place}: {exc}")
    finally:
        client.close()
    return Check("ok", place)


def mqtt(url: str | None = None, timeout: float | None = None) -> Check:
    """An MQTT CONNECT with the URL's TLS and credentials; ok once the broker's CONNACK accepts it."""
    import paho.mqtt.client as paho

    from dataplane.mqtt import parse_mqtt_url

    url = settings.MQTT_URL if url is None else url
    if not url:
        return Check("off", "not configured")
    try:
        broker = parse_mqtt_url(url)
    except ValueError as exc:
        return Check("down", str(exc))
    timeout = settings.DTP_HEALTH_TIMEOUT if timeout is None else timeout
    answered = threading.Event()
    outcome: list[str] = []

    def on_connect(_client, _userdata, _flags, reason, _props) -> None:
        outcome.append("" if not reason.is_failure else str(reason))
        answered.set()

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    client.on_connect = on_connect
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    client.connect_timeout = timeout
    try:
        client.connect(broker.host, broker.port, keepalive=10)
        client.loop_start()
        answered.wait(timeout)
        client.disconnect()
    except (OSError, ValueError) as exc:
        return Check("down", f"{broker.display}: {exc}")
    finally:
        client.loop_stop()
    if not outcome:
        return Check("down", f"{broker.display}: no CONNACK within {timeout:g} s")
    if outcome[0]:
        return Check("down", f"{broker.display} refused the connection: {outcome[0]}")
    return Check("ok", broker.display)


def scanner() -> Check:
    """Warn while any spec file has errors (what the spec-errors panel shows), not only the last scan's."""
    from django.db import DatabaseError

    from registry.models import ScanStatus, SpecFileError

    try:
        status = ScanStatus.objects.filter(pk=1).first()
        failing = SpecFileError.objects.values("path").distinct().count()
    except DatabaseError as exc:
        return Check("down", str(exc)[:200])
    if status is None:
        return Check("off", "no scan recorded yet")
    when = status.finished_at.isoformat(timespec="seconds")
    if failing:
        plural = "s have" if failing != 1 else " has"
        return Check("warn", f"{status.files} files, {failing} file{plural} errors (see Spec errors) · {when}")
    return Check("ok", f"{status.files} files, 0 errors · {when}")


def store(name: str) -> Check:
    """influx | graph | blobs: the data plane's own check (its writer's health and spool backlog)."""
    from dataplane.health import store_state

    state = store_state(name)
    return Check(state.state, state.detail)


def ingest() -> Check:
    from dataplane.health import ingest_state

    state = ingest_state()
    return Check(state.state, state.detail)
