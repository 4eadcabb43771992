"""One simulated machine: its signals' values tick by tick, deterministic for a seed."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from twins.fleet.catalog import MachineType, SignalModel
from twins.fleet.faults import Fault, start_fault

__all__ = ["MachineSim", "Reading"]

WANDER_SECONDS = 900.0  # correlation time of the operating point's wander


@dataclass(frozen=True)
class Reading:
    signal: str
    value: float | None  # None: no message this tick (a dropout fault)
    fault: str | None = None


class MachineSim:
    """Seeded by (seed, twin id), so each machine's series repeats exactly and differs from its neighbours'."""

    def __init__(self, twin_id: str, kind: MachineType, signals: tuple[SignalModel, ...], seed: int,
                 fault_rate: float = 0.01) -> None:
        self.twin_id = twin_id
        self.kind = kind
        self.signals = signals
        self.fault_rate = fault_rate
        self.rng = random.Random(f"{seed}:{twin_id}")
        self.wander = {s.name: self.rng.gauss(0, s.wander) for s in signals}
        self.tick_no = 0
        self.hours = 0.0
        self.fault: Fault | None = None
        self.last_started: Fault | None = None  # the fault the latest step began, for the fault log

    def step(self, dt: float) -> list[Reading]:
        rng = self.rng
        tick = self.tick_no
        self.tick_no += 1
        self.hours += dt / 3600.0
        if self.fault is not None and not self.fault.active(tick):
            self.fault = None
        started = None
        if self.fault is None and self.fault_rate > 0 and rng.random() < self.fault_rate:
            self.fault = started = start_fault(rng, self.signals, tick)
        keep = math.exp(-dt / WANDER_SECONDS)
        readings = []
        for s in self.signals:
            self.wander[s.name] = self.wander[s.name] * keep + rng.gauss(0, s.wander * math.sqrt(1 - keep * keep))
            value = s.nominal + self.wander[s.name] + s.drift_per_hour * self.hours + rng.gauss(0, s.noise)
            fault = self.fault if self.fault is not None and self.fault.signal == s.name else None
            if fault is not None:
                value = fault.apply(value, tick, rng)
            if value is not None:
                value = round(min(s.high, max(s.low, value)), s.decimals)
            readings.append(Reading(s.name, value, fault.kind if fault else None))
        self.last_started = started
        return readings
