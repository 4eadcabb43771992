"""Reconcile twin specs into the registry: the only code that writes a Twin.

One scan is applied in one transaction, under a lock, so two scans at once
queue instead of racing. Changes are decided by comparing documents inside
that transaction (the content hash only spares parsing), and every real
change writes its UpdateCmd (the JSON Patch) and its PortalEvent beside it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import events
from .documents import effective_status, twin_payload, twin_state
from .models import ScanStatus, SpecFileError, Stream, Twin, TwinUI, UpdateCmd
from .scanner import Progress, Scan, ScannedFile, scan
from .spec import SpecError, TwinSpec

__all__ = ["ScanReport", "known_hashes", "reconcile_scan", "scan_roots", "update_runtime"]

# Any fixed number; all reconcilers in a PostgreSQL database share it.
_PG_LOCK_KEY = 0x44545052  # "DTPR"


@dataclass
class ScanReport:
    """What one scan did (or, with dry_run, would do)."""

    files: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deprecated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[SpecError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events: int = 0
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deprecated or self.deleted)


def _under(roots: Sequence[str]) -> Q:
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(source_path__startswith=root.rstrip(os.sep) + os.sep)
    return q


def _errors_under(roots: Sequence[str]) -> Q:
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(path__startswith=root.rstrip(os.sep) + os.sep)
    return q


def known_hashes(roots: Sequence[str]) -> dict[str, str]:
    """Content hashes whose parse result is already in the registry, by path.

    Conflict errors are left out on purpose: whether a duplicate id loses
    depends on other files, so such files are parsed again on every scan.
    """
    roots = [os.path.abspath(r) for r in roots]
    known = dict(
        Twin.objects.filter(_under(roots), source=Twin.Source.FILE)
        .exclude(content_hash="")
        .values_list("source_path", "content_hash")
    )
    # A broken file's twin keeps its last good hash; the file on disk is the broken one.
    known.update(
        SpecFileError.objects.filter(_errors_under(roots), kind=SpecFileError.Kind.INVALID).values_list("path", "sha256")
    )
    return known


def _lock() -> None:
    """Serialise reconcilers across processes.

    SQLite is configured with transaction_mode IMMEDIATE, so its BEGIN already
    holds the database's write lock; PostgreSQL needs an advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


class _Plan:
    """Accumulates one scan's writes so each table is written in bulk, once."""

    def __init__(self, report: ScanReport) -> None:
        self.report = report
        self.now = timezone.now()
        self.new_twins: list[Twin] = []
        self.changed_twins: list[Twin] = []
        self.quiet_twins: list[Twin] = []  # hash or path moved, document unchanged
        self.cards: list[TwinUI] = []
        self.stream_twins: dict[str, TwinSpec] = {}
        self.deleted: list[Twin] = []
        self.cmds: list[UpdateCmd] = []
        self.drafts: list[events.EventDraft] = []
        self.payload_twins: list[tuple[Twin, str, list[str]]] = []

    def command(self, twin: Twin, source: str, kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        patch = jsonpatch.make_patch(old, new).patch
        self.cmds.append(UpdateCmd(twin_id=twin.id, source=source, kind=kind, patch=patch,
                                   revision=twin.revision, ts=self.now))
        return sorted({op["path"].split("/")[1] for op in patch if op["path"].count("/") >= 1})

    def flush(self) -> None:
        Twin.objects.bulk_create(self.new_twins)
        fields = ["name", "tenant", "description", "metadata", "interfaces", "dependencies", "status", "source",
                  "source_path", "content_hash", "revision", "updated_at"]
        Twin.objects.bulk_update(self.changed_twins + self.quiet_twins, fields, batch_size=500)
        TwinUI.objects.bulk_create(self.cards, update_conflicts=True, unique_fields=["twin"],
                                   update_fields=["name", "ui_url", "dtr_id"])
        Stream.objects.filter(twin_id__in=list(self.stream_twins)).delete()
        Stream.objects.bulk_create([
            Stream(twin_id=twin_id, kind=s.kind, topic=s.topic, uri=s.uri, signal=s.signal, unit=s.unit,
                   interval=s.interval)
            for twin_id, spec in self.stream_twins.items() for s in spec.streams
        ])
        UpdateCmd.objects.bulk_create(self.cmds)
        self._twin_events()
        Twin.objects.filter(pk__in=[t.pk for t in self.deleted]).delete()
        events.append(self.drafts)
        self.report.events += len(self.drafts)

    def _twin_events(self) -> None:
        """Build twin.update payloads after the rows are written, with their streams."""
        ids = [t.id for t, _, _ in self.payload_twins]
        streams: dict[str, list[Stream]] = defaultdict(list)
        for s in Stream.objects.filter(twin_id__in=ids).order_by("id"):
            streams[s.twin_id].append(s)
        cards = {c.twin_id: c for c in TwinUI.objects.filter(twin_id__in=ids)}
        for twin, action, changed in self.payload_twins:
            payload = {"action": action, "changed": changed,
                       "twin": twin_payload(twin, cards.get(twin.id), streams[twin.id])}
            self.drafts.append(events.EventDraft(twin.tenant, events.TWIN_UPDATE, payload))


def _card(twin_id: str, spec: TwinSpec) -> TwinUI:
    return TwinUI(twin_id=twin_id, name=spec.ui["name"], ui_url=spec.ui["url"], dtr_id=spec.ui["dtr_id"])


def _set_spec_fields(twin: Twin, spec: TwinSpec) -> None:
    twin.name, twin.tenant, twin.description = spec.name, spec.tenant, spec.description
    twin.metadata, twin.interfaces, twin.dependencies = spec.metadata, spec.interfaces, spec.dependencies
    twin.status = effective_status(twin.metadata, twin.runtime)


def _apply_spec(plan: _Plan, f: ScannedFile, spec: TwinSpec, existing: Twin | None) -> None:
    source = f"file:{f.path}"
    if existing is None:
        twin = Twin(id=spec.id, runtime={}, source=Twin.Source.FILE, source_path=f.path, content_hash=f.sha256,
                    revision=1, created_at=plan.now, updated_at=plan.now)
        _set_spec_fields(twin, spec)
        plan.new_twins.append(twin)
        plan.cards.append(_card(twin.id, spec))
        plan.stream_twins[twin.id] = spec
        changed = plan.command(twin, source, UpdateCmd.Kind.CREATE, {}, {**spec.document(), "runtime": {}})
        plan.payload_twins.append((twin, "created", changed))
        plan.report.created.append(twin.id)
        return
    old_state = twin_state(existing, getattr(existing, "ui", None))
    new_state = {**spec.document(), "runtime": existing.runtime}
    existing.source, existing.source_path, existing.content_hash = Twin.Source.FILE, f.path, f.sha256
    existing.updated_at = plan.now
    if old_state == new_state:
        plan.quiet_twins.append(existing)
        plan.report.unchanged += 1
        return
    was_deprecated = existing.status == "deprecated"
    _set_spec_fields(existing, spec)
    existing.revision += 1
    plan.changed_twins.append(existing)
    plan.cards.append(_card(existing.id, spec))
    if old_state["interfaces"] != new_state["interfaces"]:
        plan.stream_twins[existing.id] = spec
    changed = plan.command(existing, source, UpdateCmd.Kind.UPDATE, old_state, new_state)
    action = "restored" if was_deprecated and existing.status != "deprecated" else "updated"
    plan.payload_twins.append((existing, action, changed))
    plan.report.updated.append(existing.id)


def _retire(plan: _Plan, twin: Twin, reason: str, prune: bool) -> None:
    """A twin whose file is gone (or now names another id): deprecate it, or delete it with prune."""
    old_state = twin_state(twin, getattr(twin, "ui", None))
    source = f"file:{twin.source_path}"
    payload = {"id": twin.id, "tenant": twin.tenant, "reason": reason, "source_path": twin.source_path}
    if prune:
        twin.revision += 1
        plan.command(twin, source, UpdateCmd.Kind.DELETE, old_state, {})
        plan.deleted.append(twin)
        plan.drafts.append(events.EventDraft(twin.tenant, events.TWIN_DELETE, {**payload, "deleted": True}))
        plan.report.deleted.append(twin.id)
        return
    if twin.metadata.get("status") == "deprecated" and not twin.content_hash:
        return  # retired by an earlier scan already
    twin.metadata = {**twin.metadata, "status": "deprecated"}
    twin.status = "deprecated"
    twin.content_hash = ""  # so the file, should it return unchanged, is parsed and restores the twin
    twin.updated_at = plan.now
    if old_state["metadata"] == twin.metadata:
        plan.quiet_twins.append(twin)  # its file already declared it deprecated
    else:
        twin.revision += 1
        plan.command(twin, source, UpdateCmd.Kind.DEPRECATE, old_state, {**old_state, "metadata": twin.metadata})
        plan.changed_twins.append(twin)
    plan.drafts.append(events.EventDraft(twin.tenant, events.TWIN_DELETE,
                                         {**payload, "deleted": False, "status": "deprecated"}))
    plan.report.deprecated.append(twin.id)


def _claims(
    scan_: Scan, by_file: dict[str, ScannedFile], path: str, twin_id: str
) -> bool:
    """Does the file at `path` (a twin's registered source) still claim `twin_id`?"""
    f = by_file.get(path)
    if f is None:
        # Outside the scanned roots we cannot tell; a file that exists keeps its twin.
        return not any(path.startswith(r + os.sep) for r in scan_.roots) and os.path.exists(path)
    if f.parsed is None or not f.parsed.ok:
        return True  # unchanged, or broken: its twin keeps the last good version
    return f.parsed.spec.id == twin_id


def _resolve_claims(
    scan_: Scan, twins: dict[str, Twin], by_file: dict[str, ScannedFile]
) -> tuple[list[tuple[ScannedFile, Twin | None]], dict[str, list[tuple[int, int, str]]]]:
    """Pick the one file that defines each id; the others get a conflict error."""
    candidates: dict[str, list[ScannedFile]] = defaultdict(list)
    for f in scan_.files:
        if f.parsed is not None and f.parsed.ok:
            candidates[f.parsed.spec.id].append(f)
    winners: list[tuple[ScannedFile, Twin | None]] = []
    conflicts: dict[str, list[tuple[int, int, str]]] = {}
    for twin_id, files in candidates.items():
        existing = twins.get(twin_id)
        if existing is not None and existing.source == Twin.Source.API:
            for f in files:
                conflicts[f.path] = [(1, 1, f"the id {twin_id!r} is already registered through the REST API; "
                                            "choose another id, or delete the API twin first")]
            continue
        owner = existing.source_path if existing is not None else ""
        paths = [f.path for f in files]
        if owner in paths:
            winner = owner
        elif owner and existing is not None and _claims(scan_, by_file, owner, twin_id):
            winner = owner  # an unchanged or broken file still holds the id
        else:
            winner = min(paths)
        for f in files:
            if f.path == winner:
                winners.append((f, existing))
            else:
                conflicts[f.path] = [(1, 1, f"duplicate id {twin_id!r}: {winner} already defines it and is kept; "
                                            "give this twin another id")]
    return winners, conflicts


def _write_errors(plan: _Plan, scan_: Scan, conflicts: dict[str, list[tuple[int, int, str]]]) -> None:
    """Replace the stored errors of every parsed or vanished file; emit spec.error where they changed."""
    current: dict[str, list[SpecFileError]] = defaultdict(list)
    for row in SpecFileError.objects.filter(_errors_under(scan_.roots)):
        current[row.path].append(row)
    seen = scan_.paths
    touched = {f.path: f for f in scan_.files if f.parsed is not None}
    paths = set(touched) | {p for p in current if p not in seen}
    new_rows: list[SpecFileError] = []
    stale: list[str] = []
    for path in sorted(paths):
        f = touched.get(path)
        rows = _error_rows(f, conflicts.get(path, [])) if f is not None else []
        old = {(r.line, r.column, r.message, r.kind) for r in current.get(path, [])}
        if old == {(r.line, r.column, r.message, r.kind) for r in rows}:
            continue
        stale.append(path)
        new_rows.extend(rows)
        ref = rows[0] if rows else current[path][0]
        plan.drafts.append(events.EventDraft(ref.tenant, events.SPEC_ERROR, {
            "path": path, "twin_id": ref.twin_id,
            "errors": [{"line": r.line, "column": r.column, "message": r.message} for r in rows],
        }))
    SpecFileError.objects.filter(path__in=stale).delete()
    SpecFileError.objects.bulk_create(new_rows)


def _error_rows(f: ScannedFile, conflicts: list[tuple[int, int, str]]) -> list[SpecFileError]:
    parsed = f.parsed
    common = {"path": f.path, "sha256": f.sha256, "tenant": parsed.declared_tenant, "twin_id": parsed.declared_id}
    rows = [SpecFileError(line=e.line, column=e.column, message=e.message, kind=SpecFileError.Kind.INVALID, **common)
            for e in parsed.errors]
    rows += [SpecFileError(line=line, column=col, message=msg, kind=SpecFileError.Kind.CONFLICT, **common)
             for line, col, msg in conflicts]
    return rows


def _dependency_warnings(plan: _Plan, winners: list[tuple[ScannedFile, Twin | None]]) -> None:
    wanted = {dep for f, _ in winners for deps in f.parsed.spec.dependencies.values() for dep in deps}
    if not wanted:
        return
    known = set(Twin.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    known |= {t.id for t in plan.new_twins}
    for f, _ in winners:
        for kind, deps in f.parsed.spec.dependencies.items():
            for dep in deps:
                if dep not in known:
                    plan.report.warnings.append(f"{f.path}: {f.parsed.spec.id} has a {kind} dependency on "
                                                f"{dep!r}, which is not registered")


def reconcile_scan(scan_: Scan, *, prune: bool = False, dry_run: bool = False) -> ScanReport:
    """Apply one scan to the registry in one transaction and report what changed."""
    report = ScanReport(files=len(scan_.files), dry_run=dry_run)
    with transaction.atomic():
        _lock()
        by_file = {f.path: f for f in scan_.files}
        owned = dict(Twin.objects.filter(_under(scan_.roots), source=Twin.Source.FILE).values_list("source_path", "id"))
        claimed_ids = {f.parsed.spec.id for f in scan_.files if f.parsed is not None and f.parsed.ok}
        released = {twin_id for path, twin_id in owned.items() if not _claims(scan_, by_file, path, twin_id)}
        twins = {t.id: t for t in Twin.objects.select_related("ui").filter(pk__in=claimed_ids | released)}
        plan = _Plan(report)
        winners, conflicts = _resolve_claims(scan_, twins, by_file)
        for f, existing in winners:
            _apply_spec(plan, f, f.parsed.spec, existing)
        reclaimed = {f.parsed.spec.id for f, _ in winners}
        for twin_id in sorted(released - reclaimed):
            reason = "file removed" if twins[twin_id].source_path not in by_file else "file now defines another id"
            _retire(plan, twins[twin_id], reason, prune)
        report.unchanged += sum(1 for f in scan_.files if f.parsed is None)
        _dependency_warnings(plan, winners)
        _write_errors(plan, scan_, conflicts)
        plan.flush()
        report.errors = [SpecError(e.path, e.line, e.column, e.message)
                         for e in SpecFileError.objects.filter(_errors_under(scan_.roots))]
        if dry_run:
            transaction.set_rollback(True)
        else:  # the portal's Scanner badge; not an event, so a no-op rescan stays silent
            ScanStatus.objects.update_or_create(pk=1, defaults={
                "finished_at": timezone.now(), "files": report.files, "errors": len(report.errors),
                "changed": report.changed})
    return report


def scan_roots(
    roots: Sequence[str] | None = None,
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ScanReport:
    """Scan the configured twin roots and reconcile them: what the command, the watcher and start-up run."""
    roots = [os.path.abspath(r) for r in (roots if roots is not None else settings.DTP_TWINS_ROOTS)]
    found = scan(roots, known_hashes(roots), max_bytes=settings.DTP_SPEC_MAX_BYTES, progress=progress)
    return reconcile_scan(found, prune=prune, dry_run=dry_run)


def update_runtime(twin_id: str, changes: Mapping[str, Any], *, source: str) -> tuple[Twin, list[str]]:
    """Merge runtime fields into a twin (a None value removes the key).

    Runtime fields belong to running systems, not to the twin's file, so this
    works for file-defined twins too. Returns the twin and the runtime keys
    that changed; with none, nothing is written and no event is emitted.
    Raises Twin.DoesNotExist for an unknown id.
    """
    with transaction.atomic():
        _lock()
        twin = Twin.objects.select_related("ui").get(pk=twin_id)
        runtime = dict(twin.runtime)
        for key, value in changes.items():
            if value is None:
                runtime.pop(key, None)
            else:
                runtime[key] = value
        changed = sorted(k for k in set(runtime) | set(twin.runtime) if runtime.get(k) != twin.runtime.get(k))
        if not changed:
            return twin, []
        card = getattr(twin, "ui", None)
        old_state = twin_state(twin, card)
        twin.runtime = runtime
        twin.status = effective_status(twin.metadata, runtime)
        twin.revision += 1
        twin.save(update_fields=["runtime", "status", "revision", "updated_at"])
        plan = _Plan(ScanReport())
        plan.command(twin, source, UpdateCmd.Kind.RUNTIME, old_state, twin_state(twin, card))
        UpdateCmd.objects.bulk_create(plan.cmds)
        payload = {"action": "runtime", "changed": ["runtime"], "runtime_changed": changed,
                   "twin": twin_payload(twin, card, twin.streams.order_by("id"))}
        events.append([events.EventDraft(twin.tenant, events.TWIN_UPDATE, payload)])
    return twin, changed
