"""Turn an Import Jobs file (or plain DTDL files) into model files and twin.yaml files for review.

Nothing existing is overwritten: a model whose DTMI a file under the models
roots already defines, and a twin whose folder already has a twin.yaml, are
skipped and reported. The twin documents are validated exactly as a twin.yaml
is, so what is written scans cleanly (model checks aside, which the next scan
makes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import dtdl

from ..model_check import DTDL_UNIT_SYMBOL
from ..model_files import read_model_files
from ..model_set import ModelInfo, interface_info
from ..spec import FieldError, validate_document
from .adt import GENERATED_MODEL, SPEC_PROPERTY, ImportFile

__all__ = ["ImportReport", "model_file_name", "twin_documents", "write_import"]

_TWIN_ID = re.compile(r"[^A-Za-z0-9._:-]+")
_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass
class ImportReport:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def model_file_name(dtmi: str) -> str:
    """dtmi:acme:building:Lift;1 -> acme/building/Lift.v1.json (a path under the models root)."""
    body, _, version = dtmi.removeprefix("dtmi:").partition(";")
    parts = body.split(":")
    return "/".join(parts[:-1] + [f"{parts[-1]}.v{version}.json"])


def _parse_models(models: Sequence[dict[str, Any]], existing: Sequence[Any]) -> dict[str, ModelInfo]:
    """Parse imported models with the registry's model files; DtdlError when they do not form a valid set."""
    model_set = dtdl.parse([*existing, *models])
    top = {m["@id"]: m for m in models if isinstance(m.get("@id"), str)}
    return {dtmi: interface_info(i, model_set.interfaces, top.get(dtmi)) for dtmi, i in model_set.interfaces.items()}


def _scaffold(twin: Mapping[str, Any], model: ModelInfo | None, tenant: str) -> dict[str, Any]:
    """A twin.yaml document from a twin's properties and its model's telemetry."""
    twin_id = _TWIN_ID.sub("-", str(twin["$dtId"]))[:128]
    own_tenant = twin.get("tenant")
    doc: dict[str, Any] = {"id": twin_id, "name": str(twin.get("name") or twin_id),
                           "tenant": own_tenant if isinstance(own_tenant, str) and _TENANT.match(own_tenant) else tenant}
    if model is not None:
        doc["model"] = model.dtmi
    if isinstance(twin.get("description"), str) and twin["description"]:
        doc["description"] = twin["description"]
    streams = []
    for content in (model.of_kind("Telemetry") if model else []):
        stream: dict[str, Any] = {"uri": f"mqtt://dtp/{doc['tenant']}/{twin_id}/{content['name']}",
                                  "signal": content["name"]}
        if content.get("unit"):
            stream["unit"] = DTDL_UNIT_SYMBOL.get(content["unit"], content["unit"])
        streams.append(stream)
    if streams:
        doc["interfaces"] = {"data_streams": streams}
    return doc


def twin_documents(imported: ImportFile, models: Mapping[str, ModelInfo], tenant: str) -> list[dict[str, Any]]:
    """One twin.yaml document per twin line: its twinSpec when it carries one, else scaffolded from its model."""
    documents: dict[str, dict[str, Any]] = {}
    for twin in imported.twins:
        if not isinstance(twin.get("$dtId"), str):
            continue
        dtmi = twin.get("$metadata", {}).get("$model", "")
        model = models.get(dtmi) if dtmi != GENERATED_MODEL else None
        doc = _scaffold(twin, model, tenant)
        spec = twin.get(SPEC_PROPERTY)
        if isinstance(spec, str):
            try:
                carried = json.loads(spec)
            except json.JSONDecodeError:
                carried = None
            if isinstance(carried, dict):
                doc = {**{k: doc[k] for k in ("id", "name", "tenant", "model", "description") if k in doc},
                       **{k: v for k, v in carried.items() if k not in ("id", "@id", "name", "tenant", "model")}}
        documents[twin["$dtId"]] = doc
    carriers = {t.get("$dtId") for t in imported.twins if isinstance(t.get(SPEC_PROPERTY), str)}
    for rel in imported.relationships:
        doc = documents.get(rel.get("$dtId"))
        if doc is None or rel.get("$dtId") in carriers:
            continue  # a twin that carries its spec has its dependencies in it
        kind = "dynamic" if rel.get("$relationshipName") == "dynamicDependency" else "static"
        deps = doc.setdefault("dependencies", {}).setdefault(kind, [])
        target = _TWIN_ID.sub("-", str(rel.get("$targetId", "")))
        if target and target not in deps and target != doc["id"]:
            deps.append(target)
    return list(documents.values())


def _header(source: str) -> str:
    return (f"# Imported by `manage.py dtdl import` from {source}.\n"
            "# Review it (topics, units, tenant) before committing.\n")


def write_import(imported: ImportFile, *, source: str, models_root: Path, twins_root: Path, tenant: str,
                 known_model_roots: Sequence[str]) -> ImportReport:
    """Write the models and twins of `imported` under the two roots; never overwrite a file."""
    report = ImportReport()
    existing_files = read_model_files([r for r in known_model_roots if Path(r).is_dir()])
    existing: list[Any] = [f.data for f in existing_files if not f.unreadable]
    defined: dict[str, str] = {}
    for f in existing_files:
        try:
            value = json.loads(f.data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, dict) and isinstance(element.get("@id"), str):
                defined[element["@id"]] = f.path
    new_models = [m for m in imported.models if m.get("@id") != GENERATED_MODEL and m.get("@id") not in defined]
    report.skipped += [f"model {m['@id']}: already defined by {defined[m['@id']]}"
                       for m in imported.models if m.get("@id") in defined]
    try:
        models = _parse_models(new_models, existing)
    except dtdl.DtdlError as exc:
        report.errors += [f"{source}: models: {issue.message}" + (f" (at {issue.pointer})" if issue.pointer else "")
                          for issue in exc.errors]
        return report
    documents = twin_documents(imported, models, tenant)
    problems = {d["id"]: validate_document(d) for d in documents}
    for twin_id, result in problems.items():
        if isinstance(result, list):
            report.errors += [f"{source}: twin {twin_id}: {e.field or 'the twin'}: {e.message}"
                              for e in result if isinstance(e, FieldError)]
    if report.errors:
        return report  # nothing is written from a file with errors
    for model in new_models:
        _write(models_root / model_file_name(model["@id"]), json.dumps(model, indent=2, ensure_ascii=False) + "\n",
               report, f"model {model['@id']}")
    for doc in documents:
        body = _header(source) + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
        _write(twins_root / doc["id"] / "twin.yaml", body, report, f"twin {doc['id']}")
    return report


def _write(path: Path, text: str, report: ImportReport, what: str) -> None:
    if path.exists():
        report.skipped.append(f"{what}: {path} exists, left as it is")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as fh:  # "x": a file that appeared meanwhile is not overwritten either
            fh.write(text)
    except FileExistsError:
        report.skipped.append(f"{what}: {path} exists, left as it is")
        return
    report.written.append(str(path))
