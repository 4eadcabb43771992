"""Liveness of each twin from when its data last arrived: receiving, stale or silent.

A twin is *receiving* while its newest message is at most STALE_AFTER expected
intervals old, *stale* up to SILENT_AFTER intervals, then *silent*. The expected
interval is the shortest one its streams declare (DEFAULT_INTERVAL when none
do). Only changes are reported, so the registry and the portal hear of a twin
when its badge should change, plus a last_seen refresh every `refresh` seconds.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

__all__ = ["classify", "LivenessTracker", "STALE_AFTER", "SILENT_AFTER", "DEFAULT_INTERVAL"]

STALE_AFTER = 3
SILENT_AFTER = 10
DEFAULT_INTERVAL = 60.0


def classify(age_seconds: float, interval: float | None) -> str:
    expected = interval or DEFAULT_INTERVAL
    if age_seconds <= STALE_AFTER * expected:
        return "receiving"
    if age_seconds <= SILENT_AFTER * expected:
        return "stale"
    return "silent"


class LivenessTracker:
    def __init__(self, refresh_seconds: float = 60.0):
        self.refresh = timedelta(seconds=refresh_seconds)
        self._lock = threading.Lock()
        self._seen: dict[str, datetime] = {}  # twin -> newest arrival
        self._reported: dict[str, tuple[str, datetime]] = {}  # twin -> (liveness, last_seen) in the registry

    def load(self, runtime_by_twin: dict[str, dict[str, Any]]) -> None:
        """Start from what the registry holds, so a restarted ingest notices twins that went quiet."""
        with self._lock:
            for twin, runtime in runtime_by_twin.items():
                try:
                    seen = datetime.fromisoformat(runtime["last_seen"])
                except (KeyError, TypeError, ValueError):
                    continue
                self._seen.setdefault(twin, seen)
                self._reported[twin] = (runtime.get("liveness", ""), seen)

    def seen(self, twin: str, when: datetime) -> None:
        with self._lock:
            if twin not in self._seen or when > self._seen[twin]:
                self._seen[twin] = when

    def seen_many(self, arrivals: dict[str, datetime]) -> None:
        """Several twins' newest arrivals at once (the ingest notes them per flush)."""
        if not arrivals:
            return
        with self._lock:
            for twin, when in arrivals.items():
                if twin not in self._seen or when > self._seen[twin]:
                    self._seen[twin] = when

    def due(self, now: datetime, intervals: dict[str, float],
            accepted: frozenset[str] | None = None) -> dict[str, dict[str, Any]]:
        """Runtime changes to report now: {twin: {"liveness": ..., "last_seen": ...}}.

        Liveness says what the ingest accepts: a twin whose topics it no longer
        routes (deprecated, removed from its file) is `silent` at once, however
        recently it sent. Every report carries both keys, so a registry row that
        lost them (a twin deleted and created again) is whole again at the next one.
        """
        changes: dict[str, dict[str, Any]] = {}
        with self._lock:
            for twin, seen in list(self._seen.items()):
                if accepted is not None and twin not in accepted:
                    state = "silent"
                else:
                    state = classify((now - min(seen, now)).total_seconds(), intervals.get(twin))
                reported = self._reported.get(twin)
                if reported is None or reported[0] != state:
                    changes[twin] = {"liveness": state, "last_seen": seen.isoformat()}
                elif state == "receiving" and seen - reported[1] >= self.refresh:
                    changes[twin] = {"liveness": state, "last_seen": seen.isoformat()}
        return changes

    def forget_reports(self, twins: set[str]) -> None:
        """The registry's rows for these twins are new (a twin created again, one no longer deprecated):
        report their state afresh instead of trusting what was reported to the rows before."""
        with self._lock:
            for twin in twins:
                self._reported.pop(twin, None)

    def reported(self, changes: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            for twin, change in changes.items():
                old_state = self._reported.get(twin, ("", datetime.min))[0]
                self._reported[twin] = (change.get("liveness", old_state),
                                        datetime.fromisoformat(change["last_seen"]))
