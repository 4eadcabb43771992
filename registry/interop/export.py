"""Read the twins an export covers, as the plain values registry.interop.adt turns into NDJSON."""

from __future__ import annotations

from collections.abc import Sequence

from ..documents import twin_state
from ..models import Twin
from .adt import ExportTwin

__all__ = ["export_twin", "export_twins"]


def export_twin(twin: Twin) -> ExportTwin:
    """One registered twin as the export sees it: its document without runtime state."""
    document = {k: v for k, v in twin_state(twin, getattr(twin, "ui", None)).items() if k != "runtime"}
    return ExportTwin(twin.id, twin.model, document, twin.status)


def export_twins(tenants: Sequence[str] | None = None) -> list[ExportTwin]:
    """Every twin, or those of `tenants`: the command line's --tenant is the operator's own choice."""
    twins = Twin.objects.select_related("ui").order_by("id")
    if tenants:
        twins = twins.filter(tenant__in=list(tenants))
    return [export_twin(t) for t in twins]
