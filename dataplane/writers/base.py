"""The one small surface every store writer has: open, write a batch, health, close.

Records are plain JSON dicts tagged by kind ("obs" observation, "event" event_log
row, "twin" / "twin_gone" registry projections), so batches can wait in a spool
file and every writer takes only the kinds it stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Health", "Probe", "Writer", "StoreDown", "StoreRefused"]


class StoreDown(Exception):
    """A transient failure (connection, timeout, server busy): the batch stays spooled and is retried."""


class StoreRefused(Exception):
    """The store answered and refused the batch for its *content* (bad value, constraint, NUL in text).

    Retrying the same records can never succeed, so the lane splits the batch
    until the refused records are isolated and moves those to the dead-letter.
    Each writer decides which of its store's errors mean this, in one place.
    """


@dataclass(frozen=True)
class Health:
    state: str  # ok | down | off (not configured: never shown as healthy)
    detail: str = ""


@dataclass(frozen=True)
class Probe:
    """The smoke check's answer for one store."""

    written: bool
    read_back: bool | None  # None: the server offers no way to read this back
    detail: str = ""


class Writer(Protocol):
    name: str  # timescale | influx | graph | blobs
    label: str
    endpoint: str
    kinds: frozenset[str]

    def open(self) -> None: ...

    def write(self, records: list[dict[str, Any]]) -> None:
        """Store the batch, all of it or none of it (or idempotently).

        Raise StoreDown when the store could not be reached or timed out, and
        StoreRefused when it refused the records themselves.
        """

    def health(self) -> Health: ...

    def probe(self, marker: str) -> Probe:
        """Write a record marked `marker`, read it back, and remove it."""

    def close(self) -> None: ...
