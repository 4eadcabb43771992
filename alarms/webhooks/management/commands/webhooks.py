"""`manage.py webhooks`: the delivery worker. Follows the event log into the outbox and sends what is due."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from alarms.webhooks.delivery import deliver_due
from alarms.webhooks.outbox import BATCH, enqueue_once


class Command(BaseCommand):
    help = "Deliver alarm webhooks: fill the outbox from the event log, send due deliveries, retry failures."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one pass (enqueue, send what is due), then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        with ThreadPoolExecutor(max_workers=settings.DTP_WEBHOOK_CONCURRENCY,
                                thread_name_prefix="webhook") as pool:
            self.stdout.write("webhooks: delivering", ending="\n")
            self.stdout.flush()
            while not stop.is_set():
                busy = self._pass(pool)
                if options["once"]:
                    break
                if not busy:
                    stop.wait(settings.DTP_WEBHOOK_POLL_SECONDS)

    def _pass(self, pool: ThreadPoolExecutor) -> bool:
        try:
            read = enqueue_once()
            sent = deliver_due(pool)
            return sent > 0 or read >= BATCH
        except Exception as exc:  # a database outage: say so, wait, go on (the outbox is durable)
            self.stderr.write(f"webhooks: {type(exc).__name__}: {exc}")
            return False
        finally:
            close_old_connections()
