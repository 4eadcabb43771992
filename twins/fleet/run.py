"""`python -m twins.fleet run`: publish a generated fleet's telemetry on the topics its specs declare."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from registry.spec import TwinSpec, parse_spec
from twins.common.config import RunSettings
from twins.common.messages import iso_utc, telemetry_payload
from twins.common.runner import TickLoop
from twins.common.stackspec import Binding, StackSpecError
from twins.fleet.catalog import MACHINE_TYPES, SignalModel, machine_type
from twins.fleet.faultlog import FaultLog
from twins.fleet.sim import MachineSim

__all__ = ["FleetMachine", "FleetRunner", "load_fleet", "simulate"]

log = logging.getLogger("twins.fleet")


@dataclass(frozen=True)
class FleetMachine:
    spec: TwinSpec
    path: Path
    signals: tuple[SignalModel, ...]
    bindings: dict[str, Binding]


def load_fleet(specs_dir: Path) -> list[FleetMachine]:
    """Every twin.yaml under `specs_dir` whose metadata.machine_type is a fleet type, sorted by id.

    Raises StackSpecError listing every file that is invalid or names an
    unknown type or signal: a half-loaded fleet would be a misleading load.
    """
    paths = sorted(specs_dir.rglob("twin.yaml")) if specs_dir.is_dir() else []
    if not paths:
        raise StackSpecError(f"{specs_dir}: no twin.yaml files here; write some with "
                             f"`python -m twins.fleet generate --out {specs_dir}`")
    machines, errors = [], []
    for path in paths:
        parsed = parse_spec(path.read_bytes(), str(path))
        if parsed.spec is None:
            errors.extend(str(e) for e in parsed.errors)
            continue
        spec = parsed.spec
        key = spec.metadata.get("machine_type")
        kind = machine_type(key) if isinstance(key, str) else None
        if kind is None:
            errors.append(f"{path}: metadata.machine_type is {key!r}; the fleet knows: "
                          f"{', '.join(t.key for t in MACHINE_TYPES)}")
            continue
        signals, bindings = [], {}
        for stream in spec.streams:
            model = kind.signal(stream.signal)
            if stream.kind != "mqtt" or model is None:
                errors.append(f"{path}: stream {stream.uri!r} has signal {stream.signal!r}, which a "
                              f"{kind.key} does not have; use one of: {', '.join(s.name for s in kind.signals)}")
                continue
            signals.append(model)
            bindings[model.name] = Binding(model.name, stream.topic, stream.unit or model.unit)
        machines.append(FleetMachine(spec, path, tuple(signals), bindings))
    if errors:
        raise StackSpecError("\n".join(errors))
    return sorted(machines, key=lambda m: m.spec.id)


def build_sims(machines: list[FleetMachine], seed: int, fault_rate: float) -> list[MachineSim]:
    return [MachineSim(m.spec.id, machine_type(m.spec.metadata["machine_type"]), m.signals, seed, fault_rate)
            for m in machines]


SIM_START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def simulate(machines: list[FleetMachine], *, seed: int, ticks: int, dt: float = 5.0,
             fault_rate: float = 0.01, faults: FaultLog | None = None,
             start: datetime = SIM_START) -> list[dict[str, float | None]]:
    """The fleet's values tick by tick (topic -> value, None for a dropout), without a broker.

    With `faults`, the injected faults are logged as the run would log them, tick i at the
    simulated time `start + i * dt` (the time a benchmark feeding these values would stamp them).
    """
    sims = build_sims(machines, seed, fault_rate)
    out = []
    for i in range(ticks):
        ts = iso_utc(start + timedelta(seconds=i * dt))
        row: dict[str, float | None] = {}
        for machine, sim in zip(machines, sims, strict=True):
            for reading in sim.step(dt):
                row[machine.bindings[reading.signal].topic] = reading.value
            if faults is not None:
                faults.after_step(sim, _topics(machine), ts)
        out.append(row)
    if faults is not None:
        faults.close()
    return out


def _topics(machine: FleetMachine) -> dict[str, str]:
    return {name: binding.topic for name, binding in machine.bindings.items()}


class FleetRunner(TickLoop):
    """All machines on one MQTT connection: a tick publishes every machine's signals.

    Batched (the default), a machine's readings of one tick go in one message, a batch
    (docs/messages.md) on the topic of its first declared stream, each item naming its signal:
    one protocol round trip per machine and tick instead of one per signal. Unbatched, each
    reading goes on its own stream's topic.
    """

    name = "fleet"

    def __init__(self, machines: list[FleetMachine], settings: RunSettings, *, seed: int, fault_rate: float,
                 faults_log: IO[str] | None = None, batch: bool = True) -> None:
        super().__init__(settings)
        self.batch = batch
        self.machines = machines
        self.sims = build_sims(machines, seed, fault_rate)
        self.faults = FaultLog(faults_log, seed)
        self._last: list[list[tuple[Binding, float]]] = []

    def tick(self) -> None:
        now = iso_utc(datetime.now(timezone.utc))
        last = []
        for machine, sim in zip(self.machines, self.sims, strict=True):
            readings = sim.step(self.settings.interval)
            self.faults.after_step(sim, _topics(machine), now)
            sent = [(machine.bindings[r.signal], r.value) for r in readings if r.value is not None]
            self._send(sent, now)
            last.append(sent)
        self._last = last

    def resume(self) -> None:
        now = iso_utc(datetime.now(timezone.utc))
        for sent in self._last:  # each machine's readings of the last tick
            self._send(sent, now)

    def _send(self, sent: list[tuple[Binding, float]], ts: str) -> None:
        payloads = [(b.topic, telemetry_payload(v, b.unit, ts, signal=b.signal)) for b, v in sent]
        if self.batch and len(payloads) > 1:
            self._track(self.publisher.publish(payloads[0][0], [p for _, p in payloads]))
            return
        for topic, payload in payloads:
            self._track(self.publisher.publish(topic, payload))
