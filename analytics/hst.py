"""`hst`: river's HalfSpaceTrees over a twin's signals together (a multivariate streaming detector).

Kept apart from analytics/detectors.py so the default path never imports river (and numpy).
The trees want features in [0, 1]: each signal is standardised by an exponentially weighted mean
and spread of the vectors learnt (weight 0.01, so the operating point's slow wander is followed)
and mapped by 0.5 + z / 8, clamped, so four spreads away is the edge of the box. The forest's raw
score (its own scale, which depends on the data) is turned into a robust z against the median and
MAD of its last `score_window` raw scores of normal vectors, then mapped as every detector's score.

The model scores once per complete vector: when each watched signal has a reading since the last
score. The update completing it returns the new score; the others return the latest score (None
before the first). A signal seen twice before the vector completes (another went silent) closes
the vector with the silent signal's last value.
"""

from __future__ import annotations

import base64
import math
import pickle
from collections import deque
from collections.abc import Mapping
from typing import Any

from river import anomaly

from analytics.detectors import DetectorSpec, score_of

__all__ = ["HstDetector"]

_ALPHA = 0.01  # weight of a learnt vector in each signal's mean and spread


class HstDetector:
    def __init__(self, spec: DetectorSpec, state: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        p = self.p = spec.params
        s = state or {}
        if "model" in s:
            self.model = pickle.loads(base64.b64decode(s["model"]))
        else:
            self.model = anomaly.HalfSpaceTrees(n_trees=p["n_trees"], height=p["height"],
                                                window_size=p["window_size"], seed=p["seed"])
        self.n = int(s.get("n", 0))
        self.mean: dict[str, float] = dict(s.get("mean", {}))
        self.var: dict[str, float] = dict(s.get("var", {}))
        self.latest: dict[str, float] = dict(s.get("latest", {}))
        self.pending: list[str] = list(s.get("pending", []))
        self.raw: deque[float] = deque(s.get("raw", ()), maxlen=p["score_window"])
        self.score: float | None = s.get("score")
        self.last_t: dict[str, float] = dict(s.get("last_t", {}))  # per signal: a dropout is one signal's gap
        self.interval: float | None = s.get("interval")
        self.gap_z = float(s.get("gap_z", 0.0))
        self.held = int(s.get("held", 0))  # anomalous vectors in a row, not learnt

    def update(self, t: float, signal: str, value: float) -> float | None:
        if signal not in self.spec.signals or value is None or not math.isfinite(value):
            return None
        self._gap(signal, t)
        if signal in self.pending:
            self._score()
        self.latest[signal] = value
        self.pending.append(signal)
        if len(self.pending) == len(self.spec.signals):
            self._score()
        return self.score

    def _score(self) -> None:
        """Score the vector of the latest values, learn it if it is normal; the pending set starts afresh."""
        self.pending = []
        if len(self.latest) < len(self.spec.signals):
            return
        x = {name: self._feature(name, self.latest[name]) for name in self.spec.signals}
        raw = -math.log(max(1e-12, 1.0 - self.model.score_one(x)))  # log mass: anomalies spread out, not at 1
        if self.n < self.p["warmup"]:
            self._learn(x, raw)
            return
        ordered = sorted(self.raw)
        median = ordered[len(ordered) // 2]
        mad = sorted(abs(v - median) for v in ordered)[len(ordered) // 2]
        z = max(0.0, raw - median) / max(1.4826 * mad, 0.01)
        self.score = score_of(max(z, self.gap_z), self.p["threshold"])
        self.gap_z = 0.0
        self.held = self.held + 1 if self.score >= self.p["level"] else 0
        if self.score < self.p["level"] or self.held >= self.p["relearn"]:
            self._learn(x, raw)

    def _learn(self, x: dict[str, float], raw: float) -> None:
        self.model.learn_one(x)
        if self.n >= self.p["window_size"]:  # the trees score 0 until their first reference window is full
            self.raw.append(raw)
        self.n += 1
        for name in self.spec.signals:
            value = self.latest[name]
            if name not in self.mean:
                self.mean[name], self.var[name] = value, 0.0
                continue
            diff = value - self.mean[name]
            alpha = max(_ALPHA, 1.0 / self.n)
            self.mean[name] += alpha * diff
            self.var[name] = (1 - alpha) * (self.var[name] + alpha * diff * diff)

    def _feature(self, name: str, value: float) -> float:
        if name not in self.mean:
            return 0.5
        sd = max(math.sqrt(self.var[name]), 1e-9 * max(1.0, abs(self.mean[name])))
        return min(1.0, max(0.0, 0.5 + (value - self.mean[name]) / sd / 8))

    def _gap(self, signal: str, t: float) -> None:
        last = self.last_t.get(signal)
        self.last_t[signal] = t
        if last is None or t <= last:
            return
        gap = t - last
        if self.interval is None:
            self.interval = gap
            return
        ratio = gap / self.interval
        factor = self.p["gap_factor"]
        if factor > 1 and ratio >= 1.5:
            self.gap_z = max(self.gap_z, self.p["threshold"] * (ratio - 1) / (factor - 1))
            return
        self.interval += 0.1 * (gap - self.interval)

    def state(self) -> dict[str, Any]:
        return {"model": base64.b64encode(pickle.dumps(self.model)).decode("ascii"), "n": self.n,
                "mean": self.mean, "var": self.var, "latest": self.latest, "pending": self.pending,
                "raw": list(self.raw), "score": self.score, "last_t": self.last_t, "interval": self.interval,
                "gap_z": self.gap_z, "held": self.held}
