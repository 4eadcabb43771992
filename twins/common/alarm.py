"""Threshold alarms with hysteresis: one alert going up, one "cleared" coming down.

Crossing semantics (also in docs/messages.md):
- inactive, and a value strictly above `threshold`: the alarm becomes active and
  one alert of `severity` (default warning) is raised;
- active, and a value strictly below `threshold - hysteresis`: the alarm clears
  and one alert of severity `info` says so;
- anything else (still above, or back inside the hysteresis band) raises nothing.
A noisy value that hovers around the threshold therefore alerts once, not on
every tick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from twins.common.messages import SEVERITIES, Alert

__all__ = ["ThresholdAlarm"]


@dataclass
class ThresholdAlarm:
    signal: str
    threshold: float
    hysteresis: float = 0.0
    unit: str = ""
    severity: str = "warning"
    active: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not math.isfinite(self.threshold):
            raise ValueError(f"the {self.signal} threshold must be a finite number, got {self.threshold!r}")
        if not math.isfinite(self.hysteresis) or self.hysteresis < 0:
            raise ValueError(f"the {self.signal} hysteresis must be a number >= 0, got {self.hysteresis!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {self.severity!r}")

    @property
    def clear_below(self) -> float:
        return self.threshold - self.hysteresis

    def update(self, value: float, ts: str) -> Alert | None:
        """Feed one value; return the alert it raises, if any."""
        unit = f" {self.unit}" if self.unit else ""
        if not self.active and value > self.threshold:
            self.active = True
            return Alert(self.severity, f"{self.signal} {value:g}{unit} rose above {self.threshold:g}{unit}",
                         ts, self.signal, value, self.threshold)
        if self.active and value < self.clear_below:
            self.active = False
            return Alert("info", f"{self.signal} cleared: {value:g}{unit} is back below "
                                 f"{self.clear_below:g}{unit}", ts, self.signal, value, self.threshold)
        return None
