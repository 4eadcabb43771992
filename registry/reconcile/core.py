"""The machinery every reconcile entry shares: the lock, the write plan, create, update and retire."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from tenancy.services import ensure_tenants

from .. import bulk, events
from ..documents import effective_status, twin_payload, twin_state
from ..models import Dependency, Stream, Twin, TwinUI, UpdateCmd
from ..spec import SpecError, StreamSpec, TwinSpec

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
    # reconcile.models.ModelsResult of the model files scanned with the twins, if any were
    models: Any = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deprecated or self.deleted)


def _under(roots: Sequence[str], field: str = "source_path") -> Q:
    """Rows whose `field` is a path inside one of `roots`."""
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(**{f"{field}__startswith": root.rstrip(os.sep) + os.sep})
    return q


def _lock() -> None:
    """Serialise reconcilers across processes.

    SQLite is configured with transaction_mode IMMEDIATE, so its BEGIN already
    holds the database's write lock; PostgreSQL needs an advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


class _Plan:
    """Accumulates one transaction's writes so each table is written in bulk, once."""

    def __init__(self, report: ScanReport) -> None:
        self.report = report
        self.now = timezone.now()
        self.new_twins: list[Twin] = []
        self.changed_twins: list[Twin] = []
        self.quiet_twins: list[Twin] = []  # hash or path moved, document unchanged
        self.cards: list[TwinUI] = []
        self.spec_twins: dict[str, TwinSpec] = {}  # twins whose stream and dependency rows are rewritten
        self.deleted: list[Twin] = []
        self.cmds: list[tuple[Any, ...]] = []  # UpdateCmd rows, as _CMD_COLUMNS
        # twin id -> (its `rules:`, its `anomaly:`), stored by alarms.store (not in the document)
        self.rules: dict[str, tuple] = {}
        self.drafts: list[events.EventDraft] = []
        # (twin, action, changed top-level fields, extra payload keys) for each twin.update event
        self.payload_twins: list[tuple[Twin, str, list[str], dict[str, Any]]] = []

    def command(self, twin: Twin, source: str, kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        if old:
            patch = jsonpatch.make_patch(old, new).patch
        else:  # a creation: one "add" per field, what make_patch would find at a fraction of its cost
            patch = [{"op": "add", "path": "/" + key.replace("~", "~0").replace("/", "~1"), "value": value}
                     for key, value in new.items()]
        # Kept as JSON text until flush: the operations are several small objects each, the text one string.
        self.cmds.append((twin.id, source, kind, bulk.encode(patch), twin.revision, self.now))
        return sorted({op["path"].split("/")[1] for op in patch if op["path"].count("/") >= 1})

    def flush(self) -> None:
        """Write the plan, each table once; rows only ever inserted go as tuples (bulk.insert), not instances."""
        ensure_tenants(t.tenant for t in self.new_twins + self.changed_twins)
        bulk.insert(Twin, _TWIN_COLUMNS, ([getattr(t, c) for c in _TWIN_COLUMNS] for t in self.new_twins))
        Twin.objects.bulk_update(self.changed_twins + self.quiet_twins, _TWIN_FIELDS, batch_size=500)
        new = {t.id for t in self.new_twins}
        # A new twin has no card, streams or dependencies yet (they would need its row): plain inserts.
        bulk.insert(TwinUI, _CARD_COLUMNS, ((c.twin_id, c.name, c.ui_url, c.dtr_id)
                                            for c in self.cards if c.twin_id in new))
        TwinUI.objects.bulk_create([c for c in self.cards if c.twin_id not in new], update_conflicts=True,
                                   unique_fields=["twin"], update_fields=["name", "ui_url", "dtr_id"])
        rewritten = [twin_id for twin_id in self.spec_twins if twin_id not in new]
        if rewritten:
            Stream.objects.filter(twin_id__in=rewritten).delete()
            Dependency.objects.filter(twin_id__in=rewritten).delete()
        bulk.insert(Stream, _STREAM_COLUMNS, (
            (twin_id, s.kind, s.topic, s.uri, s.signal, s.unit, s.interval)
            for twin_id, spec in self.spec_twins.items() for s in spec.streams))
        bulk.insert(Dependency, ("twin_id", "target", "kind"), (
            (twin_id, target, kind) for twin_id, spec in self.spec_twins.items()
            for kind, targets in spec.dependencies.items() for target in targets))
        bulk.insert(UpdateCmd, _CMD_COLUMNS, self.cmds)
        from alarms.store import save_twin_rules  # the step after reconcile, in the same transaction

        save_twin_rules(self.rules, [t.pk for t in self.deleted], self.now)
        self._twin_events()
        Twin.objects.filter(pk__in=[t.pk for t in self.deleted]).delete()
        events.append(self.drafts)
        self.report.events += len(self.drafts)

    def _twin_events(self) -> None:
        """Build twin.update payloads after the rows are written, with their streams.

        The streams and cards this plan wrote are in memory; only the others are read back.
        """
        ids = [t.id for t, _, _, _ in self.payload_twins]
        cards = {c.twin_id: c for c in self.cards}
        # The streams just written are their specs' (the same values); the others are read back.
        streams: dict[str, list[Stream | StreamSpec]] = defaultdict(list, {
            i: list(self.spec_twins[i].streams) for i in ids if i in self.spec_twins})
        unread = [i for i in ids if i not in self.spec_twins]
        for s in Stream.objects.filter(twin_id__in=unread).order_by("id") if unread else ():
            streams[s.twin_id].append(s)
        missing = [i for i in ids if i not in cards]
        if missing:
            cards.update({c.twin_id: c for c in TwinUI.objects.filter(twin_id__in=missing)})
        for twin, action, changed, extra in self.payload_twins:
            payload = {"action": action, "changed": changed, **extra,
                       "twin": twin_payload(twin, cards.get(twin.id), streams[twin.id])}
            self.drafts.append(events.EventDraft(twin.tenant, events.TWIN_UPDATE, payload, twin.id))


_TWIN_COLUMNS = [f.attname for f in Twin._meta.concrete_fields]
_CARD_COLUMNS = ("twin_id", "name", "ui_url", "dtr_id")
_STREAM_COLUMNS = ("twin_id", "kind", "topic", "uri", "signal", "unit", "interval")
_CMD_COLUMNS = ("twin_id", "source", "kind", "patch", "revision", "ts")
_TWIN_FIELDS = ["name", "tenant", "description", "model", "metadata", "interfaces", "dependencies", "runtime", "status",
                "domains",
                "source", "source_path", "content_hash", "revision", "updated_at"]


def _card(twin_id: str, spec: TwinSpec) -> TwinUI:
    # Positional, in field order (twin, name, ui_url, dtr_id): Model.__init__'s fast path, thousands per scan.
    return TwinUI(twin_id, spec.ui["name"], spec.ui["url"], spec.ui["dtr_id"])


def _spec_fields(spec: TwinSpec, runtime: dict[str, Any]) -> dict[str, Any]:
    """The Twin columns that come from its spec (and, for the status, its runtime)."""
    return {"name": spec.name, "tenant": spec.tenant, "description": spec.description, "model": spec.model,
            "metadata": spec.metadata, "interfaces": spec.interfaces, "dependencies": spec.dependencies,
            "status": effective_status(spec.metadata, runtime),
            "domains": "".join(f"|{d}" for d in spec.metadata["domain"]) + "|" if spec.metadata["domain"] else ""}


def _set_spec_fields(twin: Twin, spec: TwinSpec) -> None:
    for name, value in _spec_fields(spec, twin.runtime).items():
        setattr(twin, name, value)


def _create(plan: _Plan, spec: TwinSpec, *, source: str, origin: str, path: str = "", sha: str = "") -> Twin:
    values = {"id": spec.id, "runtime": {}, "source": origin, "source_path": path, "content_hash": sha,
              "revision": 1, "created_at": plan.now, "updated_at": plan.now, **_spec_fields(spec, {})}
    twin = Twin(*(values[c] for c in _TWIN_COLUMNS))  # positional: Model.__init__'s fast path
    plan.rules[twin.id] = (spec.rules, spec.anomaly)
    plan.new_twins.append(twin)
    plan.cards.append(_card(twin.id, spec))
    plan.spec_twins[twin.id] = spec
    changed = plan.command(twin, source, UpdateCmd.Kind.CREATE, {}, {**spec.document(), "runtime": {}})
    plan.payload_twins.append((twin, "created", changed, {}))
    plan.report.created.append(twin.id)
    return twin


def _update(plan: _Plan, twin: Twin, spec: TwinSpec, *, source: str,
            runtime: dict[str, Any] | None = None) -> list[str]:
    """Move an existing twin to `spec` (and `runtime`, if given); returns the changed top-level fields."""
    old_state = twin_state(twin, getattr(twin, "ui", None))
    runtime = twin.runtime if runtime is None else runtime
    new_state = {**spec.document(), "runtime": runtime}
    twin.updated_at = plan.now
    plan.rules[twin.id] = (spec.rules, spec.anomaly)
    if old_state == new_state:
        plan.quiet_twins.append(twin)
        plan.report.unchanged += 1
        return []
    was_deprecated = twin.status == "deprecated"
    twin.runtime = runtime
    _set_spec_fields(twin, spec)
    twin.revision += 1
    plan.changed_twins.append(twin)
    plan.cards.append(_card(twin.id, spec))
    plan.spec_twins[twin.id] = spec
    changed = plan.command(twin, source, UpdateCmd.Kind.UPDATE, old_state, new_state)
    action = "restored" if was_deprecated and twin.status != "deprecated" else "updated"
    plan.payload_twins.append((twin, action, changed, {}))
    plan.report.updated.append(twin.id)
    return changed


def _retire(plan: _Plan, twin: Twin, reason: str, prune: bool, source: str = "") -> None:
    """Deprecate a twin (its file is gone, or it was soft-deleted), or delete it with prune."""
    old_state = twin_state(twin, getattr(twin, "ui", None))
    source = source or f"file:{twin.source_path}"
    payload = {"id": twin.id, "tenant": twin.tenant, "reason": reason, "source_path": twin.source_path}
    if prune:
        twin.revision += 1
        plan.command(twin, source, UpdateCmd.Kind.DELETE, old_state, {})
        plan.deleted.append(twin)
        plan.drafts.append(events.EventDraft(twin.tenant, events.TWIN_DELETE, {**payload, "deleted": True}, twin.id))
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
                                         {**payload, "deleted": False, "status": "deprecated"}, twin.id))
    plan.report.deprecated.append(twin.id)




def merge_runtime(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Runtime changes are merged key by key; a None value removes the key."""
    runtime = dict(current)
    for key, value in changes.items():
        if value is None:
            runtime.pop(key, None)
        else:
            runtime[key] = value
    return runtime


def _apply_runtime(plan: _Plan, twin: Twin, changes: dict[str, Any], *, source: str,
                   volatile: frozenset[str] = frozenset()) -> list[str]:
    """Merge runtime changes into a twin; returns the runtime keys that changed ([] when none).

    When every changed key is `volatile`, the twin is updated and announced (twin.update)
    without an UpdateCmd or a new revision.
    """
    runtime = merge_runtime(twin.runtime, changes)
    changed = sorted(k for k in set(runtime) | set(twin.runtime) if runtime.get(k) != twin.runtime.get(k))
    if not changed:
        return []
    if set(changed) <= volatile:
        twin.runtime = runtime
        plan.quiet_twins.append(twin)
        plan.payload_twins.append((twin, "runtime", ["runtime"], {"runtime_changed": changed}))
        return changed
    card = getattr(twin, "ui", None)
    old_state = twin_state(twin, card)
    twin.runtime = runtime
    twin.status = effective_status(twin.metadata, runtime)
    twin.revision += 1
    twin.updated_at = plan.now
    plan.changed_twins.append(twin)
    plan.command(twin, source, UpdateCmd.Kind.RUNTIME, old_state, twin_state(twin, card))
    plan.payload_twins.append((twin, "runtime", ["runtime"], {"runtime_changed": changed}))
    return changed
