"""Which twin a topic belongs to: the registry's declared streams, as a lookup.

The map is rebuilt when the registry changes (the PortalEvent log grew), so a
twin.yaml that adds a stream is routed without restarting the ingest.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from paho.mqtt.client import topic_matches_sub

__all__ = ["Route", "TopicMap", "load_topic_map", "RouteCache"]


@dataclass(frozen=True)
class Route:
    twin: str
    tenant: str
    signal: str
    unit: str
    interval: float | None
    alerts: bool  # the stream's last topic level is "alerts"


@dataclass(frozen=True)
class TopicMap:
    exact: dict[str, Route]
    wildcard: tuple[tuple[str, Route], ...]
    intervals: dict[str, float]  # twin -> the shortest interval it declares

    def route(self, topic: str) -> Route | None:
        found = self.exact.get(topic)
        if found is not None:
            return found
        for pattern, route in self.wildcard:
            if topic_matches_sub(pattern, topic):
                return route
        return None


def load_topic_map() -> TopicMap:
    """Every MQTT stream of every twin that is not deprecated."""
    from registry.models import Stream

    exact: dict[str, Route] = {}
    wildcard: list[tuple[str, Route]] = []
    intervals: dict[str, float] = {}
    rows = (Stream.objects.filter(kind="mqtt").exclude(twin__status="deprecated")
            .values_list("topic", "signal", "unit", "interval", "twin_id", "twin__tenant").order_by("id"))
    for topic, signal, unit, interval, twin_id, tenant in rows:
        route = Route(twin_id, tenant, signal, unit, interval, topic.rsplit("/", 1)[-1] == "alerts")
        if "+" in topic or "#" in topic:
            wildcard.append((topic, route))
        else:
            exact.setdefault(topic, route)
        if interval and not route.alerts:
            intervals[twin_id] = min(interval, intervals.get(twin_id, interval))
    return TopicMap(exact, tuple(wildcard), intervals)


class RouteCache:
    """The current TopicMap, reloaded when the registry's event log has grown.

    Looking at the newest PortalEvent id is one indexed query, so checking every
    `check_seconds` is cheap; a reload happens only after a real change.
    """

    def __init__(self, check_seconds: float = 1.0):
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._mark: int | None = None
        self._checked = 0.0
        self._map = TopicMap({}, (), {})

    def current(self) -> TopicMap:
        now = time.monotonic()
        if now - self._checked < self.check_seconds and self._mark is not None:
            return self._map
        with self._lock:
            from registry.models import PortalEvent

            self._checked = now
            mark = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            if mark != self._mark:
                self._map = load_topic_map()
                self._mark = mark
        return self._map
