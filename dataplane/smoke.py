"""The smoke check: one marked record into each configured store, read back, removed.

It is what an operator (and the Kubernetes test Job) runs to see that every
store and the broker answer end to end, not just that a port is open.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from .mqtt import BrokerConfig
from .writers import Writer

__all__ = ["SmokeRow", "smoke_stores", "smoke_broker"]


@dataclass(frozen=True)
class SmokeRow:
    store: str
    endpoint: str
    written: bool
    read_back: bool | None  # None: the server cannot read this back (said in detail)
    latency_ms: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.written and self.read_back is not False


def smoke_stores(writers: list[Writer], marker: str | None = None) -> list[SmokeRow]:
    marker = marker or f"smoke-{secrets.token_hex(4)}"
    rows = []
    for writer in writers:
        start = time.perf_counter()
        try:
            probe = writer.probe(marker)
        finally:
            writer.close()
        rows.append(SmokeRow(writer.name, writer.endpoint, probe.written, probe.read_back,
                             (time.perf_counter() - start) * 1000, probe.detail))
    return rows


def smoke_broker(broker: BrokerConfig, timeout: float = 5.0) -> SmokeRow:
    """Publish a marked message (QoS 1) to a topic of our own and receive it back."""
    topic = f"dtp/_smoke/{secrets.token_hex(4)}"
    got = threading.Event()
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dtp-smoke-{secrets.token_hex(3)}")
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    client.on_connect = lambda c, *_: c.subscribe(topic, 1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, msg: got.set() if msg.payload == b"smoke" else None
    start = time.perf_counter()
    try:
        client.connect(broker.host, broker.port, keepalive=10)
    except OSError as exc:
        return SmokeRow("mqtt", broker.display, False, False, (time.perf_counter() - start) * 1000, str(exc))
    client.loop_start()
    try:
        if not subscribed.wait(timeout):
            return SmokeRow("mqtt", broker.display, False, False, (time.perf_counter() - start) * 1000,
                            "no SUBACK from the broker")
        client.publish(topic, b"smoke", qos=1).wait_for_publish(timeout)
        ok = got.wait(timeout)
        return SmokeRow("mqtt", broker.display, True, ok, (time.perf_counter() - start) * 1000,
                        "" if ok else f"the message did not come back within {timeout:g} s")
    finally:
        client.disconnect()
        client.loop_stop()
