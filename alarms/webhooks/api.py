"""REST views for webhook endpoints and their deliveries (mounted at /api/webhooks).

Tenant admins create, delete and redeliver; anyone with a tenant-wide grant reads. Another
tenant's endpoint is a 404, as everywhere in the API.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.errors import FieldErrors
from registry.api.fields import StrictCharField, StrictRegexField
from registry.api.params import StrictCursor
from registry.api.serializers import SLUG
from registry.api.views import ScopedView
from tenancy.models import Role, Tenant

from . import selectors, services
from .models import ALARM_EVENTS, SEVERITIES, WebhookDelivery, WebhookEndpoint
from .signing import secret_problem
from .targets import url_problem


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return super().to_internal_value(data)


class EndpointIn(serializers.Serializer):
    url = StrictCharField(max_length=2000, help_text="http(s) URL the deliveries are POSTed to")
    tenant = StrictRegexField(SLUG, max_length=63)
    events = serializers.ListField(child=StrictChoiceField(choices=ALARM_EVENTS), min_length=1, max_length=10)
    min_severity = StrictChoiceField(choices=SEVERITIES, default="warning")
    secret = StrictCharField(required=False, allow_blank=True, max_length=200,
                             help_text="whsec_<base64 of 24..64 bytes>; generated when absent")
    description = StrictCharField(required=False, allow_blank=True, max_length=200, default="")

    def validate_url(self, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise serializers.ValidationError(f"url {problem}")
        return value

    def validate_secret(self, value: str) -> str:
        problem = secret_problem(value) if value else ""
        if problem:
            raise serializers.ValidationError(f"secret {problem}")
        return value


class EndpointOut(serializers.Serializer):
    id = serializers.IntegerField()
    tenant = serializers.CharField()
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    events = serializers.ListField(child=serializers.CharField())
    min_severity = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_blank=True)

    def to_representation(self, instance: WebhookEndpoint) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["url"] = selectors.shown_url(self.context["access"], instance)
        return data


class CreatedEndpointOut(EndpointOut):
    secret = serializers.CharField(help_text="shown here once; keep it to verify signatures")


class AttemptOut(serializers.Serializer):
    number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.FloatField()
    error = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField()


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    msg_id = serializers.CharField(help_text="the webhook-id header, the same on every attempt")
    event_id = serializers.IntegerField()
    event_type = serializers.CharField()
    alarm = serializers.CharField(source="order_key")
    status = serializers.CharField()
    attempts = AttemptOut(many=True, source="attempt_rows.all")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)

    def to_representation(self, instance: WebhookDelivery) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.status != WebhookDelivery.Status.PENDING:
            data["next_attempt_at"] = None
        return data


class NewestFirst(StrictCursor):
    ordering = "-id"


class WebhookView(ScopedView, generics.GenericAPIView):
    pagination_class = NewestFirst

    def endpoint(self, endpoint_id: int) -> WebhookEndpoint:
        try:
            return selectors.endpoints_visible_to(self.access()).get(pk=endpoint_id)
        except WebhookEndpoint.DoesNotExist:
            raise exceptions.NotFound("No such resource, or not one you may see.") from None

    def out(self, endpoint: WebhookEndpoint) -> dict[str, Any]:
        return EndpointOut(endpoint, context={"access": self.access()}).data


@extend_schema_view(
    get=extend_schema(summary="List webhook endpoints", responses=EndpointOut(many=True)),
    post=extend_schema(summary="Register a webhook endpoint (tenant admins); the secret is shown once",
                       request=EndpointIn, responses={201: CreatedEndpointOut}),
)
class EndpointListView(WebhookView):
    serializer_class = EndpointOut

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.endpoints_visible_to(self.access()))
        return self.get_paginated_response(EndpointOut(page, many=True, context={"access": self.access()}).data)

    def post(self, request: Request) -> Response:
        body = EndpointIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.require(Role.ADMIN, data["tenant"])
        if not Tenant.objects.filter(slug=data["tenant"]).exists():
            raise FieldErrors([{"field": "tenant", "message": f"tenant {data['tenant']!r} does not exist"}])
        endpoint = services.create_endpoint(actor=self.actor(), **data)
        shown = CreatedEndpointOut(endpoint, context={"access": self.access()}).data
        return Response(shown, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="One webhook endpoint", responses=EndpointOut),
    delete=extend_schema(summary="Delete a webhook endpoint and its deliveries (tenant admins)",
                         responses={204: None}),
)
class EndpointDetailView(WebhookView):
    serializer_class = EndpointOut

    def get(self, request: Request, endpoint_id: int) -> Response:
        return Response(self.out(self.endpoint(endpoint_id)))

    def delete(self, request: Request, endpoint_id: int) -> Response:
        endpoint = self.endpoint(endpoint_id)
        self.require(Role.ADMIN, endpoint.tenant)
        services.delete_endpoint(endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(summary="An endpoint's deliveries, newest first, each with every attempt",
               responses=DeliveryOut(many=True))
class DeliveryListView(WebhookView):
    serializer_class = DeliveryOut

    def get(self, request: Request, endpoint_id: int) -> Response:
        page = self.paginate_queryset(selectors.deliveries_of(self.endpoint(endpoint_id)))
        return self.get_paginated_response(DeliveryOut(page, many=True).data)


@extend_schema(summary="Send a delivery again, now, with the same webhook-id (tenant admins)",
               request=None, responses={202: DeliveryOut})
class RedeliverView(WebhookView):
    serializer_class = DeliveryOut

    def post(self, request: Request, endpoint_id: int, delivery_id: int) -> Response:
        endpoint = self.endpoint(endpoint_id)
        try:
            delivery = selectors.deliveries_of(endpoint).get(pk=delivery_id)
        except WebhookDelivery.DoesNotExist:
            raise exceptions.NotFound("No such resource, or not one you may see.") from None
        self.require(Role.ADMIN, endpoint.tenant)
        delivery = services.redeliver(delivery)
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)
