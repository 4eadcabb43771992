"""One MQTT connection per stack that survives the broker going away.

Why not paho's own `loop_start()` reconnect: it backs off without jitter (a
fleet of publishers then reconnects in lock-step) and it queues what was
published while down. Here a thread of our own connects and reconnects with
exponential backoff and jitter, and `publish()` drops a message while the
connection is down instead of queueing it: when the broker is back, the stack
publishes its *current* values once (see `reconnected`), never a backlog.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from dataplane.mqtt import BrokerConfig

__all__ = ["Backoff", "Publisher"]

log = logging.getLogger("twins.publisher")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter": half the step fixed, half random.

    Attempt n waits between cap/2 and cap, cap = min(maximum, initial * 2**n),
    so retries spread out but never hammer a broker that is coming back.
    """

    initial: float = 0.5
    maximum: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        cap = min(self.maximum, self.initial * (2 ** min(attempt, 32)))
        return cap / 2 + rng.uniform(0, cap / 2)


class Publisher:
    """Connects in a background thread; `publish()` is safe from any thread."""

    def __init__(self, broker: BrokerConfig, name: str, *, backoff: Backoff | None = None,
                 keepalive: int = 30, on_reconnect: Callable[[], None] | None = None) -> None:
        self.broker = broker
        self.client_id = f"dtp-{name}-{secrets.token_hex(4)}"
        self.backoff = backoff or Backoff()
        self.keepalive = keepalive
        self.on_reconnect = on_reconnect
        self.dropped = 0
        self._rng = random.Random()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._ever_connected = False
        self._thread: threading.Thread | None = None
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                   protocol=mqtt.MQTTv311, reconnect_on_failure=False)
        if broker.username is not None:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        # Only the connection thread may write to the socket: with this hook set, paho's publish()
        # from another thread queues the packet and wakes that thread's select() instead of
        # writing itself (two writers could interleave partial writes of large bursts).
        self._client.on_socket_register_write = lambda *_args: None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{self.client_id}", daemon=True)
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def stop(self, flush_timeout: float = 5.0) -> None:
        """Stop reconnecting, let queued packets out, then disconnect."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=flush_timeout + 2)
        self._connected.clear()

    # --- publishing --------------------------------------------------------------

    def publish(self, topic: str, payload: dict[str, Any] | list[dict[str, Any]],
                qos: int = 0) -> mqtt.MQTTMessageInfo | None:
        """Send one JSON message now, or drop it (and count it) while not connected."""
        if not self._connected.is_set():
            self.dropped += 1
            return None
        info = self._client.publish(topic, json.dumps(payload, separators=(",", ":")), qos=qos)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            self.dropped += 1
            return None
        return info

    # --- the connection thread ---------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("broker %s refused %s: %s", self.broker.display, self.client_id, reason)
            return
        again = self._ever_connected
        self._ever_connected = True
        self._connected.set()
        log.info("%s %s to %s", self.client_id, "reconnected" if again else "connected", self.broker.display)
        if again and self.on_reconnect is not None:
            self.on_reconnect()

    def _on_disconnect(self, *_args: Any) -> None:
        if self._connected.is_set() and not self._stop.is_set():
            log.warning("%s lost the broker %s", self.client_id, self.broker.display)
        self._connected.clear()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                if self._ever_connected or attempt:
                    self._client.reconnect()
                else:
                    self._client.connect(self.broker.host, self.broker.port, self.keepalive)
            except (OSError, ValueError) as exc:
                self._wait_before_retry(attempt, exc)
                attempt += 1
                continue
            while not self._stop.is_set():
                if self._client.loop(timeout=0.2) != mqtt.MQTT_ERR_SUCCESS:
                    break
                if self._connected.is_set():
                    attempt = 0
            if self._stop.is_set():
                self._close()
                return
            self._connected.clear()
            self._wait_before_retry(attempt, None)
            attempt += 1

    def _wait_before_retry(self, attempt: int, exc: Exception | None) -> None:
        delay = self.backoff.delay(attempt, self._rng)
        reason = f" ({exc})" if exc else ""
        log.info("%s: broker %s unreachable%s; retrying in %.1f s", self.client_id, self.broker.display,
                 reason, delay)
        self._stop.wait(delay)

    def _close(self) -> None:
        """Give already-published packets a moment to leave, then say goodbye."""
        if self._connected.is_set():
            for _ in range(10):
                if not self._client.want_write():
                    break
                self._client.loop(timeout=0.1)
            self._client.disconnect()
            self._client.loop(timeout=0.1)
        sock = self._client.socket()
        if sock is not None:
            sock.close()
