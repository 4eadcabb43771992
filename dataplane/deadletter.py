"""Records a store refused for their content, kept on disk until an operator decides.

A lane that isolates a refused record (see pipeline.Lane) writes it here, one
JSON file per record under `<spool dir>/deadletter/<store>/`, fsync'd before
the spooled batch it came from is removed, so nothing is dropped silently.
Each file holds the store, the reason the store gave, when, and the record
as the lane had it. `manage.py deadletter list|replay|purge` reads the same
folder: replay writes the records to their store again (after the operator
has fixed the cause: a constraint, a column, a retention policy) and removes
those the store took.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .spool import fsync_dir

__all__ = ["DeadLetter", "DeadLetters", "Replayed", "replay"]

_SUFFIX = ".dead.json"


@dataclass(frozen=True)
class DeadLetter:
    id: str  # <store>/<file stem>, what `deadletter purge` takes
    store: str
    reason: str
    time: str
    record: dict[str, Any]
    path: Path


class DeadLetters:
    """The dead-letter folder of every store under one root."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._seq = 0

    def put(self, store: str, record: dict[str, Any], reason: str) -> DeadLetter:
        """Keep one refused record durably (written, fsync'd, renamed into place)."""
        folder = self.root / store
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.now(timezone.utc)
        with self._lock:
            self._seq += 1
            stem = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}-{self._seq:06d}"
        doc = {"store": store, "reason": reason, "time": now.isoformat(), "record": record}
        tmp = folder / f"{stem}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, ensure_ascii=True)
            handle.flush()
            os.fsync(handle.fileno())
        path = folder / f"{stem}{_SUFFIX}"
        os.replace(tmp, path)
        fsync_dir(folder)
        return DeadLetter(f"{store}/{stem}", store, reason, doc["time"], record, path)

    def count(self, store: str | None = None) -> int:
        folders = [self.root / store] if store else [p for p in self.root.glob("*") if p.is_dir()]
        return sum(1 for folder in folders for _ in folder.glob("*" + _SUFFIX))

    def entries(self, store: str | None = None) -> list[DeadLetter]:
        """Oldest first; a file that cannot be read is listed with that as its reason."""
        folders = [self.root / store] if store else sorted(p for p in self.root.glob("*") if p.is_dir())
        found = []
        for folder in folders:
            for path in sorted(folder.glob("*" + _SUFFIX)):
                stem = path.name[: -len(_SUFFIX)]
                try:
                    doc = json.loads(path.read_text(encoding="utf-8"))
                    found.append(DeadLetter(f"{folder.name}/{stem}", folder.name, doc["reason"], doc["time"],
                                            doc["record"], path))
                except (OSError, ValueError, KeyError) as exc:
                    found.append(DeadLetter(f"{folder.name}/{stem}", folder.name, f"unreadable: {exc}", "", {},
                                            path))
        return found

    def remove(self, letter: DeadLetter) -> None:
        letter.path.unlink(missing_ok=True)

    def annotate(self, letter: DeadLetter, reason: str) -> None:
        """Replace the stored reason (a replay that was refused again says why, now)."""
        doc = {"store": letter.store, "reason": reason, "time": letter.time, "record": letter.record}
        tmp = letter.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
        os.replace(tmp, letter.path)


@dataclass(frozen=True)
class Replayed:
    written: int
    refused: int
    waiting: int  # not tried: the store was down
    detail: str = ""


def replay(letters: DeadLetters, writers: dict[str, Any], store: str | None = None) -> Replayed:
    """Write each dead letter to its store again, one record at a time; remove those the store takes.

    A record refused again stays with the new reason; when the store is down
    the replay stops there (nothing is lost, run it again later).
    """
    from .writers import StoreDown, StoreRefused

    written = refused = 0
    pending = letters.entries(store)
    for index, letter in enumerate(pending):
        writer = writers.get(letter.store)
        if writer is None:
            return Replayed(written, refused, len(pending) - index,
                            f"the store {letter.store!r} is not configured here; set its URL and replay again")
        try:
            writer.write([letter.record])
        except StoreRefused as exc:
            refused += 1
            letters.annotate(letter, str(exc))
            continue
        except StoreDown as exc:
            return Replayed(written, refused, len(pending) - index, f"{letter.store} is down: {exc}")
        letters.remove(letter)
        written += 1
    return Replayed(written, refused, 0)
