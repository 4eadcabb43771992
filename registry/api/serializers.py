"""Shapes of the API's bodies. Output is built by registry.documents (one builder for API and events);
these classes describe it for OpenAPI and check the shape of what clients send. Twins are read as
plain rows and built by registry.selectors.twin_documents; TwinOut and TwinDetailOut only describe them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..documents import service_payload
from ..spec import STATUSES
from .fields import StrictCharField, StrictRegexField

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
# A tenant slug, or "" for a platform service: the schema's pattern must admit its own default.
SLUG_OR_BLANK = r"^(?:[a-z0-9][a-z0-9-]{0,62})?$"
SERVICE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
HEALTH_STATES = ("ok", "degraded", "down", "unknown")


class StreamOut(serializers.Serializer):
    uri = serializers.CharField()
    kind = serializers.CharField()
    topic = serializers.CharField()
    signal = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    interval = serializers.FloatField(allow_null=True)


class CardOut(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    dtr_id = serializers.CharField(allow_blank=True)


class TwinOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    tenant = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    model = serializers.CharField(allow_blank=True, help_text="the DTDL Interface it names; see /api/registry/models")
    metadata = serializers.DictField()
    interfaces = serializers.DictField()
    dependencies = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    ui = CardOut()
    runtime = serializers.DictField(help_text="state set by running systems (liveness, last_seen, free keys); "
                                              "status and health have fields of their own")
    health = serializers.JSONField(allow_null=True, help_text="what a running system reports: "
                                                              "{status: ok|degraded|down|unknown, ...}, or null")
    status = serializers.CharField(help_text="the lifecycle: an operator's status if set, else metadata.status")
    source = serializers.ChoiceField(choices=["file", "api"])
    source_path = serializers.CharField(allow_blank=True)
    revision = serializers.IntegerField()
    streams = StreamOut(many=True)
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class DependentOut(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()


class TwinDetailOut(TwinOut):
    dependents = DependentOut(many=True)


class TwinIn(serializers.Serializer):
    """POST body: the twin.yaml schema as JSON (validated by registry.spec, like a file)."""

    def to_internal_value(self, data: Any) -> Any:
        return data


class TwinPatchIn(serializers.Serializer):
    """PATCH body. Spec fields replace the whole field; runtime fields are merged (null removes a key)."""

    name = StrictCharField(required=False)
    description = StrictCharField(required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)
    interfaces = serializers.DictField(required=False)
    dependencies = serializers.DictField(required=False)
    ui = serializers.DictField(required=False)
    status = serializers.ChoiceField(choices=STATUSES, required=False, allow_null=True,
                                     error_messages={"invalid_choice": f"must be one of {', '.join(STATUSES)}"})
    health = serializers.JSONField(required=False, allow_null=True,
                                   help_text="{status: ok|degraded|down|unknown, ...free keys}; null removes it")
    runtime = serializers.DictField(required=False,
                                    help_text="merged key by key (null removes a key); not status or health")

    def validate_health(self, value: Any) -> Any:
        if value is None:
            return None
        return HealthField().to_internal_value(value)

    def validate_runtime(self, value: dict[str, Any]) -> dict[str, Any]:
        lifted = sorted(k for k in value if k in ("status", "health"))
        if lifted:
            raise serializers.ValidationError(
                f"{' and '.join(lifted)} {'is' if len(lifted) == 1 else 'are'} not runtime keys; send "
                + " and ".join(f"the top-level `{k}`" for k in lifted))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        fixed = [k for k in unknown if k in ("id", "@id", "tenant")]
        if fixed:
            raise serializers.ValidationError({k: ["cannot be changed; register a new twin instead"] for k in fixed})
        if unknown:
            raise serializers.ValidationError({k: [f"unknown field; allowed: {', '.join(self.fields)}"]
                                               for k in unknown})
        if not attrs:
            raise serializers.ValidationError("the body changes nothing; send at least one field")
        return attrs


class HistoryOut(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField()
    kind = serializers.CharField()
    patch = serializers.ListField(child=serializers.DictField())
    revision = serializers.IntegerField()
    ts = serializers.DateTimeField()


class TwinAtOut(serializers.Serializer):
    at = serializers.DateTimeField()
    revision = serializers.IntegerField()
    twin = serializers.DictField()


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    etype = serializers.CharField()
    tenant = serializers.CharField(allow_blank=True)
    payload = serializers.DictField()
    created_at = serializers.DateTimeField()


class EventPageOut(serializers.Serializer):
    events = EventOut(many=True)
    last_id = serializers.IntegerField()
    more = serializers.BooleanField()


class SpecErrorOut(serializers.Serializer):
    path = serializers.CharField()
    line = serializers.IntegerField()
    column = serializers.IntegerField()
    message = serializers.CharField()
    kind = serializers.CharField()
    tenant = serializers.CharField(allow_blank=True)
    twin_id = serializers.CharField(allow_blank=True)


class HealthField(serializers.DictField):
    """{"status": ok|degraded|down|unknown, ...free keys}."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if value.get("status") not in HEALTH_STATES:
            raise serializers.ValidationError(f"status must be one of {', '.join(HEALTH_STATES)}")
        return value


class ServiceOut(serializers.Serializer):
    id = serializers.CharField()
    category = serializers.CharField()
    tenant = serializers.CharField(allow_blank=True)
    interfaces = serializers.DictField()
    health = serializers.DictField()
    revision = serializers.IntegerField()
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return service_payload(instance)


class ServiceIn(serializers.Serializer):
    id = StrictRegexField(SERVICE_ID, required=False, max_length=128)
    category = StrictRegexField(r"^[a-z][a-z0-9_-]{0,63}$", max_length=64)
    tenant = StrictRegexField(SLUG_OR_BLANK, required=False, allow_blank=True, default="")
    interfaces = serializers.DictField(required=False, default=dict)
    health = HealthField(required=False, default=lambda: {"status": "unknown"})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({k: [f"unknown field; allowed: {', '.join(self.fields)}"]
                                               for k in unknown})
        return attrs


class ServicePatchIn(ServiceIn):
    tenant = StrictRegexField(SLUG_OR_BLANK, required=False, allow_blank=True)
    category = StrictRegexField(r"^[a-z][a-z0-9_-]{0,63}$", max_length=64, required=False)
    interfaces = serializers.DictField(required=False)
    health = HealthField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        fixed = [k for k in ("id", "tenant") if k in self.initial_data]
        if fixed:
            raise serializers.ValidationError({k: ["cannot be changed"] for k in fixed})
        if not attrs:
            raise serializers.ValidationError("the body changes nothing; send at least one field")
        return attrs
