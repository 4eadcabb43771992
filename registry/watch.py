"""Keep the registry in step with the twin roots while files are edited.

watchdog reports file-system events; bursts of them (an editor's save is
several) are folded into one pass. A pass reconciles only the folders the
events named: the folder of each created, modified, deleted or moved
twin.yaml, and each created, deleted or moved folder with everything under
it (`scanner.scan_folders`). The twins whose files lie under those folders
are decided as a full scan would decide them (a vanished folder releases
its twins, a moved one carries them to their new paths); files elsewhere
keep theirs, and a duplicate id is judged against the registered owner.

Anything the events cannot be trusted to describe takes a full, hash-first
rescan of every root instead: the start, a model or rules file, lost events
(the kernel's inotify queue overflowed, or watchdog warned), folder links in
the tree (one real folder, two paths: only the whole walk can tell which is
registered), a new link or virtualenv, and every DTP_WATCH_FULL_SCAN_SECONDS
so that whatever the notifications missed is caught.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
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
from .models import SpecFileError
from .reconcile import ScanReport, known_hashes, reconcile_scan, scan_roots
from .scanner import SPEC_NAMES, ScanRootError, folder_links, root_of, scan_folders, walked

__all__ = ["watch", "Pass", "Changes", "scan_changed"]

DEBOUNCE_SECONDS = 0.1
# More folders than this in one pass: a full rescan instead (as fast by then, and each folder is
# one OR'd condition in the pass's queries, which SQLite caps at an expression depth of 1,000).
MAX_FOLDERS = 200
RULES_SUFFIX = ".rules.yaml"  # alarms.model_rules.RULES_SUFFIX, beside the models


@dataclass
class Changes:
    """What the events of one burst named: folders to reconcile, or a reason for a full rescan."""

    folders: set[str] = field(default_factory=set)
    full: str = ""  # why everything must be rescanned; "" when the folders say it all

    def need_full(self, why: str) -> None:
        self.full = self.full or why


def classify(event: FileSystemEvent, roots: Sequence[str], model_roots: Sequence[str], changes: Changes) -> None:
    """Add what one event means to `changes` (a pure decision on the event and the paths it names)."""
    for raw in (event.src_path, getattr(event, "dest_path", "")):
        if not raw:
            continue
        path = os.path.abspath(os.fsdecode(raw))
        name = os.path.basename(path)
        if root_of(model_roots, path) is not None or path in model_roots:
            if event.is_directory or name.endswith((MODEL_SUFFIX, RULES_SUFFIX)):
                changes.need_full(f"model files changed ({name})")
            continue
        root = root_of(roots, path)
        if root is None:
            changes.need_full(f"an event outside the roots ({path})")
        elif name == "pyvenv.cfg" or os.path.islink(path):
            changes.need_full(f"a virtualenv or link appeared or went ({path})")
        elif name in SPEC_NAMES:
            changes.folders.add(os.path.dirname(path))
        elif event.is_directory:
            changes.folders.add(path)


def _outermost(folders: set[str]) -> list[str]:
    """The folders without one of their ancestors among them (each is scanned with all below it)."""
    kept: list[str] = []
    for folder in sorted(folders):
        if not any(folder == k or folder.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(folder)
    return kept


def scan_changed(roots: Sequence[str], folders: Sequence[str], *, prune: bool = False) -> ScanReport:
    """Reconcile only the spec files under `folders` (inside the twin `roots`); the models stay as registered.

    Files that lost a duplicate-id contest are read again too, as every full
    scan does: the winner may be among the folders, and the id theirs now.
    """
    losers = SpecFileError.objects.filter(kind=SpecFileError.Kind.CONFLICT).values_list("path", flat=True)
    folders = _outermost({*folders, *(os.path.dirname(p) for p in losers if root_of(roots, p) is not None)})
    if len(folders) > MAX_FOLDERS:
        raise TooWide(f"{len(folders)} folders changed")
    found = scan_folders(roots, folders, known_hashes(folders), max_bytes=settings.DTP_SPEC_MAX_BYTES)
    return reconcile_scan(found, prune=prune, partial=True)


class TooWide(Exception):
    """A pass over so many folders that the full rescan is the better tool."""


class _Collector(FileSystemEventHandler):
    def __init__(self, roots: Sequence[str], model_roots: Sequence[str]) -> None:
        self.roots, self.model_roots = list(roots), list(model_roots)
        self.lock = threading.Lock()
        self.changes = Changes()
        self.wake = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        with self.lock:
            before = (len(self.changes.folders), self.changes.full)
            classify(event, self.roots, self.model_roots, self.changes)
            if (len(self.changes.folders), self.changes.full) != before:
                self.wake.set()

    def lost(self, why: str) -> None:
        with self.lock:
            self.changes.need_full(why)
        self.wake.set()

    def take(self) -> Changes:
        with self.lock:
            changes, self.changes = self.changes, Changes()
        return changes


class _Lost(logging.Handler):
    """watchdog reports a kernel queue overflow (events dropped) only in its log: any warning of it means a full rescan."""

    def __init__(self, collector: _Collector) -> None:
        super().__init__(logging.WARNING)
        self.collector = collector

    def emit(self, record: logging.LogRecord) -> None:
        self.collector.lost(f"watchdog: {record.getMessage()}")


CHANGES = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
           DirCreatedEvent, DirDeletedEvent, DirMovedEvent]


@dataclass
class Pass:
    """One pass of the watcher: full (over the roots, `why` says what called for it), or over the folders named."""

    full: bool
    folders: list[str]
    why: str = ""


OnScan = Callable[[ScanReport, Pass], None]


def _plan(changes: Changes, roots: Sequence[str], links: bool, full_due: bool) -> Pass | None:
    if changes.full or links or full_due:
        why = changes.full or ("folder links in the tree" if links else "periodic full rescan")
        return Pass(True, list(roots), why)
    folders = [f for f in _outermost(changes.folders) if walked(roots, f)]
    if any(f in roots for f in folders):
        return Pass(True, list(roots), "a root itself changed")
    if len(folders) > MAX_FOLDERS:
        return Pass(True, list(roots), f"{len(folders)} folders changed")
    return Pass(False, folders) if folders else None


def watch(
    roots: Sequence[str],
    on_scan: OnScan,
    stop: threading.Event,
    *,
    prune: bool = False,
    ready: Callable[[], None] | None = None,
    model_roots: Sequence[str] | None = None,
    full_every: float = 0.0,
) -> None:
    """Reconcile what changes under `roots` (and the DTDL `model_roots`) until `stop` is set.

    `on_scan` gets each pass's report and the Pass: the folders it covered, or why it covered everything.
    `full_every` seconds (0: never) a full rescan runs even when nothing was heard.
    """
    roots = [os.path.abspath(r) for r in roots]
    watched_models = [os.path.abspath(r) for r in (model_roots or ()) if os.path.isdir(r)]
    collector = _Collector(roots, watched_models)
    lost = _Lost(collector)
    watchdog_log = logging.getLogger("watchdog")
    if watchdog_log.getEffectiveLevel() > logging.WARNING:
        watchdog_log.setLevel(logging.WARNING)  # its warning of lost events must reach `lost`
    watchdog_log.addHandler(lost)
    observer = _observe(collector, [*roots, *watched_models])
    try:
        links = _full(Pass(True, roots, "start"), on_scan, prune, model_roots)  # edits made while nobody watched
        last_full = time.monotonic()
        if ready is not None:
            ready()
        while not stop.is_set():
            due = bool(full_every) and time.monotonic() - last_full >= full_every
            if not due and not collector.wake.wait(timeout=0.5):
                continue
            # Let the burst settle, then take everything it named in one pass.
            while collector.wake.is_set() and not stop.is_set():
                collector.wake.clear()
                stop.wait(DEBOUNCE_SECONDS)
            step = _plan(collector.take(), roots, links, due)
            if step is None or stop.is_set():
                continue
            if not step.full:
                try:
                    on_scan(scan_changed(roots, step.folders, prune=prune), step)
                    continue
                except ScanRootError:  # a folder went while it was walked: let the whole walk decide
                    step = Pass(True, roots, "a folder went while it was scanned")
                except TooWide as exc:
                    step = Pass(True, roots, str(exc))
            links = _full(step, on_scan, prune, model_roots)
            last_full = time.monotonic()
    finally:
        watchdog_log.removeHandler(lost)
        observer.stop()
        observer.join(timeout=5)


def _observe(collector: _Collector, folders: Sequence[str]) -> Observer:
    observer = Observer()
    for folder in folders:
        # Only changes: with opens and no-write closes in the mask, a full rescan of a 10k tree
        # overflows the kernel's inotify queue.
        observer.schedule(collector, folder, recursive=True, event_filter=CHANGES)
    observer.start()
    return observer


def _full(step: Pass, on_scan: OnScan, prune: bool, model_roots: Sequence[str] | None) -> bool:
    """A full rescan; returns whether the tree has folder links (then every pass is a full one)."""
    on_scan(scan_roots(step.folders, prune=prune, model_roots=model_roots), step)
    return bool(folder_links(step.folders))
