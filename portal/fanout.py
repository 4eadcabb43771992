"""Background work of the web process: the outbox tailer and the health badges.

Without Redis, other processes (the watcher, the ingest) cannot reach this
process's listeners, so the web process tails the PortalEvent table and hands
new rows to this process's open streams (portal.eventstream.deliver_local);
its own commits wake the tailer at once, and so do every other process's: on
PostgreSQL events.append NOTIFYs at commit and the OutboxListener LISTENs; on
SQLite the committing process sends a byte to this process's wake socket
(polyglot_dtp.wake). The poll every DTP_EVENT_POLL_SECONDS is only the fallback. With Redis, the stream
library's Redis listener does this job.
"""

from __future__ import annotations

import json
import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connection

from polyglot_dtp import wake
from registry import events as ev
from registry.models import PortalEvent

from . import eventstream, health

__all__ = ["start_background", "OutboxTailer", "OutboxListener", "HealthPublisher"]

log = logging.getLogger(__name__)
BATCH = 500


class OutboxTailer(threading.Thread):
    def __init__(self, poll_seconds: float) -> None:
        super().__init__(name="outbox-tailer", daemon=True)
        self.poll_seconds = poll_seconds
        self.wake = threading.Event()
        self.cursor: int | None = None

    def run(self) -> None:
        while True:
            self.wake.wait(self.poll_seconds)
            self.wake.clear()
            try:
                self.dispatch_new()
            except DatabaseError as exc:
                log.warning("outbox tailer: %s", exc)
            finally:
                connection.close()  # back to the pool between looks

    def dispatch_new(self) -> None:
        if self.cursor is None:  # start from now: earlier events reach clients through resume
            last = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first()
            self.cursor = last or 0
        while True:
            rows = list(PortalEvent.objects.filter(id__gt=self.cursor).order_by("id")[:BATCH])
            for row in rows:
                data = ev.event_data(row)
                for name in ev.channels_for_event(row):
                    eventstream.deliver_local(name, row.etype, data, row.id)
                self.cursor = row.id
            if len(rows) < BATCH:
                return


class OutboxListener(threading.Thread):
    """On PostgreSQL: LISTEN for the outbox's NOTIFY and wake the tailer at once (reconnecting with backoff)."""

    _PARAMS = ("dbname", "user", "password", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey",
               "options", "connect_timeout", "application_name")

    def __init__(self, wake: threading.Event) -> None:
        super().__init__(name="outbox-listener", daemon=True)
        self.wake = wake

    def run(self) -> None:
        import psycopg

        params = {k: v for k, v in connection.get_connection_params().items() if k in self._PARAMS}
        backoff = 1.0
        while True:
            try:
                with psycopg.connect(**params, autocommit=True) as conn:
                    conn.execute(f"LISTEN {ev.OUTBOX_CHANNEL}")
                    backoff = 1.0
                    self.wake.set()  # rows committed while nobody listened
                    for _ in conn.notifies():
                        self.wake.set()
            except Exception as exc:  # the poll carries on meanwhile
                log.warning("outbox listener: %s; the tailer polls until it is back", exc)
            threading.Event().wait(backoff)
            backoff = min(backoff * 2, 30.0)


class HealthPublisher(threading.Thread):
    """Run the header checks every DTP_HEALTH_INTERVAL and tell this process's pages.

    One checker per web process, whatever the number of open pages: clients
    never trigger checks themselves.
    """

    def __init__(self, interval: float) -> None:
        super().__init__(name="health-publisher", daemon=True)
        self.interval = interval
        self.stop = threading.Event()

    def run(self) -> None:
        name = ev.channel(ev.HEALTH)
        while not self.stop.is_set():
            try:
                data = json.dumps(health.snapshot(refresh=True))
                eventstream.deliver_local(name, ev.HEALTH_UPDATE, data)
            except Exception as exc:  # a failing check must not end the loop
                log.warning("health checks failed: %s", exc)
            finally:
                connection.close()  # not held through the interval
            self.stop.wait(self.interval)


_started = False


def start_background() -> None:
    global _started
    if _started:
        return
    _started = True
    if not eventstream.redis_enabled():
        tailer = OutboxTailer(settings.DTP_EVENT_POLL_SECONDS)
        try:
            tailer.cursor = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        except DatabaseError:
            pass  # not migrated yet: the tailer starts from the first row it finds
        eventstream.on_local_publish(tailer.wake.set)
        tailer.start()
        if connection.vendor == "postgresql":
            OutboxListener(tailer.wake).start()
        elif (folder := wake.database_folder()) is not None:
            try:
                wake.listen(folder, tailer.wake.set)
            except OSError as exc:
                log.warning("no wake socket in %s (%s); the tailer polls", folder, exc)
    HealthPublisher(settings.DTP_HEALTH_INTERVAL).start()
