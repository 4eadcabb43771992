"""REST views of DTDL models (shared by all tenants) and of a twin as an Azure digital twin.

Kept apart from views.py: models are read-only here (they change through
files under models/), and the twins listed with a model are scoped exactly
like the twin list.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from .. import model_selectors, selectors
from ..interop.adt import digital_twin
from ..interop.export import export_twin
from ..models import DtdlModel, Twin
from ..reconcile.models import stored_model_infos
from .params import StrictCursor
from .views import ScopedView

__all__ = ["ModelListView", "ModelDetailView", "TwinDtdlView"]


class ContentOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["Telemetry", "Property", "Command", "Relationship", "Component"])
    name = serializers.CharField()
    schema = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    semantic_type = serializers.CharField(allow_blank=True)
    target = serializers.CharField(allow_blank=True)
    writable = serializers.BooleanField()
    display_name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    defined_in = serializers.CharField(allow_blank=True, help_text="the DTMI of the Interface that declares it")


def model_summary(model: DtdlModel, twins: list[str]) -> dict[str, Any]:
    return {"dtmi": model.dtmi, "display_name": model.display_name, "description": model.description,
            "extends": model.extends, "ancestors": model.ancestors, "status": model.status,
            "source_path": model.source_path, "twins": twins, "updated_at": model.updated_at.isoformat()}


class ModelOut(serializers.Serializer):
    dtmi = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    extends = serializers.ListField(child=serializers.CharField())
    ancestors = serializers.ListField(child=serializers.CharField(), help_text="itself and all it extends")
    status = serializers.ChoiceField(choices=DtdlModel.Status.choices,
                                     help_text="invalid: its file is broken now; this is the last good version")
    source_path = serializers.CharField()
    twins = serializers.ListField(child=serializers.CharField(),
                                  help_text="ids of the twins you may see that name this model")
    updated_at = serializers.DateTimeField()


class ModelDetailOut(ModelOut):
    document = serializers.DictField(help_text="the Interface as written in its file")
    contents = ContentOut(many=True, help_text="all contents, inherited ones included")


class DigitalTwinOut(serializers.Serializer):
    _dtId = serializers.CharField(source="$dtId")
    _etag = serializers.CharField(source="$etag")
    _metadata = serializers.DictField(source="$metadata")


class ByDtmi(StrictCursor):
    ordering = "dtmi"


@extend_schema(summary="List DTDL models, each with the visible twins that name it", responses=ModelOut(many=True))
class ModelListView(ScopedView, generics.GenericAPIView):
    pagination_class = ByDtmi
    serializer_class = ModelOut

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(model_selectors.models_all())
        twins = model_selectors.twin_ids_by_model(self.access())
        return self.get_paginated_response([model_summary(m, twins.get(m.dtmi, [])) for m in page])


@extend_schema(summary="One DTDL model: the Interface as written and its expanded contents",
               responses=ModelDetailOut)
class ModelDetailView(ScopedView):
    def get(self, request: Request, dtmi: str) -> Response:
        try:
            model = model_selectors.model_get(dtmi)
        except DtdlModel.DoesNotExist:
            raise exceptions.NotFound(f"No model {dtmi!r} is registered; GET /api/registry/models lists them.")
        twins = [t.id for t in model_selectors.twins_of_model(self.access(), dtmi, exact=True)]
        return Response({**model_summary(model, twins), "document": model.document, "contents": model.contents})


@extend_schema(summary="The twin as an Azure Digital Twins digital twin ($dtId, $metadata.$model, properties)",
               responses=DigitalTwinOut)
class TwinDtdlView(ScopedView):
    def get(self, request: Request, twin_id: str) -> Response:
        try:
            twin = selectors.twin_for(self.access(), twin_id)
        except Twin.DoesNotExist:
            raise exceptions.NotFound(f"No twin {twin_id!r} that you may see.")
        body = digital_twin(export_twin(twin), stored_model_infos())
        return Response({"$dtId": body.pop("$dtId"), "$etag": f'W/"{twin.revision}"', **body})
