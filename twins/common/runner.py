"""Run one stack: step its model, publish on its declared topics, raise its alerts, feed its UI.

Ticks come every `interval` seconds of wall time; the model steps `interval`
simulated seconds per tick, so a seeded run produces the same values at any
speed. Ticks missed while the broker is away are not made up: when it is
back, the last values are published once more with a fresh timestamp and the
schedule carries on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import paho.mqtt.client as mqtt

from twins.common.alarm import ThresholdAlarm
from twins.common.board import StatusBoard
from twins.common.config import RunSettings
from twins.common.influx import CentralInflux
from twins.common.messages import Alert, iso_utc, telemetry_payload
from twins.common.publisher import Publisher
from twins.common.stackspec import StackSpec, load_stack_spec
from twins.common.ui import UIServer

__all__ = ["BrokerUnreachable", "Model", "StackDefinition", "StackRunner", "TickLoop"]

log = logging.getLogger("twins.runner")


class Model(Protocol):
    """A simulation: one step of `dt` simulated seconds gives a value per signal."""

    def step(self, dt: float) -> dict[str, float]: ...


class BrokerUnreachable(RuntimeError):
    """A counted run (`--once`, `--count`) found no broker to publish to."""


@dataclass(frozen=True)
class StackDefinition:
    """What makes a stack: its folder's twin.yaml, its model, its alarms, its UI port variable.

    `signals` are the declared signal names the model's `step()` returns;
    `alarms` builds the stack's threshold alarms from the environment (a stack
    with alarms must declare an `.../alerts` stream).
    """

    name: str
    spec_path: Path
    model: Callable[[int | None, Mapping[str, str]], Model]
    signals: tuple[str, ...]
    alarms: Callable[[Mapping[str, str], StackSpec], list[ThresholdAlarm]] | None = None
    customize: Callable[[StackSpec, Mapping[str, str]], StackSpec] | None = None
    ui_port_env: str | None = None
    default_ui_port: int | None = None

    def load_spec(self, environ: Mapping[str, str], path: Path | None = None) -> StackSpec:
        spec = load_stack_spec(path or self.spec_path, self.signals, needs_alerts=self.alarms is not None)
        return self.customize(spec, environ) if self.customize else spec


class TickLoop:
    """Ticks on a schedule, publishes through one Publisher, resumes once after a reconnect.

    Subclasses say what a tick publishes (`tick`) and what "the current
    values" are when the broker comes back (`resume`).
    """

    name = "loop"

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.publisher = Publisher(settings.broker, self.name, backoff=settings.backoff,
                                   on_reconnect=self._on_reconnect)
        self.ticks = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._reconnected = threading.Event()
        self._sent: list[mqtt.MQTTMessageInfo] = []

    def tick(self) -> object:
        raise NotImplementedError

    def resume(self) -> None:
        raise NotImplementedError

    def before_run(self) -> None:
        """Start what lives beside the loop (a UI)."""

    def after_run(self) -> None:
        """Stop and flush what lives beside the loop."""

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Publish until `stop()` (or `settings.count` ticks); raises BrokerUnreachable in a counted run."""
        self.before_run()
        self.publisher.start()
        count = self.settings.count
        try:
            if count is not None and not self.publisher.wait_connected(self.settings.connect_timeout):
                raise BrokerUnreachable(
                    f"{self.name}: no MQTT broker answered at {self.settings.broker.display} within "
                    f"{self.settings.connect_timeout:g} s; start one or set MQTT_URL")
            log.info("%s: publishing every %g s to %s", self.name, self.settings.interval,
                     self.settings.broker.display)
            next_at = time.monotonic()
            while not self._stop.is_set():
                self.tick()
                self.ticks += 1
                if count is not None and self.ticks >= count:
                    break
                next_at += self.settings.interval
                if next_at <= time.monotonic():  # late (a slow tick): skip, never bunch up
                    next_at = time.monotonic() + self.settings.interval
                self._sleep_until(next_at)
            if count is not None:
                self._wait_sent()
        finally:
            self.publisher.stop()
            self.after_run()

    def _sleep_until(self, deadline: float) -> None:
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wake.wait(remaining)
            self._wake.clear()
            if self._reconnected.is_set():
                self._reconnected.clear()
                self.resume()

    def _on_reconnect(self) -> None:  # the publisher's thread: only signal the loop
        self._reconnected.set()
        self._wake.set()

    def _track(self, info: mqtt.MQTTMessageInfo | None) -> None:
        if info is not None and self.settings.count is not None:
            self._sent.append(info)

    def _wait_sent(self) -> None:
        deadline = time.monotonic() + 10
        for info in self._sent:
            try:
                info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            except (RuntimeError, ValueError):
                pass


class StackRunner(TickLoop):
    """One twin stack: its model's values on its declared topics, its alarms, its UI, optional Influx."""

    def __init__(self, definition: StackDefinition, settings: RunSettings, environ: Mapping[str, str], *,
                 spec_path: Path | None = None, model: Model | None = None) -> None:
        self.name = definition.name
        self.definition = definition
        self.spec = definition.load_spec(environ, spec_path)
        super().__init__(settings)
        self.model = model or definition.model(settings.seed, environ)
        self.alarms = definition.alarms(environ, self.spec) if definition.alarms else []
        self.board = StatusBoard(self.spec, settings.broker.display)
        self.ui: UIServer | None = None
        self.influx = CentralInflux(settings.influx) if settings.influx else None
        self._last: dict[str, float] = {}
        self._pending_alerts: deque[Alert] = deque(maxlen=20)

    def before_run(self) -> None:
        self.start_ui()

    def after_run(self) -> None:
        if self.influx:
            self.influx.close()
        if self.ui:
            self.ui.stop()

    def start_ui(self) -> UIServer | None:
        """Serve the UI if a port is configured; a busy port is logged, not fatal (publishing matters more)."""
        if self.settings.ui_port is None or self.ui is not None:
            return self.ui
        try:
            self.ui = UIServer(self.board, self.settings.ui_host, self.settings.ui_port).start()
        except OSError as exc:
            log.error("%s: UI not started on %s:%s (%s); set %s to a free port, or 'off'", self.name,
                      self.settings.ui_host, self.settings.ui_port, exc.strerror, self.definition.ui_port_env)
            return None
        log.info("%s: UI at %s", self.name, self.ui.url)
        return self.ui

    # --- one tick ----------------------------------------------------------------------

    def tick(self) -> dict[str, float]:
        """Step the model once, publish every value, then check the alarms."""
        values = self.model.step(self.settings.interval)
        self._last = dict(values)
        now = datetime.now(timezone.utc)
        ts = iso_utc(now)
        self.board.tick(self.publisher.connected)
        self._publish_values(values, ts, now)
        for alarm in self.alarms:
            alert = alarm.update(values[alarm.signal], ts)
            if alert is not None:
                log.info("%s: alert %s: %s", self.definition.name, alert.severity, alert.message)
                if not self._publish_alert(alert):
                    self._pending_alerts.append(alert)
        return values

    def _publish_values(self, values: Mapping[str, float], ts: str, now: datetime) -> None:
        for signal, value in values.items():
            binding = self.spec.bindings[signal]
            payload = telemetry_payload(value, binding.unit, ts, signal=binding.signal)
            info = self.publisher.publish(binding.topic, payload)
            self._track(info)
            self.board.record(binding.topic, payload, info is not None)
            if self.influx:
                self.influx.write(self.spec.twin_id, binding.signal, binding.unit, value, now)

    def _publish_alert(self, alert: Alert) -> bool:
        assert self.spec.alerts_topic is not None
        info = self.publisher.publish(self.spec.alerts_topic, alert.payload(), qos=1)
        self._track(info)
        self.board.record(self.spec.alerts_topic, alert.payload(), info is not None)
        return info is not None

    def resume(self) -> None:
        """Back on the broker: the alerts raised meanwhile, then the current values once."""
        self.board.set_connected(True)
        while self._pending_alerts and self.publisher.connected:
            if not self._publish_alert(self._pending_alerts[0]):
                return
            self._pending_alerts.popleft()
        if self._last:
            now = datetime.now(timezone.utc)
            self._publish_values(self._last, iso_utc(now), now)

    def _wait_sent(self) -> None:
        super()._wait_sent()
        if self.influx:
            self.influx.flush(10)
