"""The ingest service: MQTT messages in, one batch per store out.

paho-mqtt's network thread decodes and buffers each message; a ticker thread
flushes the buffer into the pipeline (each store's spool) every
`flush_seconds` or when it holds `batch_size` records, reports liveness to the
registry, projects registry changes to the graph and the blob store, and
writes this worker's status for the portal. Nothing in a message can stop the
loop: what does not fit is counted per reason and logged.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from django.db import close_old_connections

from .liveness import LivenessTracker
from .messages import Alert, Rejected, decode
from .mqtt import BrokerConfig
from .pipeline import Pipeline
from .routing import RouteCache
from .writers import Writer

__all__ = ["IngestConfig", "IngestService", "ALERT_EVENT"]

log = logging.getLogger(__name__)
ALERT_EVENT = "twin.alert"


@dataclass(frozen=True)
class IngestConfig:
    broker: BrokerConfig
    topics: list[str]
    shared_group: str = ""
    batch_size: int = 500
    flush_seconds: float = 0.5
    spool_dir: Path = Path("var/spool")
    spool_max_bytes: int = 256 * 1024 * 1024
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    client_id: str = ""
    status_seconds: float = 2.0
    last_seen_refresh: float = 60.0
    project: bool = True  # this worker keeps the graph and blobs in step (one worker should)


class IngestService:
    def __init__(self, config: IngestConfig, writers: list[Writer]):
        self.config = config
        self.pipeline = Pipeline(writers, config.spool_dir, config.spool_max_bytes)
        self.routes = RouteCache()
        self.liveness = LivenessTracker(config.last_seen_refresh)
        self.counts: Counter[str] = Counter()
        self.connected = False
        self.started_at = datetime.now(timezone.utc)
        self._buffer: list[dict[str, Any]] = []
        self._alerts: list[Alert] = []
        self._unknown: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flush_now = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="ingest-ticker", daemon=True)
        self._client = self._make_client()

    # --- MQTT ---------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        shared = bool(self.config.shared_group)
        protocol = mqtt.MQTTv5 if shared else mqtt.MQTTv311
        client_id = self.config.client_id or f"dtp-ingest-{self.config.worker}"
        kwargs: dict[str, Any] = {"clean_session": False} if protocol == mqtt.MQTTv311 else {}
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, **kwargs)
        broker = self.config.broker
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def subscriptions(self) -> list[str]:
        group = self.config.shared_group
        return [f"$share/{group}/{t}" if group else t for t in self.config.topics]

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.error("MQTT broker %s refused the connection: %s", self.config.broker.display, reason)
            return
        self.connected = True
        client.subscribe([(t, 1) for t in self.subscriptions()])
        log.info("ingest connected to %s, subscribed to %s", self.config.broker.display, ", ".join(self.subscriptions()))

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.connected = False
        if not self._stop.is_set():
            log.warning("ingest lost the MQTT broker %s (%s); reconnecting", self.config.broker.display, reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        received = datetime.now(timezone.utc)
        try:
            self.handle(msg.topic, msg.payload, received)
        except Exception:  # the loop must survive anything a message brings
            self.counts["rejected.internal"] += 1
            log.exception("ingest could not handle a message on %s", msg.topic)

    # --- messages ---------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, received: datetime) -> None:
        """Decode one message and buffer what it carries (the public entry for one message)."""
        self.counts["received"] += 1
        route = self.routes.current().route(topic)
        if route is None:
            self.counts["rejected.unknown_topic"] += 1
            if len(self._unknown) < 10_000 and topic not in self._unknown:  # once per topic, not per message
                self._unknown.add(topic)
                log.info("no twin declares the topic %s (declare it in a twin.yaml's interfaces.data_streams)",
                         topic)
            return
        item = decode(route, payload, received)
        if isinstance(item, Rejected):
            self.counts[f"rejected.{item.reason}"] += 1
            log.info("message on %s (twin %s) rejected: %s", topic, route.twin, item.detail)
            return
        self.liveness.seen(route.twin, received)
        with self._lock:
            self._buffer.append(item.record())
            if isinstance(item, Alert):
                self._alerts.append(item)
            full = len(self._buffer) >= self.config.batch_size
        self.counts["accepted.alert" if isinstance(item, Alert) else "accepted.observation"] += 1
        if full:
            self._flush_now.set()

    def flush(self) -> int:
        """Hand the buffered records to every store's lane; returns how many."""
        with self._lock:
            records, self._buffer = self._buffer, []
            alerts, self._alerts = self._alerts, []
        if records:
            self.pipeline.submit(records)
        if alerts:
            self._announce(alerts)
        return len(records)

    def _announce(self, alerts: list[Alert]) -> None:
        from registry import events
        from registry.reconcile import announce

        announce([events.EventDraft(a.tenant, ALERT_EVENT, {"twin_id": a.twin, "severity": a.severity,
                                                            "time": a.time.isoformat(), "alert": a.body}, a.twin)
                  for a in alerts])

    # --- the ticker -------------------------------------------------------------
    def report_liveness(self, now: datetime | None = None) -> dict[str, dict[str, Any]]:
        from registry.reconcile import update_runtime_many

        changes = self.liveness.due(now or datetime.now(timezone.utc), self.routes.current().intervals)
        if changes:
            update_runtime_many(changes, source="ingest")
            self.liveness.reported(changes)
        return changes

    def write_status(self) -> None:
        from .models import IngestStatus

        report = {"broker": self.config.broker.display, "connected": self.connected,
                  "subscriptions": self.subscriptions(), "counts": dict(self.counts),
                  "stores": self.pipeline.reports()}
        now = datetime.now(timezone.utc)
        IngestStatus.objects.update_or_create(worker=self.config.worker, defaults={
            "started_at": self.started_at, "updated_at": now, "report": report})
        # Workers that stopped a day ago (restarts, scaled-down replicas) leave no rows behind.
        IngestStatus.objects.filter(updated_at__lt=now - timedelta(days=1)).delete()

    def _tick_loop(self) -> None:
        from .projection import project_once

        next_status = 0.0
        while not self._stop.is_set():
            self._flush_now.wait(self.config.flush_seconds)
            self._flush_now.clear()
            try:
                self.flush()
                if self.config.project:
                    while project_once(self.pipeline.submit):
                        pass
                self.report_liveness()
                if time.monotonic() >= next_status:
                    self.write_status()
                    next_status = time.monotonic() + self.config.status_seconds
            except Exception:
                log.exception("ingest tick failed; retrying")
                self._stop.wait(1.0)
            finally:
                close_old_connections()

    # --- lifecycle --------------------------------------------------------------
    def start(self) -> None:
        from registry.models import Twin

        self.liveness.load({i: r for i, r in Twin.objects.values_list("id", "runtime") if r and "last_seen" in r})
        self.pipeline.start()
        broker = self.config.broker
        self._client.connect_async(broker.host, broker.port, keepalive=30)
        self._client.loop_start()
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        self._client.disconnect()
        self._client.loop_stop()
        self._flush_now.set()
        self._ticker.join(timeout=10)
        self.flush()
        self.pipeline.stop()
        self.write_status()
