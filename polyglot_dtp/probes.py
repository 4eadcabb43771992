"""Liveness and readiness for orchestrators (compose healthchecks, Kubernetes probes).

Two questions with different consequences: a failed liveness check restarts the
process, a failed readiness check only takes it out of the load balancer. So
`/healthz` answers as long as the process serves requests at all (a database
outage must not restart every web pod), while `/readyz` also asks the database
and refuses traffic until the schema is migrated (a pod started before the
migrate Job finished would otherwise serve 500s).

The same readiness check runs from the command line, for containers that serve
no HTTP (the scanner, the ingest) and for their compose healthchecks:

    python -m polyglot_dtp.probes ready      # database answers, migrations applied
    python -m polyglot_dtp.probes mqtt       # the broker in MQTT_URL accepts TCP connections

Both exit 0 when healthy and 1 otherwise, printing the same JSON as the views.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

MQTT_DEFAULT_PORTS = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883}


@dataclass(frozen=True)
class Readiness:
    """What `/readyz` reports: `ready` is true only when the database answers and nothing is pending."""

    ready: bool
    database: str
    pending_migrations: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"status": "ready" if self.ready else "not ready", **asdict(self)}


def check_readiness(alias: str = "default") -> Readiness:
    """Ask the database for a trivial query, then for the migrations not yet applied to it."""
    from django.db import DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        # A broken connection is not reused by the next probe.
        connection.close_if_unusable_or_obsolete()
        return Readiness(ready=False, database=f"error: {str(exc).strip() or type(exc).__name__}")
    pending = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    return Readiness(ready=not pending, database="ok", pending_migrations=pending)


def check_mqtt(url: str, timeout: float = 3.0) -> tuple[bool, str]:
    """Open (and close) a TCP connection to the broker of an mqtt:// URL."""
    if not url:
        return False, "MQTT_URL is not set"
    parts = urlsplit(url)
    if parts.scheme not in MQTT_DEFAULT_PORTS or not parts.hostname:
        return False, f"MQTT_URL={url!r}: expected mqtt://host:port or mqtts://host:port"
    port = parts.port or MQTT_DEFAULT_PORTS[parts.scheme]
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return True, f"{parts.hostname}:{port} accepts connections"
    except OSError as exc:
        return False, f"{parts.hostname}:{port}: {exc}"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process is up and its request loop answers; no dependency is asked."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database answers and every migration is applied, else 503."""
    result = check_readiness()
    return JsonResponse(result.as_json(), status=200 if result.ready else 503)


def main(argv: list[str]) -> int:
    """Command-line probes for containers without an HTTP port."""
    what = argv[0] if argv else ""
    if what not in ("ready", "mqtt"):
        print("usage: python -m polyglot_dtp.probes ready|mqtt", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    import django

    django.setup()
    if what == "ready":
        result = check_readiness()
        print(json.dumps(result.as_json()))
        return 0 if result.ready else 1
    from django.conf import settings

    ok, detail = check_mqtt(settings.MQTT_URL)
    print(json.dumps({"status": "ok" if ok else "down", "mqtt": detail}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
