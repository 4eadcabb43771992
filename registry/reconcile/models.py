"""Reconcile the DTDL model files into DtdlModel rows, inside the twin scan's transaction.

Every model file under the model roots is parsed with the others as one
model set (registry.model_set). Interfaces that are new are created, those
whose file is gone are removed, and a changed Interface under a registered
DTMI is refused (bump the version). A broken file keeps its last good
Interfaces, marked invalid, and its errors go to SpecFileError like a broken
twin.yaml's. Each change appends a `model.update` PortalEvent in the same
transaction.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import events
from ..model_files import ModelFile
from ..model_set import ModelInfo, canonical_hash, parse_model_set
from ..models import DtdlModel, SpecFileError
from ..spec import SpecError
from .core import _Plan, _under

__all__ = ["MODEL_UPDATE", "ModelsResult", "reconcile_models", "stored_model_infos", "fingerprint"]

MODEL_UPDATE = "model.update"


@dataclass
class ModelsResult:
    """What the twin check needs from the model pass, and what it changed."""

    models: dict[str, ModelInfo] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def fingerprint(files: Sequence[ModelFile]) -> str:
    """One hash of every model file's path and content: when it moves, typed twins are checked again."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        digest.update(f"{f.path}\0{f.sha256}\0{f.unreadable}\n".encode())
    return digest.hexdigest()


def stored_model_infos() -> dict[str, ModelInfo]:
    """The registered models as ModelInfo, for checks made without parsing (the REST API, the export)."""
    return {m.dtmi: _info(m) for m in DtdlModel.objects.all()}


def _info(row: DtdlModel) -> ModelInfo:
    return ModelInfo(row.dtmi, row.display_name, row.description, tuple(row.extends), tuple(row.ancestors),
                     tuple(row.contents), row.document, row.source_path)


def reconcile_models(plan: _Plan, roots: Sequence[str], files: Sequence[ModelFile]) -> ModelsResult:
    """Bring DtdlModel in step with `files` (everything under `roots`); call inside the scan's transaction."""
    rows = {m.dtmi: m for m in DtdlModel.objects.all()}
    inside = {dtmi for dtmi, m in DtdlModel.objects.filter(_under(roots)).values_list("dtmi", "source_path")}
    last_good: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for dtmi in sorted(inside):
        last_good[rows[dtmi].source_path].append(rows[dtmi].document)
    fixed = [(m.source_path, m.document) for dtmi, m in rows.items() if dtmi not in inside]
    parsed = parse_model_set(files, last_good, {d: m.content_hash for d, m in rows.items()}, fixed)
    result = ModelsResult(models=parsed.models)
    by_path = {f.path: f for f in files}
    top = {d: info for d, info in parsed.models.items() if info.document is not None and info.source_path}
    for dtmi, info in sorted(top.items()):
        if info.source_path not in by_path and dtmi not in inside:
            continue  # a model outside the scanned roots: not ours to change
        how = parsed.used.get(info.source_path, "file")
        status = DtdlModel.Status.ACTIVE if how == "file" else DtdlModel.Status.INVALID
        _upsert(plan, result, rows.get(dtmi), info, status, by_path.get(info.source_path))
    for dtmi in sorted(inside - set(top)):
        row = rows[dtmi]
        row.delete()
        result.removed.append(dtmi)
        plan.drafts.append(events.EventDraft("", MODEL_UPDATE, {"action": "removed", "dtmi": dtmi,
                                                                "source_path": row.source_path}))
    from alarms.model_rules import reconcile_rules_files  # *.rules.yaml beside the models (docs/alarms.md)

    rule_errors = reconcile_rules_files(plan, roots, _under(roots, "path"))
    _write_model_errors(plan, roots, files, {**parsed.errors, **rule_errors})
    return result


def _upsert(plan: _Plan, result: ModelsResult, row: DtdlModel | None, info: ModelInfo, status: str,
            f: ModelFile | None) -> None:
    values = {"display_name": info.display_name[:512], "description": info.description,
              "source_path": info.source_path, "document": info.document, "extends": list(info.extends),
              "ancestors": list(info.ancestors), "contents": list(info.contents),
              "content_hash": canonical_hash(info.document), "status": status}
    if status == DtdlModel.Status.ACTIVE and f is not None:
        values["file_hash"] = f.sha256
    if row is None:
        DtdlModel.objects.create(dtmi=info.dtmi, **values)
        result.created.append(info.dtmi)
        action = "created"
    else:
        if all(getattr(row, k) == v for k, v in values.items()):
            return
        DtdlModel.objects.filter(pk=row.pk).update(updated_at=plan.now, **values)
        result.updated.append(info.dtmi)
        action = "invalid" if status == DtdlModel.Status.INVALID else "updated"
    plan.drafts.append(events.EventDraft("", MODEL_UPDATE, {
        "action": action, "dtmi": info.dtmi, "source_path": info.source_path, "status": status,
        "display_name": info.display_name}))


def _write_model_errors(plan: _Plan, roots: Sequence[str], files: Sequence[ModelFile],
                        errors: dict[str, list[SpecError]]) -> None:
    """Replace the stored errors of model files; a spec.error event for each file whose errors changed."""
    current: dict[str, set[tuple[int, int, str]]] = defaultdict(set)
    for row in SpecFileError.objects.filter(_under(roots, "path")):
        current[row.path].add((row.line, row.column, row.message))
    shas = {f.path: f.sha256 for f in files}
    stale, new_rows = [], []
    for path in sorted(set(current) | set(errors)):
        found = sorted({(e.line, e.column, e.message) for e in errors.get(path, [])})
        if set(found) == current.get(path, set()):
            continue
        stale.append(path)
        new_rows += [SpecFileError(path=path, line=line, column=column, message=message, sha256=shas.get(path, ""),
                                   kind=SpecFileError.Kind.INVALID) for line, column, message in found]
        plan.drafts.append(events.EventDraft("", events.SPEC_ERROR, {
            "path": path, "twin_id": "",
            "errors": [{"line": line, "column": column, "message": message} for line, column, message in found]}))
    SpecFileError.objects.filter(path__in=stale).delete()
    SpecFileError.objects.bulk_create(new_rows)
