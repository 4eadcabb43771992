"""A bounded, ordered, on-disk queue of batches for one store.

Every batch for a store goes through its spool before the store sees it: the
writer takes the oldest batch, writes it, and only then removes it. So a store
that is down (or an ingest that is restarted) loses nothing, batches drain in
the order they came, and a healthy store costs one small file per batch.
A full spool refuses new batches (SpoolFull) instead of dropping old ones.
Batches are JSON written and read by orjson; the standard library takes over
only for what orjson refuses (integers beyond 64 bits in an alert body).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

__all__ = ["Spool", "SpoolFull", "SpoolState", "fsync_dir"]

_SUFFIX = ".batch.json"


class SpoolFull(Exception):
    pass


@dataclass(frozen=True)
class SpoolState:
    depth: int  # batches waiting
    records: int  # records waiting
    bytes: int
    oldest_age_seconds: float | None


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class Spool:
    def __init__(self, folder: Path, max_bytes: int):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: deque[tuple[int, int, int, float]] = deque()  # (seq, bytes, records, mtime)
        for path in sorted(self.folder.glob("*" + _SUFFIX)):
            stat = path.stat()
            records = len(_loads(path.read_bytes()))
            self._entries.append((int(path.name.split(".")[0]), stat.st_size, records, stat.st_mtime))
        for stale in self.folder.glob("*.tmp"):  # a write cut short never became a batch
            stale.unlink(missing_ok=True)
        self._next = (self._entries[-1][0] + 1) if self._entries else 1
        self._bytes = sum(e[1] for e in self._entries)
        self._records = sum(e[2] for e in self._entries)

    @staticmethod
    def _dumps(records: list[dict[str, Any]]) -> bytes:
        try:
            return orjson.dumps(records)
        except TypeError:  # an integer beyond 64 bits
            return json.dumps(records, separators=(",", ":")).encode()

    def _path(self, seq: int) -> Path:
        return self.folder / f"{seq:016d}{_SUFFIX}"

    def put(self, records: list[dict[str, Any]]) -> int:
        """Append a batch durably (fsync'd, renamed into place, the folder fsync'd); returns its sequence number.

        The ingest acknowledges messages to the broker once this returns.
        """
        data = self._dumps(records)
        with self._lock:
            if self._entries and self._bytes + len(data) > self.max_bytes:
                raise SpoolFull(f"spool {self.folder} holds {self._bytes} bytes; the limit is {self.max_bytes}")
            seq = self._next
            self._next += 1
            self._write_durably(seq, data)
            self._entries.append((seq, len(data), len(records), time.time()))
            self._bytes += len(data)
            self._records += len(records)
        return seq

    def _write_durably(self, seq: int, data: bytes) -> None:
        """Batch `seq`'s file holds `data` once this returns, through a power cut too (file and rename fsync'd)."""
        tmp = self.folder / f"{seq:016d}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path(seq))
        fsync_dir(self.folder)  # the rename itself survives a power cut, not only a killed process

    def peek(self) -> tuple[int, list[dict[str, Any]]] | None:
        """The oldest batch, left in place until pop()."""
        with self._lock:
            if not self._entries:
                return None
            seq = self._entries[0][0]
        return seq, _loads(self._path(seq).read_bytes())

    def peek_many(self, max_records: int) -> list[tuple[int, list[dict[str, Any]]]]:
        """The oldest batches, in order, as many as fit in `max_records` (at least one), left in place."""
        with self._lock:
            seqs, total = [], 0
            for seq, _size, records, _mtime in self._entries:
                if seqs and total + records > max_records:
                    break
                seqs.append(seq)
                total += records
        return [(seq, _loads(self._path(seq).read_bytes())) for seq in seqs]

    def replace_head(self, seq: int, records: list[dict[str, Any]]) -> None:
        """Durably shrink the oldest batch to `records` (what is left of it after part was written)."""
        data = self._dumps(records)
        with self._lock:
            if not self._entries or self._entries[0][0] != seq:
                raise ValueError(f"batch {seq} is not the oldest in {self.folder}")
            self._write_durably(seq, data)
            _, size, count, mtime = self._entries[0]
            self._entries[0] = (seq, len(data), len(records), mtime)
            self._bytes += len(data) - size
            self._records += len(records) - count

    def pop(self, seq: int) -> None:
        with self._lock:
            if not self._entries or self._entries[0][0] != seq:
                raise ValueError(f"batch {seq} is not the oldest in {self.folder}")
            _, size, records, _ = self._entries.popleft()
            self._bytes -= size
            self._records -= records
            self._path(seq).unlink(missing_ok=True)

    def state(self) -> SpoolState:
        with self._lock:
            oldest = time.time() - self._entries[0][3] if self._entries else None
            return SpoolState(len(self._entries), self._records, self._bytes, oldest)


def fsync_dir(folder: Path) -> None:
    """Make the entries of `folder` (a rename into it) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
