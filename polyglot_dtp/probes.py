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
    python -m polyglot_dtp.probes mqtt       # the broker in MQTT_URL accepts an MQTT connection
                                             # (its TLS and credentials included)

Both exit 0 when healthy and 1 otherwise, printing the same JSON as the views.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import checks


@dataclass(frozen=True)
class Readiness:
    """What `/readyz` reports: `ready` is true only when the database answers and nothing is pending."""

    ready: bool
    database: str
    pending_migrations: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"status": "ready" if self.ready else "not ready", **asdict(self)}


def check_readiness(alias: str = "default") -> Readiness:
    """The database answers a trivial query, then no migration is pending on it."""
    db = checks.database(alias)
    if not db.ok:
        return Readiness(ready=False, database=db.detail)
    applied = checks.migrations(alias)
    if applied.state == "down" and not applied.pending:
        return Readiness(ready=False, database=applied.detail)
    return Readiness(ready=applied.ok, database="ok", pending_migrations=applied.pending)


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

    result = checks.mqtt(settings.MQTT_URL or "", timeout=3.0)
    if result.state == "off":
        result = checks.Check("down", "MQTT_URL is not set")
    print(json.dumps({"status": "ok" if result.ok else "down", "mqtt": result.detail}))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
