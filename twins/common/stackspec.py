"""A stack's topics, read from its own twin.yaml so they can never drift from the declaration."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from registry.spec import TwinSpec, parse_spec

__all__ = ["Binding", "StackSpec", "StackSpecError", "load_stack_spec"]


class StackSpecError(Exception):
    """A twin.yaml a stack cannot publish from; the message names the file and what to change."""


@dataclass(frozen=True)
class Binding:
    """Where one signal goes: the declared stream's topic, its signal name and unit."""

    signal: str
    topic: str
    unit: str


@dataclass(frozen=True)
class StackSpec:
    path: Path
    twin: TwinSpec
    bindings: dict[str, Binding]
    alerts_topic: str | None

    @property
    def twin_id(self) -> str:
        return self.twin.id

    def telemetry_topics(self) -> list[str]:
        return [b.topic for b in self.bindings.values()]

    def with_override(self, signal: str, *, topic: str | None = None, name: str | None = None,
                      unit: str | None = None) -> StackSpec:
        """The same spec with one signal sent elsewhere (the room sensor's MQTT_TOPIC & co.)."""
        old = self.bindings[signal]
        new = Binding(name or old.signal, topic or old.topic, old.unit if unit is None else unit)
        return dataclasses.replace(self, bindings={**self.bindings, signal: new})


def load_stack_spec(path: Path, signals: tuple[str, ...], *, needs_alerts: bool = False) -> StackSpec:
    """Bind each signal a generator produces to the MQTT stream its twin.yaml declares for it.

    Raises StackSpecError when the file is invalid, or declares no stream for
    a signal the generator produces (or no `.../alerts` stream when it raises
    alerts): publishing on an undeclared topic would be data the registry
    cannot place.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StackSpecError(f"{path}: cannot read the twin spec ({exc.strerror})") from None
    parsed = parse_spec(data, str(path))
    if parsed.spec is None:
        raise StackSpecError("\n".join(str(e) for e in parsed.errors))
    twin = parsed.spec
    mqtt = [s for s in twin.streams if s.kind == "mqtt" and "+" not in s.topic and "#" not in s.topic]
    by_signal = {s.signal: s for s in mqtt if s.signal}
    bindings: dict[str, Binding] = {}
    for signal in signals:
        stream = by_signal.get(signal)
        if stream is None:
            raise StackSpecError(
                f"{path}: interfaces.data_streams declares no MQTT stream with signal {signal!r}, which this "
                f"stack publishes; add one, e.g. {{uri: mqtt://dtp/.../{signal}, signal: {signal}, unit: ...}}")
        bindings[signal] = Binding(signal, stream.topic, stream.unit)
    alerts = next((s.topic for s in mqtt if s.topic.rsplit("/", 1)[-1] == "alerts"), None)
    if needs_alerts and alerts is None:
        raise StackSpecError(f"{path}: interfaces.data_streams declares no alerts stream, which this stack "
                             f"publishes to; add one whose topic ends in /alerts, e.g. mqtt://dtp/.../alerts")
    return StackSpec(path, twin, bindings, alerts)
