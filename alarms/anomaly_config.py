"""`anomaly:` declarations (detectors) beside `rules:`: checked with placed problems, merged model + twin.

Django-free, like alarms.rules and registry.spec, so the twin.yaml parser can call it. Each item is
one detector, checked by `analytics.detectors.check_spec`:

    anomaly:
      - {signal: vibration_rms}                                          # the default (mad), no training
      - {kind: hst, signals: [motor_temp, current], params: {height: 6}}  # multivariate

A detector writes its score as the signal `<signal>:anomaly_score` for each signal it watches, so a
signal has at most one detector per twin. A twin's entry replaces the model's entries that share a
signal with it (the twin knows its own machine better than the model does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from analytics.detectors import DetectorError, DetectorSpec, check_spec

__all__ = ["MAX_DETECTORS", "parse_anomaly", "problems", "merge_anomaly", "detector_key", "item_signals"]

MAX_DETECTORS = 50
Path = tuple[Any, ...]
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _field_path(field: str) -> Path:
    """`params.window` -> ("params", "window"), `signals[1]` -> ("signals", 1): where the YAML position is."""
    return tuple(int(index) if index else name for name, index in _PART.findall(field or ""))


def item_signals(item: Any) -> tuple[str, ...]:
    """The signals an item names (before it is checked), for merging and the one-detector-per-signal rule."""
    if not isinstance(item, Mapping):
        return ()
    if isinstance(item.get("signals"), list):
        return tuple(s for s in item["signals"] if isinstance(s, str))
    return (item["signal"],) if isinstance(item.get("signal"), str) else ()


def detector_key(spec: DetectorSpec) -> str:
    """The detector's identity within its twin: the signals it watches (its state is kept under it)."""
    return ",".join(spec.signals)


def parse_anomaly(data: Any, path: Path = ("anomaly",)) -> tuple[list[DetectorSpec], list[tuple[Path, str]]]:
    """Checked detectors and the problems of the others, each at its data path."""
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [(path, "anomaly must be a list of detectors, e.g. anomaly: [{signal: temperature}]")]
    if len(data) > MAX_DETECTORS:
        return [], [(path, f"at most {MAX_DETECTORS} detectors per file; split them over the model and its twins")]
    specs: list[DetectorSpec] = []
    found: list[tuple[Path, str]] = []
    watched: dict[str, int] = {}
    for i, item in enumerate(data):
        if not isinstance(item, Mapping):
            found.append((path + (i,), "a detector is a mapping such as {signal: temperature} or "
                                       "{kind: hst, signals: [a, b]}"))
            continue
        try:
            spec = check_spec(item)
        except DetectorError as exc:
            found.append((path + (i,) + _field_path(exc.field), getattr(exc, "message", str(exc))))
            continue
        taken = [s for s in spec.signals if s in watched]
        if taken:
            found.append((path + (i,), f"signal {taken[0]!r} already has a detector (anomaly[{watched[taken[0]]}]); "
                                       "one detector per signal, since each writes <signal>:anomaly_score"))
            continue
        watched.update({s: i for s in spec.signals})
        specs.append(spec)
    return specs, found


def problems(data: Any, path: Path = ("anomaly",)) -> list[tuple[Path, str]]:
    """A twin's or a model's `anomaly:`, as placed problems (empty when every detector is valid)."""
    return parse_anomaly(data, path)[1]


def merge_anomaly(model_items: Sequence[Any], twin_items: Sequence[Any]) -> list[Any]:
    """The model's detectors, less those sharing a signal with one of the twin's, then the twin's."""
    own = {s for item in twin_items for s in item_signals(item)}
    return [m for m in model_items if not own & set(item_signals(m))] + list(twin_items)
