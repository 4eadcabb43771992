"""REST views: thin. Scoping comes from registry.selectors, writes from registry.reconcile.api."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import JsonResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, filters, generics, permissions, status
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenancy.access import Access, access_for
from tenancy.models import ApiToken, Role
from tenancy.permissions import ReadsOrWritesAllowed

from .. import selectors
from ..models import Service, Twin
from ..reconcile import api as writes
from ..spec import twin_schema, validate_document
from ..values import quote
from . import schema as _schema  # noqa: F401  (registers the OpenAPI auth extension)
from . import serializers as s
from .errors import Conflict, FieldErrors, PreconditionFailed
from .filtersets import TwinFilterSet
from .params import StrictCursor, bool_param, check_query, int_param, time_param
from .renderers import FastJSONRenderer


class ScopedView(APIView):
    permission_classes = [ReadsOrWritesAllowed]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        check_query(request)

    def access(self) -> Access:
        if not hasattr(self, "_access"):
            token = self.request.auth if isinstance(self.request.auth, ApiToken) else None
            # A token's grants were read (or remembered, tenancy.authcache) when it was checked.
            remembered = getattr(self.request, "token_access", None) if token is not None else None
            if remembered is not None:
                self._access = remembered
            else:
                self._access = access_for(self.request.user, read_only=bool(token and token.read_only),
                                          demo=settings.DTP_DEMO_MODE)
        return self._access

    def actor(self) -> str:
        return f"api:{self.request.user.get_username()}"

    def require(self, role: Role, tenant: str, twin_id: str = "") -> None:
        if not self.access().can(role, tenant, twin_id):
            raise exceptions.PermissionDenied(f"This needs the {role.value} role on tenant {tenant!r}.")


class IdCursor(StrictCursor):
    ordering = "id"


class NewestFirst(IdCursor):
    ordering = "-id"


_ETAG = re.compile(r'^(?:W/)?"([0-9]{1,18})"$')


def expected_revision(request: Request) -> int | None:
    """The revision an If-Match header names; None when there is none (or it is *)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    match = _ETAG.match(header)
    if not match:
        raise FieldErrors([{"field": "If-Match", "message": 'If-Match must be an ETag this API sent, such as "3", '
                                                            f"or *; got {quote(header)}"}])
    return int(match.group(1))


def with_etag(response: Response, revision: int) -> Response:
    response["ETag"] = f'"{revision}"'
    return response


# Twin bodies are the API's largest: written by orjson (same JSON), the browsable API kept.
TWIN_RENDERERS = [FastJSONRenderer, BrowsableAPIRenderer]


def twin_response(view: ScopedView, twin_id: str, code: int = status.HTTP_200_OK) -> Response:
    document = selectors.twin_document(view.access(), twin_id)  # one query, the shape of s.TwinDetailOut
    return with_etag(Response(document, status=code), document["revision"])


@extend_schema_view(
    get=extend_schema(summary="List twins", responses=s.TwinOut(many=True)),
    post=extend_schema(summary="Register a twin", request=OpenApiTypes.OBJECT, responses={201: s.TwinDetailOut}),
)
class TwinListView(ScopedView, generics.GenericAPIView):
    renderer_classes = TWIN_RENDERERS
    serializer_class = s.TwinOut
    pagination_class = IdCursor
    filterset_class = TwinFilterSet
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    ordering_fields = ["id", "name", "tenant", "status", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.twin_rows(self.access())

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))  # one query: plain rows
        return self.get_paginated_response(selectors.twin_documents(page))  # the shape of s.TwinOut

    def post(self, request: Request) -> Response:
        spec = validate_document(request.data)
        if isinstance(spec, list):
            raise FieldErrors([{"field": e.field, "message": e.message} for e in spec])
        self.require(Role.ADMIN, spec.tenant)
        try:
            twin = writes.register_twin(spec, actor=self.actor())
        except writes.AlreadyExists as exc:
            raise Conflict(str(exc)) from None
        except writes.UnknownTenant as exc:
            raise FieldErrors([{"field": "tenant", "message": str(exc)}]) from None
        return twin_response(self, twin.id, status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="One twin with its streams, card, dependencies and dependents",
                      responses=s.TwinDetailOut),
    patch=extend_schema(summary="Change a twin", request=s.TwinPatchIn, responses=s.TwinDetailOut,
                        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)]),
    delete=extend_schema(summary="Deprecate (?soft=true) or delete a twin", responses={204: None},
                         parameters=[OpenApiParameter("soft", bool),
                                     OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)]),
)
class TwinDetailView(ScopedView):
    renderer_classes = TWIN_RENDERERS
    def get(self, request: Request, twin_id: str) -> Response:
        return twin_response(self, twin_id)

    def patch(self, request: Request, twin_id: str) -> Response:
        twin = selectors.twin_for(self.access(), twin_id)
        body = s.TwinPatchIn(data=request.data)
        body.is_valid(raise_exception=True)
        fields = {k: v for k, v in body.validated_data.items() if k in writes.SPEC_FIELDS}
        runtime = dict(body.validated_data.get("runtime", {}))
        runtime.update({k: body.validated_data[k] for k in ("status", "health") if k in body.validated_data})
        self.require(Role.ADMIN if fields else Role.OPERATOR, twin.tenant, twin.id)
        try:
            writes.patch_twin(twin.id, fields=fields, runtime=runtime, actor=self.actor(),
                              expected_revision=expected_revision(request))
        except writes.FileOwned as exc:
            raise _file_owned(exc) from None
        except writes.InvalidTwin as exc:
            raise FieldErrors([{"field": e.field, "message": e.message} for e in exc.errors]) from None
        except writes.StaleRevision as exc:
            raise PreconditionFailed(str(exc)) from None
        return twin_response(self, twin.id)

    def delete(self, request: Request, twin_id: str) -> Response:
        twin = selectors.twin_for(self.access(), twin_id)
        self.require(Role.ADMIN, twin.tenant, twin.id)
        soft = bool_param(request, "soft")
        try:
            writes.delete_twin(twin.id, soft=soft, actor=self.actor(), expected_revision=expected_revision(request))
        except writes.FileOwned as exc:
            raise _file_owned(exc) from None
        except writes.StaleRevision as exc:
            raise PreconditionFailed(str(exc)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def _file_owned(exc: writes.FileOwned) -> Conflict:
    conflict = Conflict(str(exc))
    conflict.extra = {"source_path": exc.path, "fields": exc.fields}
    return conflict


@extend_schema(summary="A twin's change history, newest first; ?at=<time> gives the twin as it was then",
               parameters=[OpenApiParameter("at", OpenApiTypes.DATETIME)], responses=s.HistoryOut(many=True))
class TwinHistoryView(ScopedView, generics.GenericAPIView):
    pagination_class = NewestFirst
    serializer_class = s.HistoryOut

    def get(self, request: Request, twin_id: str) -> Response:
        twin = selectors.twin_for(self.access(), twin_id)
        if "at" in request.query_params:
            return self._at(twin, time_param(request, "at"))
        page = self.paginate_queryset(selectors.history_of(twin))
        return self.get_paginated_response(s.HistoryOut(page, many=True).data)

    def _at(self, twin: Twin, when: datetime) -> Response:
        found = selectors.twin_at(twin, when)
        if found is None:
            raise exceptions.NotFound(f"Twin {twin.id!r} did not exist at {when.isoformat()}.")
        state, revision = found
        return Response(s.TwinAtOut({"at": when, "revision": revision, "twin": state}).data)


class ServiceView(ScopedView, generics.GenericAPIView):
    pagination_class = IdCursor
    serializer_class = s.ServiceOut

    def _require_service_role(self, tenant: str) -> None:
        if tenant:
            self.require(Role.OPERATOR, tenant)
        elif not self.access().is_staff_wide:
            raise exceptions.PermissionDenied("Platform services (no tenant) are registered by staff.")


@extend_schema_view(
    get=extend_schema(summary="List services", responses=s.ServiceOut(many=True)),
    post=extend_schema(summary="Register a service", request=s.ServiceIn, responses={201: s.ServiceOut}),
)
class ServiceListView(ServiceView):
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.services_for(self.access()))
        return self.get_paginated_response(s.ServiceOut(page, many=True).data)

    def post(self, request: Request) -> Response:
        body = s.ServiceIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self._require_service_role(data["tenant"])
        service_id = data.get("id") or f"{data['category']}-{secrets.token_hex(4)}"
        try:
            service = writes.register_service(service_id=service_id, category=data["category"],
                                              tenant=data["tenant"], interfaces=data["interfaces"],
                                              health=data["health"], actor=self.actor())
        except writes.AlreadyExists as exc:
            raise Conflict(str(exc)) from None
        except writes.UnknownTenant as exc:
            raise FieldErrors([{"field": "tenant", "message": str(exc)}]) from None
        return with_etag(Response(s.ServiceOut(service).data, status=status.HTTP_201_CREATED), service.revision)


@extend_schema_view(
    get=extend_schema(summary="One service", responses=s.ServiceOut),
    patch=extend_schema(summary="Change a service (a health change emits service.update)",
                        request=s.ServicePatchIn, responses=s.ServiceOut,
                        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)]),
)
class ServiceDetailView(ServiceView):
    def get(self, request: Request, service_id: str) -> Response:
        service = self._service(service_id)
        return with_etag(Response(s.ServiceOut(service).data), service.revision)

    def patch(self, request: Request, service_id: str) -> Response:
        service = self._service(service_id)
        body = s.ServicePatchIn(data=request.data)
        body.is_valid(raise_exception=True)
        self._require_service_role(service.tenant)
        try:
            service, _ = writes.update_service(service.id, body.validated_data, actor=self.actor(),
                                               expected_revision=expected_revision(request))
        except writes.StaleRevision as exc:
            raise PreconditionFailed(str(exc)) from None
        return with_etag(Response(s.ServiceOut(service).data), service.revision)

    def _service(self, service_id: str) -> Service:
        try:
            return selectors.services_for(self.access()).get(pk=service_id)
        except Service.DoesNotExist:
            raise exceptions.NotFound("No such resource, or not one you may see.") from None


@extend_schema(summary="The portal event log, for clients that poll instead of streaming",
               parameters=[OpenApiParameter("since", int), OpenApiParameter("tenant", str),
                           OpenApiParameter("limit", int)], responses=s.EventPageOut)
class PortalEventsView(ScopedView):
    def get(self, request: Request) -> Response:
        since = int_param(request, "since", 0, 0, 2**62)
        limit = int_param(request, "limit", 100, 1, 1000)
        tenants = [t for t in request.query_params.get("tenant", "").split(",") if t]
        rows = list(selectors.events_for(self.access(), since=since, tenants=tenants)[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return Response(s.EventPageOut({"events": rows, "last_id": rows[-1].id if rows else since,
                                        "more": more}).data)


@extend_schema(summary="Broken twin.yaml files, with file, line and message", responses=s.SpecErrorOut(many=True))
class SpecErrorsView(ScopedView, generics.GenericAPIView):
    pagination_class = IdCursor
    serializer_class = s.SpecErrorOut

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.spec_errors_for(self.access()))
        return self.get_paginated_response(s.SpecErrorOut(page, many=True).data)


@extend_schema(exclude=True)
class TwinSchemaView(APIView):
    """The twin JSON Schema, for editors and CI; public, as it holds no data."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> JsonResponse:
        return JsonResponse(twin_schema(), content_type="application/schema+json")
