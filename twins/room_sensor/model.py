"""Room 1's temperature: a daily swing around 21.5 C, a slowly wandering offset, sensor noise."""

from __future__ import annotations

import math
import random

from twins.common.sim import Clock

__all__ = ["ROOM_SIGNAL", "RoomTemperatureModel"]

ROOM_SIGNAL = "temp_room_1"  # the declared stream's signal; SIM_SIGNAL_NAME renames it on the wire


class RoomTemperatureModel:
    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.clock = Clock(start_hour=8.0)
        self.offset = 0.0

    def step(self, dt: float) -> dict[str, float]:
        self.clock.advance(dt)
        # Ornstein-Uhlenbeck offset: wanders, but comes back (doors, sun, people).
        self.offset += -self.offset * dt / 1800.0 + self.rng.gauss(0, 0.02 * math.sqrt(dt))
        daily = 1.2 * math.sin(2 * math.pi * (self.clock.hour - 9.0) / 24.0)
        return {ROOM_SIGNAL: round(21.5 + daily + self.offset + self.rng.gauss(0, 0.03), 2)}
