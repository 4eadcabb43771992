"""Header badges from real checks with short timeouts.

The checks themselves are polyglot_dtp.checks (the same ones `/readyz` and
the command-line probes use); a badge is a check with a key and a label:
ok, warn, down or off (not configured, never shown as healthy).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from django.conf import settings

from polyglot_dtp import checks

__all__ = ["Badge", "snapshot", "check_all"]


@dataclass(frozen=True)
class Badge:
    key: str
    label: str
    state: str  # ok | warn | down | off
    detail: str = ""


def _badge(key: str, label: str, check: checks.Check) -> Badge:
    return Badge(key, label, check.state, check.detail)


def check_all() -> list[Badge]:
    return [
        Badge("backend", "Backend", "ok", "up"),
        _badge("db", "DB", checks.database()),
        _badge("scanner", "Scanner", checks.scanner()),
        _badge("redis", "Redis", checks.redis()),
        _badge("mqtt", "MQTT", checks.mqtt()),
        _badge("ingest", "Ingest", checks.ingest()),
        _badge("influx", "Influx", checks.store("influx")),
        _badge("neo4j", "Neo4j", checks.store("graph")),
        _badge("minio", "MinIO", checks.store("blobs")),
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
