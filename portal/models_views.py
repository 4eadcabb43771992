"""Portal pages and panels of DTDL models: the Models page, and the model panel of a twin page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from registry import model_selectors
from registry.models import Twin

from . import views
from .model_panel import ModelRow


@views.signed_in
def models_page(request: HttpRequest) -> HttpResponse:
    """Every model (they are shared), each with the twins of it the reader may see."""
    scope = views._scope(request)
    twins: dict[str, list[Twin]] = {}
    for twin in Twin.objects.visible_to(scope).exclude(model="").order_by("tenant", "name", "id"):
        twins.setdefault(twin.model, []).append(twin)
    rows = [ModelRow(m, twins.get(m.dtmi, [])) for m in model_selectors.models_all()]
    return views._page(request, "portal/models.html", {"rows": rows, "page": "models"})
