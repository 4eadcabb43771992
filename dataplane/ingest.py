"""The ingest service: MQTT messages in, one batch per store out, acknowledged once spooled.

paho-mqtt's network thread decodes and buffers each message (routing from
an in-memory map, never the database); a flusher thread moves the buffer
into the pipeline (each store's spool, fsync'd) every
`flush_seconds`, when it holds `batch_size` records or when `max_unacked`
messages wait for their acknowledgement, and only then acknowledges those
messages to the broker (paho's manual acknowledgement), in the order they
came. A SIGKILL at any moment therefore loses nothing: what was not spooled
was not acknowledged, and the broker sends it again to the same persistent
session (a stable client id, clean_session False / MQTT 5 clean_start False
with a session expiry), where the observation key absorbs the duplicates.

A ticker thread does what needs the registry's database: reloads the topic
map when the registry changed, announces alerts as portal events, reports
liveness, projects registry changes to the graph and the blob store, and
writes this worker's status for the portal. While the database is away it
retries with backoff; spooling and acknowledging go on meanwhile. Nothing in a message can stop the
loop: what does not fit is counted per reason and logged once per topic and
reason per REJECT_LOG_SECONDS.
"""

from __future__ import annotations

import logging
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
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .liveness import LivenessTracker
from .messages import Alert, Limits, Rejected, decode_all
from .mqtt import BrokerConfig
from .pipeline import Pipeline
from .routing import RouteCache
from .writers import Writer

__all__ = ["IngestConfig", "IngestService", "ALERT_EVENT", "RejectLog", "default_client_id"]

log = logging.getLogger(__name__)
ALERT_EVENT = "twin.alert"
REJECT_LOG_SECONDS = 60.0
BOOKKEEPING_BACKOFF_MAX = 30.0


def default_client_id(worker: str) -> str:
    """The MQTT client id of a worker: stable across restarts, so the broker's session (and queue) is resumed."""
    return f"dtp-ingest-{worker}"


@dataclass(frozen=True)
class IngestConfig:
    broker: BrokerConfig
    topics: list[str]
    shared_group: str = ""
    batch_size: int = 500
    flush_seconds: float = 0.5
    spool_dir: Path = Path("var/spool")
    spool_max_bytes: int = 256 * 1024 * 1024
    worker: str = field(default_factory=socket.gethostname)  # in Kubernetes, the StatefulSet pod's name
    client_id: str = ""  # default_client_id(worker) when empty
    session_expiry_seconds: int = 7 * 86400  # MQTT 5 only; a 3.1.1 broker keeps the session by its own rule
    max_unacked: int = 10  # flush when this many messages wait for their acknowledgement
    limits: Limits = Limits()
    status_seconds: float = 2.0
    last_seen_refresh: float = 60.0
    project: bool = True  # this worker keeps the graph and blobs in step (one worker should)


class RejectLog:
    """Logs a rejection once per (topic, reason) per interval, with how many were not logged in between."""

    def __init__(self, interval: float = REJECT_LOG_SECONDS, max_keys: int = 10_000):
        self.interval = interval
        self.max_keys = max_keys
        self._last: dict[tuple[str, str], tuple[float, int]] = {}  # key -> (logged at, suppressed since)

    def note(self, topic: str, reason: str, message: str) -> None:
        now = time.monotonic()
        key = (topic, reason)
        logged, suppressed = self._last.get(key, (None, 0))
        if logged is not None and now - logged < self.interval:
            self._last[key] = (logged, suppressed + 1)
            return
        if logged is None and len(self._last) >= self.max_keys:
            self._last.clear()  # a flood of distinct topics must not grow memory without bound
        more = f" ({suppressed} more since the last report)" if suppressed else ""
        log.info("%s%s", message, more)
        self._last[key] = (now, 0)


class IngestService:
    def __init__(self, config: IngestConfig, writers: list[Writer]):
        self.config = config
        self.pipeline = Pipeline(writers, config.spool_dir, config.spool_max_bytes)
        self.routes = RouteCache()
        self.liveness = LivenessTracker(config.last_seen_refresh)
        self.counts: Counter[str] = Counter()
        self.connected = False
        self.started_at = datetime.now(timezone.utc)
        self.client_id = config.client_id or default_client_id(config.worker)
        self._buffer: list[dict[str, Any]] = []
        self._seen: dict[str, datetime] = {}  # twin -> newest arrival since the last flush (for liveness)
        self._alerts: list[Alert] = []  # spooled; their portal events wait for the ticker
        self._unacked: list[tuple[int, int, int]] = []  # (connection, mid, qos) in the order received
        self._connection = 0  # counts (re)connections: an ack belongs to the connection that delivered it
        self._rejects = RejectLog()
        self._accepted: frozenset[str] | None = None  # the twins routed at the last liveness report
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flush_now = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="ingest-ticker", daemon=True)
        self._flusher = threading.Thread(target=self._flush_loop, name="ingest-flush", daemon=True)
        self._next_status = 0.0
        self._client = self._make_client()

    # --- MQTT ---------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        v5 = bool(self.config.shared_group)  # shared subscriptions need MQTT 5; the embedded broker speaks 3.1.1
        kwargs: dict[str, Any] = {} if v5 else {"clean_session": False}
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311, manual_ack=True, **kwargs)
        broker = self.config.broker
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def subscriptions(self) -> list[str]:
        group = self.config.shared_group
        return [f"$share/{group}/{t}" if group else t for t in self.config.topics]

    def _on_connect(self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.error("MQTT broker %s refused the connection: %s", self.config.broker.display, reason)
            return
        with self._lock:
            self._connection += 1  # messages not acknowledged yet come again on this connection
            self._unacked.clear()
        client.subscribe([(t, 1) for t in self.subscriptions()])
        resumed = "resumed its session" if getattr(flags, "session_present", False) else "started a new session"
        log.info("ingest %s connected to %s (%s), subscribed to %s", self.client_id, self.config.broker.display,
                 resumed, ", ".join(self.subscriptions()))

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _props: Any) -> None:
        failed = [r for r in reasons if getattr(r, "is_failure", False)]
        if failed:
            log.error("MQTT broker %s refused the subscription to %s: %s", self.config.broker.display,
                      ", ".join(self.subscriptions()), ", ".join(str(r) for r in failed))
            return
        self.connected = True  # connected *and* subscribed: what the status (and the tests) wait for

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.connected = False
        if not self._stop.is_set():
            log.warning("ingest lost the MQTT broker %s (%s); reconnecting", self.config.broker.display, reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        # Acknowledged by the flush that spools what this message carried (or, if it carried
        # nothing to store, by the next flush: it is handled then, and acks go out in order).
        ack = (msg.mid, msg.qos) if msg.qos else None
        try:
            self._receive(msg.topic, msg.payload, datetime.now(timezone.utc), ack)
        except Exception:  # the loop must survive anything a message brings
            self.counts["rejected.internal"] += 1
            log.exception("ingest could not handle a message on %s", msg.topic)
            if ack is not None:
                with self._lock:
                    self._unacked.append((self._connection, *ack))

    # --- messages ---------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, received: datetime) -> None:
        """Decode one message and buffer what it carries (the public entry for one message)."""
        self._receive(topic, payload, received, None)

    def _receive(self, topic: str, payload: bytes, received: datetime, ack: tuple[int, int] | None) -> None:
        """Decode, then buffer the records, the arrival and the pending ack under one lock (the hot path)."""
        counts = self.counts
        counts["received"] += 1
        route = self.routes.current().route(topic)
        records: list[dict[str, Any]] = []
        if route is None:
            counts["rejected.unknown_topic"] += 1
            self._rejects.note(topic, "unknown_topic", f"no twin declares the topic {topic} "
                                                       "(declare it in a twin.yaml's interfaces.data_streams)")
        else:
            for item in decode_all(route, payload, received, self.config.limits):
                if isinstance(item, Rejected):
                    counts[f"rejected.{item.reason}"] += 1
                    self._rejects.note(topic, item.reason, f"message on {topic} (twin {route.twin}) rejected "
                                                           f"({item.reason}): {item.detail}")
                    continue
                records.append(item.record())
                counts["accepted.alert" if isinstance(item, Alert) else "accepted.observation"] += 1
        with self._lock:
            if records:
                self._buffer.extend(records)
                self._seen[route.twin] = received
            if ack is not None:
                self._unacked.append((self._connection, *ack))
            due = len(self._buffer) >= self.config.batch_size or len(self._unacked) >= self.config.max_unacked
        if due:
            self._flush_now.set()

    def flush(self) -> int:
        """Spool the buffered records in every store's lane, then acknowledge their messages; returns how many."""
        with self._lock:
            records, self._buffer = self._buffer, []
            acks, self._unacked = self._unacked, []
            seen, self._seen = self._seen, {}
            connection = self._connection
        self.liveness.seen_many(seen)  # off the hot path: once per twin per flush, not once per message
        try:
            if records:
                self.pipeline.submit(records)  # durable (fsync'd) when it returns
        except BaseException:
            with self._lock:  # nothing is acknowledged; the next flush tries again
                self._buffer[:0] = records
                if connection == self._connection:
                    self._unacked[:0] = acks
            raise
        alerts = [Alert.from_record(r) for r in records if r["k"] == "event"]
        if alerts:
            with self._lock:  # the event_log rows are spooled; the portal events wait for the ticker
                self._alerts.extend(alerts)
                del self._alerts[:-10_000]
        with self._lock:  # a reconnect (which renumbers) cannot slip between the check and the acks
            for conn, mid, qos in acks:
                if conn == self._connection:  # an older connection's messages are sent again by the broker
                    self._client.ack(mid, qos)
        return len(records)

    def _flush_loop(self) -> None:
        while not self._stop.is_set():
            self._flush_now.wait(self.config.flush_seconds)
            self._flush_now.clear()
            try:
                self.flush()
            except Exception:
                log.exception("ingest flush failed; the messages stay unacknowledged and are spooled next time")
                self._stop.wait(1.0)

    def announce_alerts(self) -> int:
        """Portal events for the spooled alerts (needs the database; kept for the next tick if it is away)."""
        from registry import events
        from registry.reconcile import announce

        with self._lock:
            alerts, self._alerts = self._alerts, []
        if not alerts:
            return 0
        try:
            announce([events.EventDraft(a.tenant, ALERT_EVENT, {"twin_id": a.twin, "severity": a.severity,
                                                                "time": a.time.isoformat(), "alert": a.body}, a.twin)
                      for a in alerts])
        except Exception:
            with self._lock:
                self._alerts[:0] = alerts
            raise
        return len(alerts)

    # --- the ticker -------------------------------------------------------------
    def report_liveness(self, now: datetime | None = None) -> dict[str, dict[str, Any]]:
        from registry.reconcile import update_runtime_many

        routes = self.routes.current()
        accepted = routes.twins if self.routes.loaded else None
        if accepted is not None:
            if self._accepted is not None and accepted - self._accepted:
                self.liveness.forget_reports(set(accepted - self._accepted))
            self._accepted = accepted
        changes = self.liveness.due(now or datetime.now(timezone.utc), routes.intervals, accepted)
        if changes:
            update_runtime_many(changes, source="ingest")
            self.liveness.reported(changes)
        return changes

    def status_report(self) -> dict[str, Any]:
        return {"broker": self.config.broker.display, "connected": self.connected, "client_id": self.client_id,
                "subscriptions": self.subscriptions(), "counts": dict(self.counts),
                "stores": self.pipeline.reports(), "registry": self.routes.stale or "ok"}

    def write_status(self) -> None:
        from .models import IngestStatus

        now = datetime.now(timezone.utc)
        IngestStatus.objects.update_or_create(worker=self.config.worker, defaults={
            "started_at": self.started_at, "updated_at": now, "report": self.status_report()})
        # Workers that stopped a day ago (restarts, scaled-down replicas) leave no rows behind.
        IngestStatus.objects.filter(updated_at__lt=now - timedelta(days=1)).delete()

    def _bookkeeping(self) -> None:
        """What needs the registry's database: routes, alerts, projections, liveness, this worker's status."""
        from .projection import project_once

        self.routes.refresh()
        self.announce_alerts()
        if self.config.project:
            while project_once(self.pipeline.submit):
                pass
        self.report_liveness()
        if time.monotonic() >= self._next_status:
            self.write_status()
            self._next_status = time.monotonic() + self.config.status_seconds

    def _tick_loop(self) -> None:
        retry_at, backoff = 0.0, 1.0
        while not self._stop.wait(self.config.flush_seconds):
            if time.monotonic() < retry_at:
                continue
            try:
                self._bookkeeping()
                backoff = 1.0
            except Exception as exc:  # the database is away: spooling goes on, this waits
                log.warning("ingest bookkeeping (liveness, status, projections) failed: %s; retry in %.0f s",
                            str(exc).strip()[:300], backoff)
                retry_at, backoff = time.monotonic() + backoff, min(BOOKKEEPING_BACKOFF_MAX, backoff * 2)
            finally:
                close_old_connections()

    # --- lifecycle --------------------------------------------------------------
    def start(self) -> None:
        from registry.models import Twin

        self.routes.load()  # routing needs one map; afterwards it survives a database outage
        self.liveness.load({i: r for i, r in Twin.objects.values_list("id", "runtime") if r and "last_seen" in r})
        self.pipeline.start()
        broker = self.config.broker
        if self.config.shared_group:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.config.session_expiry_seconds
            self._client.connect_async(broker.host, broker.port, keepalive=30, clean_start=False, properties=props)
        else:
            self._client.connect_async(broker.host, broker.port, keepalive=30)
        self._client.loop_start()
        self._flusher.start()
        self._ticker.start()

    def stop(self) -> None:
        """Spool and acknowledge what was received, then leave the broker (the session stays)."""
        self._stop.set()
        self._flush_now.set()
        self._flusher.join(timeout=10)
        self._ticker.join(timeout=30)
        try:
            self.flush()
        except Exception:
            log.exception("ingest could not spool its last records; the broker sends them again")
        self._client.disconnect()
        self._client.loop_stop()
        self.pipeline.stop()
        try:
            self.announce_alerts()
            self.write_status()
        except Exception as exc:
            log.warning("ingest could not write its final status: %s", exc)
