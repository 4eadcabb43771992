"""The HVAC plant's simulation: air handling for building A, heating mode.

The zone (read as return air) follows its setpoint (21 C occupied 07-19 h,
17 C setback otherwise) while losing heat to an outdoor temperature with a
daily swing; the supply air is driven above the setpoint by a PI-like law;
electrical power is fans plus the heat-pump compressor, proportional to the
lift from outdoor to supply temperature; energy integrates power (kWh meter).
Every 30 min or so a defrost/reheat cycle adds 15-25 kW for 1-4 minutes, which
crosses the default 45 kW peak-demand alarm.
"""

from __future__ import annotations

import math
import random

from twins.common.sim import Clock, chance

__all__ = ["ENERGY_SIGNALS", "HvacModel"]

ENERGY_SIGNALS = ("power", "energy", "supply_temp", "return_temp", "setpoint")


class HvacModel:
    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.clock = Clock(start_hour=8.0)
        self.zone = 19.0 + self.rng.uniform(-0.5, 0.5)
        self.energy = 120_000.0 + self.rng.uniform(0, 5_000)
        self.peak_left = 0.0
        self.peak_kw = 0.0

    def setpoint(self) -> float:
        return 21.0 if 7.0 <= self.clock.hour < 19.0 else 17.0

    def outdoor(self) -> float:
        return 8.0 + 6.0 * math.sin(2 * math.pi * (self.clock.hour - 9.0) / 24.0)

    def step(self, dt: float) -> dict[str, float]:
        rng = self.rng
        self.clock.advance(dt)
        setpoint, outdoor = self.setpoint(), self.outdoor()
        supply = min(40.0, max(setpoint, setpoint + 3.0 + 4.0 * (setpoint - self.zone)))
        # First-order room: heated by supply air, cooled through the envelope.
        self.zone += dt * (0.0012 * (supply - self.zone) - 0.0004 * (self.zone - outdoor)) + rng.gauss(0, 0.01)
        power = 6.0 + 1.1 * max(0.0, supply - outdoor) + rng.gauss(0, 0.4)
        if self.peak_left <= 0 and chance(rng, dt, 1800.0):
            self.peak_left, self.peak_kw = rng.uniform(60.0, 240.0), rng.uniform(15.0, 25.0)
        if self.peak_left > 0:
            power += self.peak_kw
            self.peak_left -= dt
        power = max(0.0, power)
        self.energy += power * dt / 3600.0
        return {"power": round(power, 2), "energy": round(self.energy, 3), "supply_temp": round(supply, 2),
                "return_temp": round(self.zone + rng.gauss(0, 0.05), 2), "setpoint": setpoint}
