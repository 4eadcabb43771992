"""Injected faults: departures from normal that an anomaly detector should flag.

Sizes are in multiples of a signal's usual spread (`hypot(noise, wander)`),
so a fault is equally visible on a 3000 rpm turbine and a 0.05 mm robot error.

| kind        | lasts         | what it looks like                                              |
|-------------|---------------|-----------------------------------------------------------------|
| spike       | 1 tick        | one outlier, 5-10 spreads above or below                         |
| step        | 12-60 ticks   | a sudden offset of 3-6 spreads that holds, then snaps back       |
| drift       | 30-120 ticks  | a ramp growing to 4-8 spreads (fouling, wear), then reset        |
| stuck       | 12-60 ticks   | the sensor repeats one value exactly (a frozen transmitter)       |
| noise_burst | 12-60 ticks   | extra noise of 4 spreads (looseness, cavitation, a bad cable)    |
| dropout     | 3-12 ticks    | no message at all (a gap in the series)                           |

A machine has at most one fault at a time; one starts on a tick with
probability `fault_rate` (default 0.01: every 100 ticks on average).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from twins.fleet.catalog import SignalModel

__all__ = ["FAULT_KINDS", "Fault", "start_fault"]

FAULT_KINDS = ("spike", "step", "drift", "stuck", "noise_burst", "dropout")
_DURATION = {"spike": (1, 1), "step": (12, 60), "drift": (30, 120), "stuck": (12, 60),
             "noise_burst": (12, 60), "dropout": (3, 12)}


def spread(model: SignalModel) -> float:
    return math.hypot(model.noise, model.wander) or abs(model.nominal) * 0.01 or 1.0


@dataclass
class Fault:
    kind: str
    signal: str
    start_tick: int
    duration: int
    magnitude: float  # signed, in units of the signal
    frozen: float | None = None

    @property
    def end_tick(self) -> int:
        return self.start_tick + self.duration

    def active(self, tick: int) -> bool:
        return self.start_tick <= tick < self.end_tick

    def apply(self, value: float, tick: int, rng: random.Random) -> float | None:
        """The faulty reading for this tick, or None when the sensor sends nothing."""
        if self.kind in ("spike", "step"):
            return value + self.magnitude
        if self.kind == "drift":
            return value + self.magnitude * (tick - self.start_tick + 1) / self.duration
        if self.kind == "stuck":
            if self.frozen is None:
                self.frozen = value
            return self.frozen
        if self.kind == "noise_burst":
            return value + rng.gauss(0, abs(self.magnitude))
        return None  # dropout


def start_fault(rng: random.Random, signals: tuple[SignalModel, ...], tick: int) -> Fault:
    model = rng.choice(signals)
    kind = rng.choice(FAULT_KINDS)
    low, high = _DURATION[kind]
    size = {"spike": rng.uniform(5, 10), "step": rng.uniform(3, 6), "drift": rng.uniform(4, 8),
            "noise_burst": 4.0}.get(kind, 0.0)
    return Fault(kind, model.name, tick, rng.randint(low, high), rng.choice((-1, 1)) * size * spread(model))
