"""What the twin page says about each signal before its chart loads: name, unit, last value, recent range.

The charts themselves are drawn in the browser by uPlot (portal/static/portal/chart.js), from the
series API (GET /api/registry/twins/{id}/series), which answers from raw rows or the rollups so a
30-day chart reads at most a few hundred hourly buckets. This module only summarises the newest
observations for the server-rendered caption (and observations.json).
"""

from __future__ import annotations

from dataclasses import dataclass

from dataplane.queries import Series

__all__ = ["Chart", "summary", "series_json"]


@dataclass(frozen=True)
class Chart:
    signal: str
    unit: str
    last: float | None
    low: float | None
    high: float | None
    count: int
    last_time: str


def summary(series: Series) -> Chart:
    values = [v for _, v in series.points]
    if not values:
        return Chart(series.signal, series.unit, None, None, None, 0, "")
    return Chart(series.signal, series.unit, values[-1], min(values), max(values), len(values),
                 series.points[-1][0].isoformat(timespec="seconds"))


def series_json(charts: list[Chart]) -> list[dict]:
    return [{"signal": c.signal, "unit": c.unit, "last": c.last, "low": c.low, "high": c.high, "count": c.count,
             "last_time": c.last_time} for c in charts]
