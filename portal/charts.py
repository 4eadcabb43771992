"""What the twin page says about each signal before its chart loads: name, unit, last value, recent range.

The charts themselves are drawn in the browser by uPlot (portal/static/portal/chart.js), from the
series API (GET /api/registry/twins/{id}/series), which answers from raw rows or the rollups so a
30-day chart reads at most a few hundred hourly buckets. This module only summarises the newest
observations for the server-rendered caption (and observations.json), and folds each anomaly score
(`<signal>:anomaly_score`, written by the twin's detector) into its signal's chart, where chart.js
draws it on a second axis (0..1) instead of as a chart of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from alarms.rules import ANOMALY_SUFFIX
from dataplane.queries import Series

__all__ = ["Chart", "summary", "charts_for", "series_json"]


@dataclass(frozen=True)
class Chart:
    signal: str
    unit: str
    last: float | None
    low: float | None
    high: float | None
    count: int
    last_time: str
    score: str = ""  # the signal of this signal's anomaly score, when a detector writes one


def summary(series: Series) -> Chart:
    values = [v for _, v in series.points]
    if not values:
        return Chart(series.signal, series.unit, None, None, None, 0, "")
    return Chart(series.signal, series.unit, values[-1], min(values), max(values), len(values),
                 series.points[-1][0].isoformat(timespec="seconds"))


def charts_for(series: list[Series]) -> list[Chart]:
    """One chart per signal; a score whose signal has a chart rides on it rather than getting its own."""
    charts = [summary(s) for s in series]
    names = {c.signal for c in charts}
    scores = {c.signal for c in charts if c.signal.endswith(ANOMALY_SUFFIX)
              and c.signal.removesuffix(ANOMALY_SUFFIX) in names}
    return [replace(c, score=c.signal + ANOMALY_SUFFIX if c.signal + ANOMALY_SUFFIX in scores else "")
            for c in charts if c.signal not in scores]


def series_json(charts: list[Chart]) -> list[dict]:
    return [{"signal": c.signal, "unit": c.unit, "last": c.last, "low": c.low, "high": c.high, "count": c.count,
             "last_time": c.last_time, "score": c.score} for c in charts]
