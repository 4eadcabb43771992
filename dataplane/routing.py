"""Which twin a topic belongs to: the registry's declared streams, as a lookup.

The map is rebuilt when the registry changes (the PortalEvent log grew), so a
twin.yaml that adds a stream is routed without restarting the ingest. While
the registry's database is away the last map loaded keeps routing: the MQTT
thread never sees a database error, and messages keep reaching the spools.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from paho.mqtt.client import topic_matches_sub

__all__ = ["Route", "TopicMap", "load_topic_map", "RouteCache"]

log = logging.getLogger(__name__)


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
    twins: frozenset[str] = frozenset()  # every twin whose data is accepted now (not deprecated)

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
    twins = frozenset(r.twin for r in exact.values()) | frozenset(r.twin for _, r in wildcard)
    return TopicMap(exact, tuple(wildcard), intervals, twins)


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
        self.stale: str = ""  # why the map may be behind the registry ("" while it is current)

    def load(self) -> TopicMap:
        """Load the map now, raising if the database does not answer (the ingest's start-up needs one)."""
        with self._lock:
            self._refresh(time.monotonic())
        return self._map

    def current(self) -> TopicMap:
        """The map as last loaded: never touches the database (the MQTT thread calls this per message)."""
        return self._map

    @property
    def loaded(self) -> bool:
        """Whether a map has come from the registry yet (before that, no twin is known to be refused)."""
        return self._mark is not None

    def refresh(self) -> TopicMap:
        """Reload the map if the registry changed (checked at most every check_seconds); on a database
        error keep the last one, note why in `stale`, and try again at the next check."""
        now = time.monotonic()
        if now - self._checked < self.check_seconds and self._mark is not None:
            return self._map
        with self._lock:
            try:
                self._refresh(now)
            except Exception as exc:  # the database is away: keep routing with what we know
                self._checked = now
                if not self.stale:
                    log.warning("the registry database does not answer (%s); routing with the last known map", exc)
                self.stale = str(exc).strip()[:300]
                self._close_connection()
        return self._map

    def _refresh(self, now: float) -> None:
        from registry.models import PortalEvent

        mark = PortalEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if mark != self._mark:
            self._map = load_topic_map()
            self._mark = mark
        self._checked = now
        if self.stale:
            log.info("the registry database answers again; routing is current")
            self.stale = ""

    @staticmethod
    def _close_connection() -> None:
        """Drop this thread's broken connection so the next check opens a fresh one."""
        from django.db import connection

        try:
            connection.close()
        except Exception:
            pass
