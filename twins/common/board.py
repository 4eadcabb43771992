"""What a stack last published, kept for its own UI (and its JSON endpoint).

The runner records each message it built, with whether it reached the broker,
so the UI shows exactly what subscribers saw (or what was dropped while the
broker was away), never a second computation.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from twins.common.stackspec import StackSpec

__all__ = ["StatusBoard"]


class StatusBoard:
    def __init__(self, spec: StackSpec, broker: str, *, max_alerts: int = 50) -> None:
        self._lock = threading.Lock()
        self._spec = spec
        self._broker = broker
        self._connected = False
        self._signals: dict[str, dict[str, Any]] = {}
        self._alerts: deque[dict[str, Any]] = deque(maxlen=max_alerts)
        self._ticks = 0
        self._dropped = 0

    def record(self, topic: str, payload: dict[str, Any], published: bool) -> None:
        with self._lock:
            if "severity" in payload:
                entry = {**payload, "topic": topic, "published": published}
                for i, old in enumerate(self._alerts):  # an alert sent late (after a reconnect) replaces itself
                    if (old["ts"], old["message"]) == (payload["ts"], payload["message"]):
                        self._alerts[i] = entry
                        break
                else:
                    self._alerts.appendleft(entry)
            else:
                key = payload.get("signal") or topic
                self._signals[key] = {**payload, "topic": topic, "published": published}
            if not published:
                self._dropped += 1

    def tick(self, connected: bool) -> None:
        with self._lock:
            self._ticks += 1
            self._connected = connected

    def set_connected(self, connected: bool) -> None:
        with self._lock:
            self._connected = connected

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy: the twin, the broker, each signal's last message, recent alerts."""
        twin = self._spec.twin
        with self._lock:
            return {
                "twin": {"id": twin.id, "name": twin.name, "tenant": twin.tenant, "ui_name": twin.ui["name"]},
                "broker": {"url": self._broker, "connected": self._connected},
                "signals": [dict(self._signals[k]) for k in self._signals],
                "alerts": [dict(a) for a in self._alerts],
                "ticks": self._ticks,
                "dropped": self._dropped,
            }
