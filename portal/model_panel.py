"""A twin page's model panel, and the rows of the Models page: plain reads of registry.model_selectors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry import model_selectors
from registry.models import DtdlModel, Twin

__all__ = ["ModelRow", "model_panel"]


@dataclass(frozen=True)
class ModelRow:
    model: DtdlModel
    twins: list[Twin] = field(default_factory=list)

    @property
    def telemetry(self) -> list[dict[str, Any]]:
        """Telemetry first (what the twin streams), then properties; each in the model's order."""
        return ([c for c in self.model.contents if c["kind"] == "Telemetry"]
                + [c for c in self.model.contents if c["kind"] == "Property"])


def model_panel(twin: Twin) -> dict[str, Any] | None:
    """What a twin page shows of its model: the DTMI, and its telemetry and properties; None when untyped."""
    if not twin.model:
        return None
    try:
        model = model_selectors.model_get(twin.model)
    except DtdlModel.DoesNotExist:
        return {"dtmi": twin.model, "model": None, "contents": []}
    row = ModelRow(model)
    return {"dtmi": twin.model, "model": model, "contents": row.telemetry}
