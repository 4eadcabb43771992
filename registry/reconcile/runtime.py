"""Runtime fields: what running systems (the API, the ingest service) set on a twin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

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
