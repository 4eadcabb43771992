"""The fleet's ground truth: every injected fault as one exact, machine-readable JSON line.

A record is written when its fault ends (or when the run stops during it), so `start` and `end`
are the times of the first and the last message the fault affected: the very timestamps the
messages carry (for a dropout, the ticks whose messages were withheld). A benchmark can score an
anomaly detector against these records with no tolerance for clock skew. The format is in
twins/fleet/README.md ("Fault log").
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import IO, Any

from twins.fleet.faults import Fault
from twins.fleet.sim import MachineSim

__all__ = ["FaultLog", "FaultRecord"]

log = logging.getLogger("twins.fleet")


@dataclass
class FaultRecord:
    machine: str
    machine_type: str
    signal: str
    topic: str
    kind: str
    start: str  # time of the first affected tick (ISO 8601 UTC, as in the messages)
    end: str  # time of the last affected tick, inclusive
    start_tick: int
    end_tick: int  # the last affected tick, inclusive
    magnitude: float
    seed: int | None
    complete: bool = True  # False: the run stopped while the fault lasted

    def as_json(self) -> dict[str, Any]:
        return {"machine": self.machine, "machine_type": self.machine_type, "signal": self.signal,
                "topic": self.topic, "kind": self.kind, "start": self.start, "end": self.end,
                "start_tick": self.start_tick, "end_tick": self.end_tick, "magnitude": round(self.magnitude, 6),
                "seed": self.seed, "complete": self.complete}


class FaultLog:
    """Follows each machine's faults tick by tick; keeps the records and appends them to `out` as JSON lines."""

    def __init__(self, out: IO[str] | None = None, seed: int | None = None) -> None:
        self.out = out
        self.seed = seed
        self.records: list[FaultRecord] = []
        self._open: dict[str, tuple[Fault, FaultRecord]] = {}

    def after_step(self, sim: MachineSim, topics: dict[str, str], ts: str) -> None:
        """Call once per machine and tick, after `sim.step`, with the time the tick's messages carry."""
        tick = sim.tick_no - 1
        fault = sim.fault if sim.fault is not None and sim.fault.active(tick) else None
        current = self._open.get(sim.twin_id)
        if current is not None and current[0] is not fault:
            self._close(sim.twin_id, complete=True)
        if fault is None:
            return
        if sim.twin_id not in self._open:
            log.info("fault injected: %s %s %s for %d ticks", sim.twin_id, fault.signal, fault.kind, fault.duration)
            self._open[sim.twin_id] = (fault, FaultRecord(sim.twin_id, sim.kind.key, fault.signal,
                                                          topics[fault.signal], fault.kind, ts, ts, tick, tick,
                                                          fault.magnitude, self.seed))
        record = self._open[sim.twin_id][1]
        record.end, record.end_tick = ts, tick
        if tick == fault.end_tick - 1:  # its last tick: written now, not a tick late
            self._close(sim.twin_id, complete=True)

    def close(self) -> None:
        """Write the faults still under way (complete: false); the run is stopping."""
        for machine in sorted(self._open):
            self._close(machine, complete=False)

    def _close(self, machine: str, complete: bool) -> None:
        _, record = self._open.pop(machine)
        record.complete = complete
        self.records.append(record)
        if self.out is not None:
            self.out.write(json.dumps(record.as_json()) + "\n")
            self.out.flush()
