"""The lift's simulation: vibration RMS, door cycles and cabin load.

Vibration is a healthy 1.5-2.5 mm/s (ISO 10816 zone A/B for a small machine)
plus slow bearing wear, a little more while travelling, and now and then a
burst of 15-60 s that adds 4-7 mm/s (a worn guide shoe, a rope slap): about
half of the bursts cross the default 7.1 mm/s alarm threshold (the ISO 10816
zone C/D boundary). Door cycles count up as an odometer, one stop every 40 s
on average; load is the passengers aboard at 75 kg each.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

from twins.common.sim import chance, poisson

__all__ = ["LIFT_SIGNALS", "LiftModel"]

LIFT_SIGNALS = ("vibration_rms", "door_cycles", "load")
CAPACITY_PASSENGERS = 13  # 1000 kg / 75 kg


class LiftModel:
    """Seeded; `rms_sequence` forces the vibration values (tests drive the alarm with it)."""

    def __init__(self, seed: int | None = None, rms_sequence: Iterable[float] | None = None) -> None:
        self.rng = random.Random(seed)
        self._forced: Iterator[float] | None = iter(rms_sequence) if rms_sequence is not None else None
        self.wear = 0.0
        self.burst_left = 0.0
        self.burst_level = 0.0
        self.door_cycles = self.rng.randint(10_000, 60_000)
        self.passengers = 0

    def step(self, dt: float) -> dict[str, float]:
        rng = self.rng
        stops = poisson(rng, dt / 40.0)
        for _ in range(stops):
            leaving = rng.randint(0, self.passengers)
            self.passengers = min(CAPACITY_PASSENGERS, self.passengers - leaving + rng.randint(0, 4))
        self.door_cycles += stops
        load = max(0.0, self.passengers * 75.0 + rng.gauss(0, 4.0)) if self.passengers else 0.0
        return {"vibration_rms": self._vibration(dt, moving=stops > 0),
                "door_cycles": self.door_cycles, "load": round(load, 1)}

    def _vibration(self, dt: float, *, moving: bool) -> float:
        rng = self.rng
        self.wear = min(2.5, self.wear + 1e-5 * dt)
        if self.burst_left <= 0 and chance(rng, dt, 600.0):
            self.burst_left = rng.uniform(15.0, 60.0)
            self.burst_level = rng.uniform(4.0, 7.0)
        burst = self.burst_level if self.burst_left > 0 else 0.0
        self.burst_left -= dt
        simulated = 1.8 + self.wear + (0.5 if moving else 0.0) + burst + rng.gauss(0, 0.15)
        if self._forced is not None:
            forced = next(self._forced, None)
            if forced is not None:
                return float(forced)
            self._forced = None
        return round(max(0.05, simulated), 3)
