"""The M5Stack Core2 simulation: battery, IMU acceleration magnitude, board temperature.

The 390 mAh cell drains about 1 % every 5 minutes on the bench; below 15 %
the board is put on USB and charges at 2 % a minute up to 100 %. The IMU
(MPU6886) at rest reads 1 g plus noise; every couple of minutes someone picks
the board up or taps the screen (1.3-2.5 g for one sample). The temperature
is the IMU die's, a few degrees above the room and warmer while charging.
"""

from __future__ import annotations

import math
import random

from twins.common.sim import chance

__all__ = ["M5_SIGNALS", "M5Core2Model"]

M5_SIGNALS = ("battery", "accel_magnitude", "temperature")


class M5Core2Model:
    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.battery = self.rng.uniform(60.0, 100.0)
        self.charging = False
        self.temp = 31.0 + self.rng.uniform(-0.5, 0.5)

    def step(self, dt: float) -> dict[str, float]:
        rng = self.rng
        if self.charging:
            self.battery = min(100.0, self.battery + dt * 2.0 / 60.0)
            self.charging = self.battery < 100.0
        else:
            self.battery = max(0.0, self.battery - dt / 300.0)
            self.charging = self.battery < 15.0
        accel = 1.0 + rng.gauss(0, 0.01)
        if chance(rng, dt, 120.0):
            accel = rng.uniform(1.3, 2.5)
        target = 31.0 + (3.0 if self.charging else 0.0)
        self.temp += (target - self.temp) * (1 - math.exp(-dt / 300.0)) + rng.gauss(0, 0.05)
        return {"battery": round(self.battery, 1), "accel_magnitude": round(abs(accel), 3),
                "temperature": round(self.temp, 2)}
