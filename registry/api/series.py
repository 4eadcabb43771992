"""GET /api/registry/twins/{id}/series: one signal of a twin over a time range, at the resolution that fits.

Thin: the twin is scoped by registry.selectors (another tenant's twin is a 404 like an unknown one),
the parameters are read strictly by params.py, and dataplane.rollups picks raw rows, the 1-minute or
the 1-hour rollup, whichever keeps the answer within max_points.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dataplane import rollups

from .. import selectors
from .errors import FieldErrors
from .params import int_param, time_param
from .views import ScopedView

__all__ = ["TwinSeriesView"]

DEFAULT_SPAN = timedelta(hours=24)
MAX_POINTS = 10_000


class PointOut(serializers.Serializer):
    time = serializers.DateTimeField(help_text="the observation's time, or the start of its bucket")
    count = serializers.IntegerField(help_text="observations the point stands for (1 for a raw row)")
    min = serializers.FloatField()
    max = serializers.FloatField()
    mean = serializers.FloatField()
    last = serializers.FloatField(help_text="the value at the latest time in the bucket")
    sum = serializers.FloatField(required=False, help_text="the bucket's total; only for an additive unit "
                                                           "(energy, volume, mass, counts: see docs/rollups.md)")


class SeriesOut(serializers.Serializer):
    twin = serializers.CharField()
    signal = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    resolution = serializers.ChoiceField(choices=list(rollups.RESOLUTIONS),
                                         help_text="raw rows, or 1-minute or 1-hour buckets")
    points = PointOut(many=True)


def _unit(twin_id: str, signal: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT unit FROM signal WHERE twin = %s AND name = %s", [twin_id, signal])
        row = cursor.fetchone()
    if row:
        return row[0]
    return ""


@extend_schema(
    summary="One signal of a twin over a time range, from raw rows or the 1-minute or 1-hour rollup",
    description="The finest resolution whose points in [from, to) number at most max_points answers. "
                "Rollup buckets that start before `from` but reach into the range are included.",
    parameters=[
        OpenApiParameter("signal", OpenApiTypes.STR, required=True, description="the signal's name"),
        OpenApiParameter("from", OpenApiTypes.DATETIME, description="start (inclusive); default to minus 24 h"),
        OpenApiParameter("to", OpenApiTypes.DATETIME, description="end (exclusive); default now"),
        OpenApiParameter("max_points", OpenApiTypes.INT, description=f"1 to {MAX_POINTS}; default 1000"),
    ],
    responses=SeriesOut,
)
class TwinSeriesView(ScopedView):
    def get(self, request: Request, twin_id: str) -> Response:
        twin = selectors.twin_for(self.access(), twin_id)
        signal = request.query_params.get("signal", "")
        if not signal:
            raise FieldErrors([{"field": "signal", "message": "signal is required: name one of the twin's signals, "
                                                                "e.g. ?signal=temperature"}])
        end = time_param(request, "to") if "to" in request.query_params else timezone.now()
        start = time_param(request, "from") if "from" in request.query_params else end - DEFAULT_SPAN
        if start >= end:
            raise FieldErrors([{"field": "from", "message": "from must be before to"}])
        max_points = int_param(request, "max_points", 1000, 1, MAX_POINTS)
        found = rollups.series(twin.id, signal, start, end, max_points)
        unit = _unit(twin.id, signal)
        additive = rollups.is_additive(unit)
        return Response({"twin": twin.id, "signal": signal, "unit": unit, "resolution": found.resolution,
                         "points": [p.as_json(additive) for p in found.points]})
