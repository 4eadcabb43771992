"""The one message format of every twin stack (docs/messages.md), built in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = ["QUALITIES", "SEVERITIES", "Alert", "iso_utc", "telemetry_payload"]

QUALITIES = ("good", "uncertain", "bad")
SEVERITIES = ("info", "warning", "critical")


def iso_utc(when: datetime | None = None) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`, the form every stack stamps."""
    when = when or datetime.now(timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def telemetry_payload(value: float, unit: str, ts: str, *, signal: str = "", quality: str = "good") -> dict[str, Any]:
    """A telemetry message; refuses what the ingest would refuse, so a bug shows here first."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"telemetry value must be a finite number, got {value!r}")
    if quality not in QUALITIES:
        raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, got {quality!r}")
    payload: dict[str, Any] = {"value": value, "unit": unit, "ts": ts, "quality": quality}
    if signal:
        payload["signal"] = signal
    return payload


@dataclass(frozen=True)
class Alert:
    severity: str
    message: str
    ts: str
    signal: str
    value: float
    threshold: float

    def payload(self) -> dict[str, Any]:
        return {"severity": self.severity, "message": self.message, "ts": self.ts, "signal": self.signal,
                "value": self.value, "threshold": self.threshold}
