"""Reconcile a scan of twin.yaml files: claims, duplicates, renames, removals and spec errors."""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import events
from ..model_check import check_twin
from ..model_files import ModelFile, model_roots_beside, read_model_files
from ..models import ScanStatus, SpecFileError, Twin
from ..scanner import Progress, Scan, ScannedFile, scan
from ..spec import SpecError, TwinSpec
from .core import ScanReport, _create, _lock, _Plan, _retire, _under, _update
from .models import ModelsResult, fingerprint, reconcile_models, stored_model_infos


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
        SpecFileError.objects.filter(_under(roots, "path"), kind=SpecFileError.Kind.INVALID).values_list("path", "sha256")
    )
    return known


def _apply_spec(plan: _Plan, f: ScannedFile, spec: TwinSpec, existing: Twin | None) -> None:
    source = f"file:{f.path}"
    if existing is None:
        _create(plan, spec, source=source, origin=Twin.Source.FILE, path=f.path, sha=f.sha256)
        return
    existing.source, existing.source_path, existing.content_hash = Twin.Source.FILE, f.path, f.sha256
    _update(plan, existing, spec, source=source)


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


def _write_errors(plan: _Plan, scan_: Scan, conflicts: dict[str, list[tuple[int, int, str]]],
                  misfits: dict[str, list[SpecError]] | None = None) -> None:
    """Replace the stored errors of every parsed or vanished file; emit spec.error where they changed."""
    current: dict[str, list[SpecFileError]] = defaultdict(list)
    for row in SpecFileError.objects.filter(_under(scan_.roots, "path")):
        current[row.path].append(row)
    seen = scan_.paths
    touched = {f.path: f for f in scan_.files if f.parsed is not None}
    paths = set(touched) | {p for p in current if p not in seen}
    new_rows: list[SpecFileError] = []
    stale: list[str] = []
    for path in sorted(paths):
        f = touched.get(path)
        rows = _error_rows(f, conflicts.get(path, []), (misfits or {}).get(path, [])) if f is not None else []
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


def _error_rows(f: ScannedFile, conflicts: list[tuple[int, int, str]],
                misfits: list[SpecError] = ()) -> list[SpecFileError]:
    parsed = f.parsed
    common = {"path": f.path, "sha256": f.sha256, "tenant": parsed.declared_tenant, "twin_id": parsed.declared_id}
    rows = [SpecFileError(line=e.line, column=e.column, message=e.message, kind=SpecFileError.Kind.INVALID, **common)
            for e in (*parsed.errors, *misfits)]
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


@dataclass(frozen=True)
class ModelPass:
    """The model files to reconcile with a twin scan: the roots they were read from and what they hold."""

    roots: tuple[str, ...]
    files: tuple[ModelFile, ...]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.files)


def _check_models(plan: _Plan, models: ModelsResult, winners: list[tuple[ScannedFile, Twin | None]]
                  ) -> tuple[list[tuple[ScannedFile, Twin | None]], dict[str, list[SpecError]]]:
    """Hold back typed twins that break their model; their files get the errors, their twins stay as they were."""
    typed = [(f, t) for f, t in winners if f.parsed.spec.model]
    if not typed:
        return winners, {}
    wanted = {dep for f, _ in typed for deps in f.parsed.spec.dependencies.values() for dep in deps}
    twin_models = dict(Twin.objects.filter(pk__in=wanted).exclude(model="").values_list("pk", "model"))
    twin_models.update({f.parsed.spec.id: f.parsed.spec.model for f, _ in winners if f.parsed.spec.model})
    misfits: dict[str, list[SpecError]] = {}
    for f, _ in typed:
        errors = check_twin(f.parsed.spec, f.path, f.parsed.places, models.models, twin_models)
        if errors:
            misfits[f.path] = errors
    return [(f, t) for f, t in winners if f.path not in misfits], misfits


def reconcile_scan(scan_: Scan, *, prune: bool = False, dry_run: bool = False,
                   models: ModelPass | None = None, partial: bool = False) -> ScanReport:
    """Apply one scan (and its model files) to the registry in one transaction and report what changed.

    Without `models`, the registered models stay as they are and typed twins are checked against them.
    `partial`: the scan covers a few folders (the watcher's), so the badge keeps the whole tree's counts.
    """
    report = ScanReport(files=len(scan_.files), dry_run=dry_run)
    with transaction.atomic():
        _lock()
        plan = _Plan(report)
        if models is not None:
            model_result = reconcile_models(plan, models.roots, models.files)
            report.models = model_result
        else:
            model_result = ModelsResult(models=stored_model_infos())
        by_file = {f.path: f for f in scan_.files}
        owned = dict(Twin.objects.filter(_under(scan_.roots), source=Twin.Source.FILE).values_list("source_path", "id"))
        claimed_ids = {f.parsed.spec.id for f in scan_.files if f.parsed is not None and f.parsed.ok}
        released = {twin_id for path, twin_id in owned.items() if not _claims(scan_, by_file, path, twin_id)}
        twins = {t.id: t for t in Twin.objects.select_related("ui").filter(pk__in=claimed_ids | released)}
        winners, conflicts = _resolve_claims(scan_, twins, by_file)
        winners, misfits = _check_models(plan, model_result, winners)
        for f, existing in winners:
            _apply_spec(plan, f, f.parsed.spec, existing)
        reclaimed = {f.parsed.spec.id for f, _ in winners}
        for twin_id in sorted(released - reclaimed):
            reason = "file removed" if twins[twin_id].source_path not in by_file else "file now defines another id"
            _retire(plan, twins[twin_id], reason, prune)
        _dependency_warnings(plan, winners)
        _write_errors(plan, scan_, conflicts, misfits)
        plan.flush()
        error_roots = scan_.roots + (models.roots if models is not None else ())
        report.errors = [SpecError(e.path, e.line, e.column, e.message)
                         for e in SpecFileError.objects.filter(_under(error_roots, "path"))]
        failed = {e.path for e in report.errors}  # a broken file left as it was is an error, not "unchanged"
        report.unchanged += sum(1 for f in scan_.files if f.parsed is None and f.path not in failed)
        if dry_run:
            transaction.set_rollback(True)
        else:  # the portal's Scanner badge; not an event, so a no-op rescan stays silent
            status = {"finished_at": timezone.now(), "files": report.files, "errors": len(report.errors),
                      "changed": report.changed or bool(models is not None and model_result.changed)}
            if models is not None:
                status["models_fingerprint"] = models.fingerprint
            if partial:
                del status["files"], status["errors"]
            ScanStatus.objects.update_or_create(pk=1, defaults=status)
    return report


def model_roots_for(roots: Sequence[str] | None) -> list[str]:
    """DTP_MODELS_ROOTS for the configured twin roots; for roots given by hand, the `models` folders beside them."""
    if roots is None:
        return [os.path.abspath(r) for r in settings.DTP_MODELS_ROOTS]
    return model_roots_beside(roots)


def _recheck_typed(roots: Sequence[str], known: dict[str, str], models: ModelPass) -> dict[str, str]:
    """When the model files changed since the last scan, parse typed twins (and broken files) again."""
    last = ScanStatus.objects.filter(pk=1).values_list("models_fingerprint", flat=True).first()
    if last == models.fingerprint:
        return known
    again = set(Twin.objects.filter(_under(roots)).exclude(model="").values_list("source_path", flat=True))
    again |= set(SpecFileError.objects.filter(_under(roots, "path")).values_list("path", flat=True))
    return {path: sha for path, sha in known.items() if path not in again}


def scan_roots(
    roots: Sequence[str] | None = None,
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    model_roots: Sequence[str] | None = None,
) -> ScanReport:
    """Scan the twin and model roots and reconcile them: what the command, the watcher and start-up run."""
    if model_roots is None:
        model_roots = model_roots_for(roots)
    roots = [os.path.abspath(r) for r in (roots if roots is not None else settings.DTP_TWINS_ROOTS)]
    model_roots = [os.path.abspath(r) for r in model_roots]
    with _collector_paused():  # the scan's data is gone (freed as its frame ends) before the collector is back
        return _scan_and_reconcile(roots, model_roots, prune=prune, dry_run=dry_run, progress=progress)


def _scan_and_reconcile(roots: list[str], model_roots: list[str], *, prune: bool, dry_run: bool,
                        progress: Progress | None) -> ScanReport:
    models = ModelPass(tuple(model_roots), tuple(read_model_files(model_roots)))
    known = _recheck_typed(roots, known_hashes(roots), models)
    found = scan(roots, known, max_bytes=settings.DTP_SPEC_MAX_BYTES, progress=progress)
    return reconcile_scan(found, prune=prune, dry_run=dry_run, models=models)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector out of one scan.

    A scan holds every parsed file, row and event until its one transaction
    commits, so its full collections walk a heap that only grows and free
    nothing of it: a fifth of a 10,000-twin cold scan's time. Reference
    counting still frees whatever the scan lets go of; a cycle made meanwhile
    waits for the first collection after the scan, which then walks only
    what outlived the scan (so the scan's data must be dropped before).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


