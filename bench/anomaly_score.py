"""Scoring detections against the fleet's fault log: runs of a raised alarm, matched to faults.

The alarm an `anomaly_above: LEVEL` rule keeps is on while the latest score is above LEVEL (its
clear level is the level itself) and keeps its state while no score arrives (a dropout). One
detection is a contiguous run of ticks with the alarm on. A run that is raised during a fault, or
up to GRACE ticks after its last tick (a dropout is only seen when the signal comes back), is a
true detection of it; any other run is a false alarm, including one raised before the fault began
and still on (an operator gets no new alarm then, so that fault counts as missed). A fault is
detected when a run was raised in its window; its delay is the time from the start of its first
tick's interval to the reading that raised it: one publish interval (dt) when its first reading did.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["GRACE", "Tally", "percentile", "runs", "score_unit"]

GRACE = 6  # ticks after a fault's last tick in which a detection still counts as its own


@dataclass
class Tally:
    faults: int = 0
    detected: int = 0
    runs: int = 0
    true_runs: int = 0
    delays: list[float] = field(default_factory=list)  # seconds, one per detected fault (dt at the earliest)
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # fault kind -> [faults, detected]

    def add(self, other: Tally) -> None:
        self.faults += other.faults
        self.detected += other.detected
        self.runs += other.runs
        self.true_runs += other.true_runs
        self.delays += other.delays
        for kind, (n, hit) in other.by_kind.items():
            mine = self.by_kind.setdefault(kind, [0, 0])
            mine[0] += n
            mine[1] += hit

    @property
    def precision(self) -> float:
        return self.true_runs / self.runs if self.runs else 0.0

    @property
    def recall(self) -> float:
        return self.detected / self.faults if self.faults else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def runs(on: Iterable[bool], first: int = 0) -> list[tuple[int, int]]:
    """(first tick, last tick) of each run of True, ticks counted from `first`."""
    out: list[tuple[int, int]] = []
    start = None
    tick = first - 1
    for tick, flag in enumerate(on, first):
        if flag and start is None:
            start = tick
        elif not flag and start is not None:
            out.append((start, tick - 1))
            start = None
    if start is not None:
        out.append((start, tick))
    return out


def score_unit(alarm_runs: list[tuple[int, int]], faults: list[tuple[int, int, str]], dt: float) -> Tally:
    """One watched unit (a signal, or a twin for hst): its alarm runs against its faults' (start, end, kind)."""
    tally = Tally(faults=len(faults), runs=len(alarm_runs))
    for a, _ in alarm_runs:
        if any(start <= a <= end + GRACE for start, end, _ in faults):
            tally.true_runs += 1
    for start, end, kind in faults:
        hits = [a for a, _ in alarm_runs if start <= a <= end + GRACE]
        counts = tally.by_kind.setdefault(kind, [0, 0])
        counts[0] += 1
        if hits:
            counts[1] += 1
            tally.detected += 1
            tally.delays.append((min(hits) - start + 1) * dt)
    return tally


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]
