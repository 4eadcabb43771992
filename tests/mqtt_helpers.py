"""Test helpers for the twin stacks: a recording MQTT subscriber, message checks, throwaway brokers."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from tests.browser.server import free_port, wait_until

REPO = Path(__file__).resolve().parent.parent
MOSQUITTO = ("127.0.0.1", 1883)
DEADLINE = 30.0  # seconds to wait for an event on a loaded machine; not a performance claim


def broker_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    return wait_until(predicate, timeout=timeout, what=what)


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes

    def json(self) -> Any:
        return json.loads(self.payload)


class Subscriber:
    """Records every message on `topic_filter`; subscribed (SUBACK received) when the constructor returns."""

    def __init__(self, topic_filter: str, host: str = MOSQUITTO[0], port: int = MOSQUITTO[1]) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-sub-{os.urandom(4).hex()}")
        self.client.on_message = lambda _c, _u, msg: self._add(Received(msg.topic, msg.payload))
        self.client.on_subscribe = lambda *_a: self._subscribed.set()
        self.client.on_connect = lambda c, *_a: c.subscribe(topic_filter, qos=1)
        self.client.connect(host, port, 30)
        self.client.loop_start()
        if not self._subscribed.wait(DEADLINE):
            self.close()
            raise AssertionError(f"no SUBACK for {topic_filter} from {host}:{port}")

    def _add(self, message: Received) -> None:
        with self._lock:
            self.messages.append(message)

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def parse_ts(ts: str) -> datetime:
    when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    assert when.utcoffset() is not None and when.utcoffset().total_seconds() == 0, f"ts {ts!r} is not UTC"
    return when


def check_telemetry(payload: Any, *, signal: str, unit: str) -> None:
    """The format of docs/messages.md, checked field by field."""
    assert isinstance(payload, dict), payload
    assert set(payload) <= {"value", "unit", "ts", "quality", "signal"}, payload
    value = payload["value"]
    assert isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), payload
    assert payload["unit"] == unit, payload
    assert payload["quality"] in ("good", "uncertain", "bad"), payload
    assert payload.get("signal", signal) == signal, payload
    parse_ts(payload["ts"])


def check_alert(payload: Any) -> None:
    assert isinstance(payload, dict), payload
    assert set(payload) == {"severity", "message", "ts", "signal", "value", "threshold"}, payload
    assert payload["severity"] in ("info", "warning", "critical"), payload
    assert isinstance(payload["message"], str) and payload["message"], payload
    assert isinstance(payload["value"], (int, float)) and isinstance(payload["threshold"], (int, float)), payload
    parse_ts(payload["ts"])


def run_module(module: str, *args: str, env: dict[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def start_module(module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                                    "PYTHONFAULTHANDLER": "1", **(env or {})})


def stop(proc: subprocess.Popen, timeout: float = DEADLINE) -> tuple[int, str, str]:
    """SIGTERM, then collect the exit code and output (kill only if it hangs, and fail then)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # with PYTHONFAULTHANDLER: every thread's stack, to see where it hangs
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        raise AssertionError(f"process did not stop on SIGTERM within {timeout:g} s:\n{err[-6000:]}") from None
    return proc.returncode, out, err


_AMQTT = """
import asyncio, sys
from amqtt.broker import Broker
async def main():
    broker = Broker({"listeners": {"default": {"type": "tcp", "bind": "127.0.0.1:%d"}},
                     "auth": {"allow-anonymous": True}, "topic-check": {"enabled": False}})
    await broker.start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


class ThrowawayBroker:
    """An amqtt broker of the test's own, in a process it can stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _AMQTT % self.port], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: broker_answers("127.0.0.1", self.port) or self.proc.poll() is not None,
                 f"amqtt on port {self.port}")
        assert self.proc.poll() is None, f"amqtt did not start on port {self.port}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        wait_for(lambda: not broker_answers("127.0.0.1", self.port), f"port {self.port} to close")
