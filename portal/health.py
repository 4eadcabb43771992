"""Header badges from real checks with short timeouts.

Each check answers a Badge: ok, warn, down or off (not configured — never
shown as healthy). The stores are checked by the data plane's own writers
(dataplane.health), which also report a spool backlog.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection

from registry.models import ScanStatus

__all__ = ["Badge", "snapshot", "check_all"]


@dataclass(frozen=True)
class Badge:
    key: str
    label: str
    state: str  # ok | warn | down | off
    detail: str = ""


def _hostport(url: str, default_port: int) -> tuple[str, int]:
    if "://" not in url:
        url = "tcp://" + url
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _db() -> Badge:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return Badge("db", "DB", "ok", connection.vendor)
    except DatabaseError as exc:
        return Badge("db", "DB", "down", str(exc)[:200])


def _redis() -> Badge:
    if not settings.REDIS_URL:
        return Badge("redis", "Redis", "off", "not configured: events fan out in-process")
    host, port = _hostport(settings.REDIS_URL, 6379)
    try:
        with socket.create_connection((host, port), timeout=settings.DTP_HEALTH_TIMEOUT) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
        ok = reply.startswith(b"+PONG") or reply.startswith(b"-NOAUTH")
        return Badge("redis", "Redis", "ok" if ok else "down", f"{host}:{port}")
    except OSError as exc:
        return Badge("redis", "Redis", "down", f"{host}:{port}: {exc}")


def _mqtt() -> Badge:
    if not settings.MQTT_URL:
        return Badge("mqtt", "MQTT", "off", "not configured")
    host, port = _hostport(settings.MQTT_URL, 1883)
    # MQTT 3.1.1 CONNECT with a clean session; a CONNACK (0x20) means a broker answered.
    client_id = b"dtp-health"
    var = b"\x00\x04MQTT\x04\x02\x00\x05"
    payload = len(client_id).to_bytes(2, "big") + client_id
    packet = b"\x10" + bytes([len(var) + len(payload)]) + var + payload
    try:
        with socket.create_connection((host, port), timeout=settings.DTP_HEALTH_TIMEOUT) as sock:
            sock.sendall(packet)
            reply = sock.recv(4)
            sock.sendall(b"\xe0\x00")  # DISCONNECT
        ok = len(reply) >= 4 and reply[0] == 0x20 and reply[3] == 0
        return Badge("mqtt", "MQTT", "ok" if ok else "down", f"{host}:{port}")
    except OSError as exc:
        return Badge("mqtt", "MQTT", "down", f"{host}:{port}: {exc}")


def _store(key: str, label: str, store: str) -> Badge:
    """The data plane's own check of a store (its writer's health and spool backlog)."""
    from dataplane.health import store_state

    state = store_state(store)
    return Badge(key, label, state.state, state.detail)


def _ingest() -> Badge:
    from dataplane.health import ingest_state

    state = ingest_state()
    return Badge("ingest", "Ingest", state.state, state.detail)


def _scanner() -> Badge:
    try:
        status = ScanStatus.objects.filter(pk=1).first()
    except DatabaseError as exc:
        return Badge("scanner", "Scanner", "down", str(exc)[:200])
    if status is None:
        return Badge("scanner", "Scanner", "off", "no scan recorded yet")
    plural = "s" if status.errors != 1 else ""
    detail = f"{status.files} files, {status.errors} error{plural} · {status.finished_at.isoformat(timespec='seconds')}"
    return Badge("scanner", "Scanner", "ok" if not status.errors else "warn", detail)


def check_all() -> list[Badge]:
    return [
        Badge("backend", "Backend", "ok", "up"),
        _db(),
        _scanner(),
        _redis(),
        _mqtt(),
        _ingest(),
        _store("influx", "Influx", "influx"),
        _store("neo4j", "Neo4j", "graph"),
        _store("minio", "MinIO", "blobs"),
    ]


_lock = threading.Lock()
_cache: tuple[float, dict] | None = None


def snapshot(refresh: bool = False) -> dict:
    """Badges as a JSON-able dict; cached for DTP_HEALTH_INTERVAL so page loads never storm the checks."""
    global _cache
    with _lock:
        if not refresh and _cache and time.monotonic() - _cache[0] < settings.DTP_HEALTH_INTERVAL:
            return _cache[1]
        badges = check_all()
        overall = "down" if any(b.state == "down" for b in badges) else "ok"
        data = {"health": overall, "badges": [asdict(b) for b in badges],
                "updated": datetime.now(timezone.utc).isoformat()}
        _cache = (time.monotonic(), data)
        return data
