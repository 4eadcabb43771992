"""Online anomaly detectors: one per (twin, signal), or one per twin over several signals (hst).

A detector is fed observations one at a time (`update(t, signal, value)`) and answers an anomaly
score in [0, 1] (None while it warms up). Its whole state is a JSON-serialisable dict, so the
caller can store it and `restore` it after a restart: the restored detector continues exactly as
the original would have. Pure Python and no Django, so the ingest, the bench and the tests share it.

Kinds (docs/anomaly.md has the parameters, defaults and how they were tuned):
- `mad` (the default): rolling median and MAD of the last `window` normal readings; robust z.
- `ewma`: exponentially weighted mean and variance; z-score.
- `hst`: river's HalfSpaceTrees over a twin's signals together (river is imported only for it).

Score mapping, the same for every kind: score = 1 - 0.2 ** ((z / threshold) ** 2), so the score
crosses 0.8 (DEFAULT_LEVEL, the documented `anomaly_above` level) exactly when the evidence z
crosses `threshold`. Besides the value's deviation, the univariate kinds turn two other kinds of
evidence into a z: a value repeated exactly for `stuck_ticks` readings (a frozen transmitter) and a
gap of `gap_factor` usual intervals before a reading (a dropout, seen when the signal comes back).
Readings scoring at or above `level` are kept out of the baseline, so a fault is not learnt as
normal; after `relearn` such readings in a row the new level is accepted.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["DEFAULT_KIND", "DEFAULT_LEVEL", "DEFAULTS", "KINDS", "Detector", "DetectorError", "DetectorSpec",
           "check_spec", "new", "restore", "score_of"]

KINDS = ("mad", "ewma", "hst")
DEFAULT_KIND = "mad"
DEFAULT_LEVEL = 0.8  # the anomaly_above level the defaults are tuned for (docs/anomaly.md)
_BASE = 0.2  # 1 - _BASE is the score at z == threshold

# Per kind: parameter -> (default, type, lowest allowed, highest allowed, what it is). Tuned on the
# training seed of bench/anomaly.py (never on the seed the bench scores); docs/anomaly.md.
def _univariate(threshold: float, cusum_k: float, cusum_h: float) -> dict[str, tuple[Any, type, Any, Any, str]]:
    return {
        "warmup": (30, int, 2, None, "readings learnt before the first score"),
        "threshold": (threshold, float, 0.1, None, "the z at which the score reaches 0.8"),
        "level": (DEFAULT_LEVEL, float, 0.01, 0.99, "score at or above which a reading is kept out of the baseline"),
        "stuck_ticks": (8, int, 0, None, "identical readings in a row that score 0.8 (0: off)"),
        "gap_factor": (3.0, float, 0.0, None, "a gap of this many usual intervals scores 0.8 (0: off)"),
        "relearn": (180, int, 1, None, "anomalous readings in a row after which the new level is learnt"),
        "min_scale": (0.0, float, 0.0, None, "floor of the spread estimate, in the signal's unit"),
        "cusum_k": (cusum_k, float, 0.0, None, "z a drift must exceed to add to the CUSUM"),
        "cusum_h": (cusum_h, float, 0.0, None, "CUSUM sum that scores 0.8 (0: off)"),
    }


DEFAULTS: dict[str, dict[str, tuple[Any, type, Any, Any, str]]] = {
    "mad": {"window": (240, int, 5, 100_000, "normal readings the median and MAD are taken over"),
            "recent": (5, int, 1, 1000, "latest readings whose median the short view compares against"),
            "long_threshold": (8.0, float, 0.1, None, "the long view's z at which the score reaches 0.8"),
            **_univariate(5.5, 2.5, 0.0)},
    "ewma": {"alpha": (0.05, float, 1e-4, 0.9999, "weight of a new reading in the mean and variance"),
             **_univariate(5.0, 1.5, 0.0)},
    "hst": {
        "n_trees": (10, int, 1, 1000, "trees in the forest"),
        "height": (8, int, 1, 30, "height of each tree"),
        "window_size": (250, int, 1, 1_000_000, "readings per reference window of the trees"),
        "seed": (0, int, None, None, "seed of the trees' random splits"),
        "warmup": (500, int, 1, None, "complete vectors learnt before the first score (the first "
                                      "window_size fill the trees, the rest give the raw scores' baseline)"),
        "score_window": (500, int, 20, 100_000, "past raw scores its median and MAD are taken over"),
        "threshold": (6.0, float, 0.1, None, "the robust z of the raw score at which the score reaches 0.8"),
        "level": (DEFAULT_LEVEL, float, 0.01, 0.99, "score at or above which a vector is not learnt"),
        "gap_factor": (3.0, float, 0.0, None, "a gap of this many usual intervals scores 0.8 (0: off)"),
        "relearn": (180, int, 1, None, "anomalous vectors in a row after which they are learnt as normal"),
    },
}


class DetectorError(ValueError):
    """A detector spec that cannot be used: `field` is the dotted path of the key, the text says what to change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DetectorSpec:
    kind: str
    signals: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)


def check_spec(raw: Mapping[str, Any]) -> DetectorSpec:
    """A YAML mapping {kind?, signal | signals, params?} checked, with every parameter's default filled in."""
    if not isinstance(raw, Mapping):
        raise DetectorError("detector", "a detector is a mapping such as {kind: mad, signal: temp}")
    unknown = sorted(set(raw) - {"kind", "signal", "signals", "params"})
    if unknown:
        raise DetectorError(str(unknown[0]), f"{unknown[0]!r} is not a detector key; use kind, signal (or signals) "
                                             "and params (the detector's parameters go under params)")
    kind = raw.get("kind", DEFAULT_KIND)
    if kind not in KINDS:
        raise DetectorError("kind", f"kind must be one of {', '.join(KINDS)} (default {DEFAULT_KIND}), not {kind!r}")
    signals = _signals(raw, kind)
    params = raw.get("params", {}) or {}
    if not isinstance(params, Mapping):
        raise DetectorError("params", "params is a mapping such as {window: 60}")
    table = DEFAULTS[kind]
    extra = sorted(set(params) - set(table))
    if extra:
        raise DetectorError(f"params.{extra[0]}", f"{kind} has no parameter {extra[0]!r}; it has "
                                                  f"{', '.join(sorted(table))}")
    checked = {name: _param(kind, name, params[name]) if name in params else table[name][0] for name in table}
    return DetectorSpec(kind, signals, checked)


def _signals(raw: Mapping[str, Any], kind: str) -> tuple[str, ...]:
    if ("signal" in raw) == ("signals" in raw):
        raise DetectorError("signal", "give exactly one of signal (one signal) or signals (a list, for hst)")
    if "signal" in raw:
        if not isinstance(raw["signal"], str) or not raw["signal"]:
            raise DetectorError("signal", "signal must name one of the twin's signals, e.g. signal: temp")
        return (raw["signal"],)
    signals = raw["signals"]
    if (not isinstance(signals, (list, tuple)) or not signals
            or not all(isinstance(s, str) and s for s in signals)):
        raise DetectorError("signals", "signals is a non-empty list of the twin's signals, e.g. [temp, pressure]")
    if len(set(signals)) != len(signals):
        raise DetectorError("signals", "signals names a signal twice; list each once")
    if kind != "hst" and len(signals) != 1:
        raise DetectorError("signals", f"{kind} watches one signal; give signal: NAME, or use kind: hst for several")
    return tuple(signals)


def _param(kind: str, name: str, value: Any) -> Any:
    default, typ, low, high, what = DEFAULTS[kind][name]
    where = f"params.{name}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (typ is int and not isinstance(value, int)):
        raise DetectorError(where, f"{name} ({what}) must be {'an integer' if typ is int else 'a number'}, "
                                   f"e.g. {default}; got {value!r}")
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise DetectorError(where, f"{name} ({what}) must be {bounds}; got {value!r}")
    return typ(value)


def score_of(z: float, threshold: float) -> float:
    """The score for evidence z: 0 at z = 0, 0.8 at z = threshold, towards 1 beyond."""
    if not z > 0:
        return 0.0
    r = z / threshold
    return 1.0 if r > 6 else 1.0 - _BASE ** (r * r)


class Detector(Protocol):
    spec: DetectorSpec

    def update(self, t: float, signal: str, value: float) -> float | None:
        """Feed one observation (epoch seconds): its score in [0, 1], or None while warming up or not watched."""

    def state(self) -> dict[str, Any]:
        """Everything needed to continue, JSON-serialisable."""


class _Univariate:
    """What mad and ewma share: warm-up, stuck and gap evidence, keeping anomalies out of the baseline."""

    def __init__(self, spec: DetectorSpec, state: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.p = spec.params
        s = state or {}
        self.n = int(s.get("n", 0))  # readings learnt
        self.last_t: float | None = s.get("last_t")
        self.interval: float | None = s.get("interval")  # usual time between readings (EWMA of normal gaps)
        self.last_value: float | None = s.get("last_value")
        self.repeats = int(s.get("repeats", 0))  # readings in a row equal to last_value
        self.held = int(s.get("held", 0))  # anomalous readings in a row kept out of the baseline
        self.up = float(s.get("up", 0.0))  # the CUSUM sums of the signed z, upwards and downwards
        self.down = float(s.get("down", 0.0))

    def update(self, t: float, signal: str, value: float) -> float | None:
        if signal != self.spec.signals[0] or value is None or not math.isfinite(value):
            return None
        gap_z = self._gap(t)
        self.repeats = self.repeats + 1 if value == self.last_value else 1
        self.last_value = value
        if self.n < self.p["warmup"]:
            self._learn(value)
            self.n += 1
            return None
        dev = self._deviation(value)
        z = max(abs(dev), gap_z, self._stuck_z(), self._cusum(dev))
        score = score_of(z, self.p["threshold"])
        if score < self.p["level"] or self.held + 1 >= self.p["relearn"]:
            self._learn(value)
            self.n += 1
        self.held = self.held + 1 if score >= self.p["level"] else 0
        return score

    def _gap(self, t: float) -> float:
        last, self.last_t = self.last_t, t
        if last is None or t <= last:
            return 0.0
        gap = t - last
        if self.interval is None:
            self.interval = gap
            return 0.0
        ratio = gap / self.interval
        if self.p["gap_factor"] > 1 and ratio >= 1.5:
            return self.p["threshold"] * (ratio - 1) / (self.p["gap_factor"] - 1)
        self.interval += 0.1 * (gap - self.interval)
        return 0.0

    def _cusum(self, dev: float) -> float:
        """Evidence of a slow, one-sided departure (a drift): CUSUM of the signed z beyond cusum_k."""
        h, k = self.p["cusum_h"], self.p["cusum_k"]
        if h <= 0:
            return 0.0
        # capped a little above h, so the evidence fades within a few readings once the drift is over
        self.up = min(1.25 * h, max(0.0, self.up + dev - k))
        self.down = min(1.25 * h, max(0.0, self.down - dev - k))
        return self.p["threshold"] * max(self.up, self.down) / h

    def _stuck_z(self) -> float:
        k = self.p["stuck_ticks"]
        if k < 2 or self.repeats < 2:
            return 0.0
        return self.p["threshold"] * (self.repeats - 1) / (k - 1) if self.repeats >= k else 0.0

    def _base_state(self) -> dict[str, Any]:
        return {"n": self.n, "last_t": self.last_t, "interval": self.interval, "last_value": self.last_value,
                "repeats": self.repeats, "held": self.held, "up": self.up, "down": self.down}


class MadDetector(_Univariate):
    """Two robust z's over the last `window` readings learnt, the larger counting.

    Short: the reading against the median of the last `recent` readings, in units of the median
    absolute one-step residual, so an operating point that wanders like a random walk is followed
    and a step or spike stands out at once. Long: the reading against the median of the whole
    window in units of its MAD, weighted by threshold / long_threshold, for a drift too slow for
    the short view.
    """

    def __init__(self, spec: DetectorSpec, state: Mapping[str, Any] | None = None) -> None:
        super().__init__(spec, state)
        s = state or {}
        self.values: deque[float] = deque(s.get("values", ()), maxlen=self.p["window"])
        self.resid: deque[float] = deque(s.get("resid", ()), maxlen=self.p["window"])

    def _recent(self) -> float:
        r = self.p["recent"]
        return _median(sorted(list(self.values)[-r:])) if len(self.values) > r else _median(sorted(self.values))

    def _learn(self, value: float) -> None:
        if self.values:
            self.resid.append(abs(value - self._recent()))
        self.values.append(value)

    def _deviation(self, value: float) -> float:
        ordered = sorted(self.values)
        median = _median(ordered)
        floor = max(self.p["min_scale"], 1e-9 * max(1.0, abs(median)))
        short = (value - self._recent()) / max(1.4826 * _median(sorted(self.resid)) if self.resid else 0.0, floor)
        mad = _median(sorted(abs(v - median) for v in ordered))
        long = (value - median) / max(1.4826 * mad, floor) * self.p["threshold"] / self.p["long_threshold"]
        return short if abs(short) >= abs(long) else long

    def state(self) -> dict[str, Any]:
        return {**self._base_state(), "values": list(self.values), "resid": list(self.resid)}


class EwmaDetector(_Univariate):
    """z = |x - mean| / sd, mean and variance weighted by `alpha` (the last ~1/alpha readings learnt)."""

    def __init__(self, spec: DetectorSpec, state: Mapping[str, Any] | None = None) -> None:
        super().__init__(spec, state)
        s = state or {}
        self.mean: float | None = s.get("mean")
        self.var = float(s.get("var", 0.0))

    def _learn(self, value: float) -> None:
        if self.mean is None:
            self.mean = value
            return
        alpha = self.p["alpha"] if self.n >= self.p["warmup"] else max(self.p["alpha"], 1.0 / (self.n + 1))
        diff = value - self.mean
        self.mean += alpha * diff
        self.var = (1 - alpha) * (self.var + alpha * diff * diff)

    def _deviation(self, value: float) -> float:
        scale = max(math.sqrt(self.var), self.p["min_scale"], 1e-9 * max(1.0, abs(self.mean or 0.0)))
        return (value - (self.mean or 0.0)) / scale

    def state(self) -> dict[str, Any]:
        return {**self._base_state(), "mean": self.mean, "var": self.var}


def _median(ordered: list[float]) -> float:
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def new(spec: DetectorSpec) -> Detector:
    """A fresh detector for a checked spec."""
    return restore(spec, {})


def restore(spec: DetectorSpec, state: Mapping[str, Any]) -> Detector:
    """The detector `state()` described, continuing exactly where it stopped (an empty state: a new one)."""
    if spec.kind == "mad":
        return MadDetector(spec, state)
    if spec.kind == "ewma":
        return EwmaDetector(spec, state)
    if spec.kind == "hst":
        from analytics.hst import HstDetector  # river is imported only when a twin uses hst

        return HstDetector(spec, state)
    raise DetectorError("kind", f"kind must be one of {', '.join(KINDS)}, not {spec.kind!r}")
