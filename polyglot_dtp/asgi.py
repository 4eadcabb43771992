"""ASGI entry for the portal (uvicorn polyglot_dtp.asgi:application).

The web process reconciles the twin roots once before it serves, so a fresh
start shows the sample twins. That scan lives here, not in AppConfig.ready(),
so migrate, shell and tests never scan. The stream's background work (the
outbox tailer without Redis, the health badges) starts here for the same reason.
"""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402  (settings are ready only now)

log = logging.getLogger("polyglot_dtp.startup")


def _scan_on_start() -> None:
    from django.db import DatabaseError

    from registry.reconcile import scan_roots
    from registry.scanner import ScanRootError

    try:
        report = scan_roots()
    except (ScanRootError, DatabaseError) as exc:
        log.error("start-up scan skipped: %s", exc)
        return
    log.info("start-up scan: %d files, %d created, %d updated, %d unchanged, %d deprecated, %d errors",
             report.files, len(report.created), len(report.updated), report.unchanged,
             len(report.deprecated), len(report.errors))
    for error in report.errors:
        log.warning("%s", error)


if settings.DTP_SCAN_ON_START:
    _scan_on_start()

def _start_fanout() -> None:
    from portal.fanout import start_background

    start_background()


_start_fanout()

# The start-up work ran in the event loop's thread; hand its connection back (to the pool).
from django.db import connection  # noqa: E402

connection.close()

from django.urls import reverse  # noqa: E402

from portal.stream_threads import SharedStreamThreads  # noqa: E402

# Static files: whitenoise's middleware (settings.DTP_SERVE_STATIC). Open SSE streams share a few threads
# for their synchronous steps instead of keeping one each (portal/stream_threads.py).
application = SharedStreamThreads(django_application, reverse("portal-stream"))

# Everything loaded so far lives as long as the process: move it out of the cyclic collector's
# way, so its passes walk only what requests create (the benchmarks' profile of a list request).
import gc  # noqa: E402

gc.freeze()
# A request allocates tens of thousands of short-lived objects that reference counting frees; at
# the default thresholds (700, 10, 10) they trigger a full (generation 2) pass every few list
# requests, tens of milliseconds each: the API's p99. Young passes stay frequent, full ones rare.
gc.set_threshold(20_000, 20, 50)
