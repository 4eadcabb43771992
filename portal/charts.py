"""Observation sparklines for the twin page, as server-rendered SVG paths."""

from __future__ import annotations

from dataclasses import dataclass

from dataplane.queries import Series

__all__ = ["Chart", "sparkline", "series_json"]

WIDTH = 260
HEIGHT = 48


@dataclass(frozen=True)
class Chart:
    signal: str
    unit: str
    path: str  # SVG polyline points
    last: float | None
    low: float | None
    high: float | None
    count: int
    last_time: str


def sparkline(series: Series, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    values = [v for _, v in series.points]
    if not values:
        return Chart(series.signal, series.unit, "", None, None, None, 0, "")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(1, len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in enumerate(values))
    return Chart(series.signal, series.unit, points, values[-1], low, high, len(values),
                 series.points[-1][0].isoformat(timespec="seconds"))


def series_json(charts: list[Chart]) -> list[dict]:
    return [{"signal": c.signal, "unit": c.unit, "path": c.path, "last": c.last, "low": c.low, "high": c.high,
             "count": c.count, "last_time": c.last_time} for c in charts]
