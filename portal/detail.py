"""The twin page: one visible twin with its graph, dependents, history, events and spec text.

Every read goes through registry.selectors (the API's reads): the twin, its
dependents (the indexed Dependency table), its history and its events.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from registry import selectors
from registry.models import PortalEvent, Twin
from registry.scanner import UnreadableFile, read_regular_file
from tenancy.access import Access

from .queries import Card, card_of

__all__ = ["TwinDetail", "HistoryEntry", "SpecText", "twin_detail", "twin_visible", "spec_text"]


@dataclass(frozen=True)
class HistoryEntry:
    ts: Any
    source: str
    kind: str
    revision: int
    fields: list[str]


@dataclass(frozen=True)
class Dependent:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class SpecText:
    text: str
    path: str  # "" for a twin created through the API (its spec is shown as JSON)
    language: str  # yaml | json
    note: str = ""  # why the file is not shown, or that it changed since it was registered


@dataclass(frozen=True)
class TwinDetail:
    twin: Twin
    card: Card
    streams: list[Any]
    static: list[tuple[str, bool]]  # (id, registered)
    dynamic: list[tuple[str, bool]]
    dependents: list[Dependent]
    events: list[PortalEvent]
    history: list[HistoryEntry]
    spec: SpecText


def twin_visible(twin_id: str, scope: Access) -> bool:
    """One indexed query: what a page that only needs the permission asks instead of twin_detail."""
    return Twin.objects.visible_to(scope).filter(pk=twin_id).exists()


def _history(twin: Twin, limit: int) -> list[HistoryEntry]:
    out = []
    for cmd in selectors.history_of(twin)[:limit]:
        paths = sorted({"/".join(op["path"].split("/")[1:3]) for op in cmd.patch if op.get("path")})
        out.append(HistoryEntry(cmd.ts, cmd.source, cmd.kind, cmd.revision, paths))
    return out


def _spec_json(twin: Twin) -> str:
    spec = {k: getattr(twin, k) for k in ("description", "metadata", "interfaces", "dependencies")}
    return json.dumps(spec, indent=2, ensure_ascii=False)


def spec_text(twin: Twin) -> SpecText:
    """The twin.yaml as written, read only through the scanner's guarded read (a regular file inside the
    twins roots, capped); the stored spec as JSON for API twins or when the file cannot be read."""
    if twin.source != Twin.Source.FILE or not twin.source_path:
        return SpecText(_spec_json(twin), "", "json")
    try:
        data = read_regular_file(twin.source_path, settings.DTP_TWINS_ROOTS, settings.DTP_SPEC_MAX_BYTES)
    except (UnreadableFile, OSError) as exc:
        return SpecText(_spec_json(twin), twin.source_path, "json", f"the file cannot be shown ({exc}); "
                                                                    "this is the registered spec")
    note = ""
    if twin.content_hash and hashlib.sha256(data).hexdigest() != twin.content_hash:
        note = "the file changed since it was registered; Spec errors says why if it was refused"
    return SpecText(data.decode("utf-8", errors="replace"), twin.source_path, "yaml", note)


def twin_detail(twin_id: str, scope: Access, limit: int = 30) -> TwinDetail | None:
    try:
        twin = selectors.twin_for(scope, twin_id)
    except Twin.DoesNotExist:
        return None
    deps = twin.dependencies or {}
    named = set(deps.get("static", [])) | set(deps.get("dynamic", []))
    # Only twins the viewer may see count as registered: another tenant's existing twin is drawn like a
    # missing one, so the graph never confirms that an id exists elsewhere.
    known = set(Twin.objects.visible_to(scope).filter(pk__in=named).values_list("id", flat=True))
    rows = selectors.dependents_of(scope, twin_id)
    names = dict(Twin.objects.filter(pk__in=[r["id"] for r in rows]).values_list("id", "name"))
    dependents = [Dependent(r["id"], names.get(r["id"], r["id"]), r["kind"]) for r in rows]
    events = list(selectors.events_for(scope, twin=twin_id).order_by("-id")[:limit])
    return TwinDetail(
        twin=twin, card=card_of(twin), streams=list(twin.streams.all()),
        static=[(d, d in known) for d in deps.get("static", [])],
        dynamic=[(d, d in known) for d in deps.get("dynamic", [])],
        dependents=dependents, events=events, history=_history(twin, limit), spec=spec_text(twin),
    )
