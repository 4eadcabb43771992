"""`manage.py ingest`: subscribe to the twin stacks' MQTT topics and feed every configured store."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alarms.evaluator import start_thread as start_alarm_evaluator
from dataplane.ingest import IngestConfig, IngestService
from dataplane.messages import Limits
from dataplane.mqtt import parse_mqtt_url
from dataplane.writers import configured_writers


class Command(BaseCommand):
    help = "Ingest MQTT messages (dtp/# by default) into the configured stores, with spooling."

    def add_arguments(self, parser):
        parser.add_argument("--broker", default="", help="MQTT URL (default: MQTT_URL, else the embedded broker)")
        parser.add_argument("--topic", action="append", default=[], help="topic filter (repeatable)")
        parser.add_argument("--no-projection", action="store_true",
                            help="do not keep the graph and blob store in step (let another worker do it)")

    def handle(self, *args, **opts):
        url = opts["broker"] or settings.MQTT_URL or f"mqtt://127.0.0.1:{settings.DTP_MQTT_EMBEDDED_PORT}"
        try:
            broker = parse_mqtt_url(url)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        config = IngestConfig(broker=broker, topics=opts["topic"] or settings.DTP_INGEST_TOPICS,
                              shared_group=settings.DTP_INGEST_SHARED_GROUP,
                              batch_size=settings.DTP_INGEST_BATCH_SIZE,
                              flush_seconds=settings.DTP_INGEST_FLUSH_SECONDS,
                              spool_dir=settings.DTP_SPOOL_DIR, spool_max_bytes=settings.DTP_SPOOL_MAX_BYTES,
                              client_id=settings.DTP_INGEST_CLIENT_ID,
                              session_expiry_seconds=settings.DTP_INGEST_SESSION_EXPIRY_SECONDS,
                              max_unacked=max(1, settings.DTP_INGEST_MAX_UNACKED),
                              limits=Limits(timedelta(seconds=settings.DTP_INGEST_MAX_FUTURE_SECONDS),
                                            timedelta(days=settings.DTP_INGEST_MAX_PAST_DAYS)),
                              project=not opts["no_projection"])
        service = IngestService(config, configured_writers())
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        service.start()
        evaluator = start_alarm_evaluator()  # rules over the journal the SQL lane writes (docs/alarms.md)
        stores = ", ".join(f"{lane.writer.name} ({lane.writer.endpoint})" for lane in service.pipeline.lanes)
        self.stdout.write(f"ingest {service.client_id}: {broker.display} {' '.join(service.subscriptions())} "
                          f"-> {stores}")
        self.stdout.flush()
        done.wait()
        self.stdout.write("ingest: stopping (flushing buffers)")
        if evaluator is not None:
            evaluator.stop()
        service.stop()
