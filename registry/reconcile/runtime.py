"""Runtime fields: what running systems (the API, the ingest service) set on a twin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .. import events
from ..documents import effective_status, twin_payload, twin_state
from ..models import Twin, UpdateCmd
from .core import ScanReport, _Plan, _lock

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
