"""Portal pages and panels of DTDL models: the Models page, and the model panel of a twin page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from registry import model_selectors
from registry.models import Twin

from .model_panel import ModelRow
from .pages import render_page, scope_of, signed_in


@signed_in
def models_page(request: HttpRequest) -> HttpResponse:
    """Every model (they are shared), each with the twins of it the reader may see."""
    scope = scope_of(request)
    twins: dict[str, list[Twin]] = {}
    for twin in Twin.objects.visible_to(scope).exclude(model="").order_by("tenant", "name", "id"):
        twins.setdefault(twin.model, []).append(twin)
    rows = [ModelRow(m, twins.get(m.dtmi, [])) for m in model_selectors.models_all()]
    return render_page(request, "portal/models.html", {"rows": rows, "page": "models"})
