"""One lane per store: batches go into the store's spool, a thread drains it.

Lanes are independent: a store that is down holds only its own lane back, its
batches wait in its spool and are retried with backoff, then drain in order.
When a spool is full, `submit` waits (the ingest stops reading MQTT) instead of
dropping anything.

A batch the store refuses for its content (StoreRefused) is split in halves
until the refused records are alone; each of those goes to the dead-letter
with the store's reason, the rest is written, and the lane goes on. When a
transient failure cuts such a split short, the spooled batch shrinks to the
parts not yet done, so nothing is written or dead-lettered twice.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .deadletter import DeadLetters
from .spool import Spool, SpoolFull
from .writers import StoreDown, StoreRefused, Writer

__all__ = ["Lane", "LaneReport", "Pipeline"]

log = logging.getLogger(__name__)
BACKOFF_START = 0.5
BACKOFF_MAX = 30.0
COALESCE_RECORDS = 5000  # a lane that fell behind writes up to this many spooled records at once


@dataclass(frozen=True)
class LaneReport:
    store: str
    label: str
    endpoint: str
    state: str  # ok | down | retrying
    detail: str
    spool_batches: int
    spool_records: int
    oldest_waiting_seconds: float | None
    written_records: int
    failures: int
    dead_letters: int  # records this store refused, waiting in the dead-letter


class Lane:
    def __init__(self, writer: Writer, spool_dir: Path, max_bytes: int):
        self.writer = writer
        self.spool = Spool(spool_dir / writer.name, max_bytes)
        self.dead = DeadLetters(spool_dir / "deadletter")
        self.dead_letters = self.dead.count(writer.name)
        self._dead_logged_at = -60.0
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lane-{writer.name}", daemon=True)
        self.state, self.detail = "ok", ""
        self.written = 0
        self.failures = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, records: list[dict[str, Any]]) -> None:
        mine = [r for r in records if r["k"] in self.writer.kinds]
        if not mine:
            return
        while True:
            try:
                self.spool.put(mine)
                break
            except SpoolFull as exc:
                if self._stop.is_set():
                    raise
                self.state, self.detail = "down", f"spool full, ingest paused: {exc}"
                time.sleep(0.2)
        with self._wake:
            self._wake.notify()

    def _run(self) -> None:
        backoff = BACKOFF_START
        while not self._stop.is_set():
            if self._coalesce():
                continue
            head = self.spool.peek()
            if head is None:
                with self._wake:
                    self._wake.wait(timeout=0.5)
                continue
            seq, records = head
            try:
                self._deliver(seq, records)
            except StoreDown as exc:
                self.failures += 1
                self.state, self.detail = "retrying", str(exc)
                log.warning("%s: batch %d waits in the spool (%s); retry in %.1f s",
                            self.writer.name, seq, exc, backoff)
                self._stop.wait(backoff * (0.5 + random.random() / 2))
                backoff = min(BACKOFF_MAX, backoff * 2)
                continue
            except Exception:  # a bug in a writer must not kill the lane; the batch stays spooled
                self.failures += 1
                self.state, self.detail = "retrying", "writer error (see the ingest log)"
                log.exception("%s: writing batch %d failed", self.writer.name, seq)
                self._stop.wait(backoff)
                backoff = min(BACKOFF_MAX, backoff * 2)
                continue
            self.spool.pop(seq)
            self.state, self.detail, backoff = "ok", "", BACKOFF_START

    def _coalesce(self) -> bool:
        """When several batches wait, write them in one store transaction; True when that happened.

        Any failure leaves them all spooled and hands over to the one-batch path, which
        retries, bisects and dead-letters exactly as it does for a single batch.
        """
        heads = self.spool.peek_many(COALESCE_RECORDS) if self.spool.state().depth > 1 else []
        if len(heads) < 2:
            return False
        try:
            self.writer.write([r for _, records in heads for r in records])
        except Exception:
            return False
        for seq, records in heads:
            self.spool.pop(seq)
            self.written += len(records)
        self.state, self.detail = "ok", ""
        return True

    def _deliver(self, seq: int, records: list[dict[str, Any]]) -> None:
        """Write the batch; isolate what the store refuses (bisecting) and dead-letter it.

        StoreDown from any part propagates and the batch stays spooled; if some
        parts were already written or dead-lettered, the spooled batch first
        shrinks to what is left, so the retry neither writes nor dead-letters
        anything twice.
        """
        parts, progressed = [records], False
        while parts:
            part = parts.pop(0)
            try:
                self.writer.write(part)
            except StoreRefused as exc:
                if len(part) > 1:
                    half = len(part) // 2
                    parts[:0] = [part[:half], part[half:]]
                else:
                    self._dead_letter(part[0], exc)
                    progressed = True
                continue
            except Exception:  # StoreDown, or a writer's bug: retried, but without redoing what is done
                if progressed:
                    self.spool.replace_head(seq, [r for p in [part, *parts] for r in p])
                raise
            self.written += len(part)
            progressed = True

    def _dead_letter(self, record: dict[str, Any], exc: StoreRefused) -> None:
        self.dead.put(self.writer.name, record, str(exc))
        self.dead_letters += 1
        if time.monotonic() - self._dead_logged_at >= 60:  # one line a minute, however many are refused
            self._dead_logged_at = time.monotonic()
            log.error("%s refused a record; it is kept in the dead-letter (%d so far; manage.py deadletter "
                      "list): %s", self.writer.name, self.dead_letters, exc)

    def drained(self) -> bool:
        return self.spool.state().depth == 0

    def stop(self, drain_seconds: float = 5.0) -> None:
        deadline = time.monotonic() + drain_seconds
        while not self.drained() and time.monotonic() < deadline and self.state == "ok":
            time.sleep(0.05)
        self._stop.set()
        with self._wake:
            self._wake.notify()
        self._thread.join(timeout=BACKOFF_MAX)
        self.writer.close()

    def report(self) -> LaneReport:
        spool = self.spool.state()
        return LaneReport(self.writer.name, self.writer.label, self.writer.endpoint, self.state, self.detail,
                          spool.depth, spool.records, spool.oldest_age_seconds, self.written, self.failures,
                          self.dead_letters)


class Pipeline:
    """The lanes of all configured stores."""

    def __init__(self, writers: list[Writer], spool_dir: Path, max_bytes: int):
        self.lanes = [Lane(w, Path(spool_dir), max_bytes) for w in writers]

    def start(self) -> None:
        for lane in self.lanes:
            lane.start()

    def submit(self, records: list[dict[str, Any]]) -> None:
        if records:
            for lane in self.lanes:
                lane.submit(records)

    def drained(self) -> bool:
        return all(lane.drained() for lane in self.lanes)

    def stop(self) -> None:
        for lane in self.lanes:
            lane.stop()

    def reports(self) -> list[dict[str, Any]]:
        return [asdict(lane.report()) for lane in self.lanes]
