"""Small seeded building blocks the stack models share (no wall clock: seeded runs repeat exactly)."""

from __future__ import annotations

import math
import random

__all__ = ["Clock", "poisson", "chance"]


class Clock:
    """Simulated time of day, starting at `start_hour`, so schedules are deterministic too."""

    def __init__(self, start_hour: float = 8.0) -> None:
        self.seconds = start_hour * 3600.0

    def advance(self, dt: float) -> None:
        self.seconds += dt

    @property
    def hour(self) -> float:
        return (self.seconds / 3600.0) % 24.0


def chance(rng: random.Random, dt: float, mean_every: float) -> bool:
    """True with the probability that an event happening every `mean_every` s on average happens within dt."""
    return rng.random() < 1.0 - math.exp(-dt / mean_every)


def poisson(rng: random.Random, lam: float) -> int:
    """Events in one step with mean `lam` (Knuth; lam is small here)."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
