"""Runtime fields: what running systems (the API, the ingest service) set on a twin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .. import events
from ..models import Twin
from .core import ScanReport, _apply_runtime, _lock, _Plan


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
        plan = _Plan(ScanReport())
        changed = _apply_runtime(plan, twin, dict(changes), source=source)
        plan.flush()
    return twin, changed


# Runtime keys that change too often to be history: kept current and announced
# (twin.update), but without an UpdateCmd or a new revision.
VOLATILE_KEYS = frozenset({"last_seen"})


def update_runtime_many(updates: Mapping[str, Mapping[str, Any]], *, source: str) -> list[str]:
    """Apply runtime changes to many twins in one transaction; returns the ids that changed.

    The ingest reports liveness for many twins at once. A change that touches
    only volatile keys (last_seen) updates the twin and emits twin.update
    without writing history; any other key goes through the normal runtime path.
    Unknown twin ids are skipped: a twin may have been deleted meanwhile.
    """
    if not updates:
        return []
    changed_ids: list[str] = []
    with transaction.atomic():
        _lock()
        twins = Twin.objects.select_related("ui").in_bulk(list(updates))
        plan = _Plan(ScanReport())
        for twin_id, changes in updates.items():
            twin = twins.get(twin_id)
            if twin is None:
                continue
            if _apply_runtime(plan, twin, dict(changes), source=source, volatile=VOLATILE_KEYS):
                changed_ids.append(twin_id)
        plan.flush()
    return changed_ids


def announce(drafts: list[events.EventDraft]) -> None:
    """Store events that come with no registry change (the ingest's alerts), under the registry's lock.

    Readers of the event log (the outbox tailer, the graph and blob projection) advance a cursor
    by id; taking the same lock as every other writer keeps ids committing in order, so no
    reader passes over an id that commits later.
    """
    with transaction.atomic():
        _lock()
        events.append(drafts)
