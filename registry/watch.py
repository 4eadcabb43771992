"""Keep the registry in step with the twin roots while files are edited.

watchdog reports file-system events; bursts of them (an editor's save is
several) are folded into one rescan. The rescan is a full, hash-first scan:
it reads every file but parses only changed ones, so deletes, renames and
duplicate ids are decided with the whole tree in view, as in a cold scan.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from .model_files import MODEL_SUFFIX
from .reconcile import ScanReport, scan_roots
from .scanner import SPEC_NAMES

__all__ = ["watch"]

DEBOUNCE_SECONDS = 0.1


class _Trigger(FileSystemEventHandler):
    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [p for p in (event.src_path, getattr(event, "dest_path", "")) if p]
        names = [os.path.basename(os.fsdecode(p)) for p in paths]
        if event.is_directory or any(n in SPEC_NAMES or n.endswith(MODEL_SUFFIX) or n.endswith(".rules.yaml") for n in names):
            self.wake.set()


CHANGES = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
           DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


def watch(
    roots: Sequence[str],
    on_scan: Callable[[ScanReport], None],
    stop: threading.Event,
    *,
    prune: bool = False,
    ready: Callable[[], None] | None = None,
    model_roots: Sequence[str] | None = None,
) -> None:
    """Rescan `roots` (and the DTDL `model_roots`) whenever a spec or model file changes, until `stop` is set."""
    wake = threading.Event()
    observer = Observer()
    handler = _Trigger(wake)
    for root in [*roots, *(r for r in (model_roots or ()) if os.path.isdir(r))]:
        # Only changes: the rescans open and read every file, and with opens and no-write closes
        # in the mask a 10k tree overflows the kernel's inotify queue and the edit itself is lost.
        observer.schedule(handler, root, recursive=True, event_filter=CHANGES)
    observer.start()
    try:
        on_scan(scan_roots(roots, prune=prune, model_roots=model_roots))  # catch up with edits made while nobody watched
        if ready is not None:
            ready()
        while not stop.is_set():
            if not wake.wait(timeout=0.5):
                continue
            # Let the burst settle, then take everything it changed in one scan.
            while wake.is_set() and not stop.is_set():
                wake.clear()
                stop.wait(DEBOUNCE_SECONDS)
            on_scan(scan_roots(roots, prune=prune, model_roots=model_roots))
    finally:
        observer.stop()
        observer.join(timeout=5)
