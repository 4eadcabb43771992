"""Anomaly detectors inside the evaluator's pass: observations in, scores and detector state out.

The evaluator (alarms.evaluator) hands each journal observation of a twin it owns to `Scoring.feed`,
which runs the twin's detector for that signal (analytics.detectors) and returns the score as the
signal `<signal>:anomaly_score`; the evaluator feeds that to the twin's rules at once, so an
`anomaly_above` rule sees it in the same pass. `Scoring.save` then writes, in the pass's transaction,
the scores as ordinary observations (so the rollup triggers and the series API carry them with no
new read path) and the detectors' state (DetectorState). A crash before the commit leaves journal,
scores and state as they were; `reset` drops what memory holds so the next pass reloads from there.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.utils import timezone

from analytics import detectors
from analytics.detectors import DetectorSpec

from .anomaly_config import detector_key
from .catalog import TwinRuleSet
from .models import DetectorState
from .rules import ANOMALY_SUFFIX

__all__ = ["Scoring", "fingerprint"]


def fingerprint(spec: DetectorSpec) -> dict[str, Any]:
    """The detector as configured, in JSON: stored with its state, so a changed detector starts afresh."""
    return json.loads(json.dumps({"kind": spec.kind, "signals": list(spec.signals), "params": dict(spec.params)},
                                 sort_keys=True, default=str))


class Scoring:
    def __init__(self) -> None:
        self.loaded: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] | None = None  # (spec, state)
        self.live: dict[tuple[str, str], tuple[dict[str, Any], detectors.Detector]] = {}
        self.dirty: set[tuple[str, str]] = set()
        self.scores: list[tuple[Any, str, str, float]] = []  # (time as journalled, twin, score signal, score)
        self.count = 0

    def reset(self) -> None:
        """Forget what memory holds (ownership changed, a pass failed): the next pass reads the stored state."""
        self.loaded, self.live, self.dirty, self.scores = None, {}, set(), []

    def load(self, twins: list[str]) -> None:
        if self.loaded is not None:
            return
        self.loaded = {}
        for chunk in range(0, len(twins), 500):
            for row in DetectorState.objects.filter(twin_id__in=twins[chunk:chunk + 500]):
                self.loaded[(row.twin_id, row.key)] = (row.spec, row.state)

    def _detector(self, twin_id: str, spec: DetectorSpec) -> detectors.Detector:
        key = (twin_id, detector_key(spec))
        want = fingerprint(spec)
        current = self.live.get(key)
        if current is not None and current[0] == want:
            return current[1]
        stored = (self.loaded or {}).pop(key, None)
        if current is None and stored is not None and stored[0] == want:
            detector = detectors.restore(spec, stored[1])
        else:  # new, or its kind, signals or parameters changed: it learns afresh
            detector = detectors.new(spec)
        self.live[key] = (want, detector)
        return detector

    def feed(self, twin: TwinRuleSet, when: Any, t: float, signal: str, value: float | None) -> list[tuple[str, float]]:
        """The scores this observation yields, as (score signal, score); none during warm-up."""
        if value is None or signal.endswith(ANOMALY_SUFFIX):
            return []
        out = []
        for spec in twin.detectors:
            if signal not in spec.signals:
                continue
            score = self._detector(twin.twin_id, spec).update(t, signal, float(value))
            self.dirty.add((twin.twin_id, detector_key(spec)))
            if score is not None:
                out.append((signal + ANOMALY_SUFFIX, float(score)))
                self.scores.append((when, twin.twin_id, signal + ANOMALY_SUFFIX, float(score)))
        return out

    def save(self) -> None:
        """Scores into `observation` (and `signal`), changed detector state into DetectorState: the caller's
        transaction."""
        self._write_scores()
        if self.dirty:
            now = timezone.now()
            rows = [DetectorState(twin_id=t, key=k, spec=self.live[(t, k)][0], state=self.live[(t, k)][1].state(),
                                  updated_at=now) for t, k in sorted(self.dirty)]
            DetectorState.objects.bulk_create(rows, update_conflicts=True, unique_fields=["twin_id", "key"],
                                              update_fields=["spec", "state", "updated_at"])
        self.count += len(self.scores)
        self.dirty, self.scores = set(), []

    def _write_scores(self) -> None:
        if not self.scores:
            return
        names = sorted({(twin, signal) for _, twin, signal, _ in self.scores})
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":  # the journal holds the observation's time as the table does
                cursor.executemany("INSERT OR IGNORE INTO observation (time, twin, signal, value) "
                                   "VALUES (%s, %s, %s, %s)", self.scores)
                cursor.executemany("INSERT OR IGNORE INTO signal (twin, name) VALUES (%s, %s)", names)
            else:
                cursor.executemany("INSERT INTO observation (time, twin, signal, value) VALUES (%s, %s, %s, %s) "
                                   "ON CONFLICT DO NOTHING", self.scores)
                cursor.executemany("INSERT INTO signal (twin, name) VALUES (%s, %s) ON CONFLICT DO NOTHING", names)
