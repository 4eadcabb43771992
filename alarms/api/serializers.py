"""Shapes of the alarm API's bodies. Output comes from alarms.payloads (the API, the stream and the
webhooks show one alarm alike); these classes describe it for OpenAPI and check what clients send."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from registry.api.fields import StrictCharField

from ..payloads import alarm_payload, incident_payload, transition_payload
from ..types import Severity, Status, TransitionKind


class AlarmOut(serializers.Serializer):
    id = serializers.IntegerField()
    twin = serializers.CharField()
    tenant = serializers.CharField()
    rule = serializers.CharField()
    rule_kind = serializers.CharField()
    source = serializers.CharField(help_text="rule: a platform rule; device: the twin's own alert")
    severity = serializers.ChoiceField(choices=Severity.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    acknowledged = serializers.BooleanField()
    acknowledged_by = serializers.CharField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True)
    cleared_by = serializers.CharField(allow_null=True)
    peak = serializers.FloatField(allow_null=True)
    last_value = serializers.FloatField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    incident = serializers.IntegerField(allow_null=True)
    details = serializers.DictField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return alarm_payload(instance)


class TransitionOut(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=TransitionKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    actor = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    value = serializers.FloatField(allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return transition_payload(instance)


class AlarmDetailOut(AlarmOut):
    history = TransitionOut(many=True, help_text="every transition, oldest first; comments are kind=comment")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        history = instance.transitions.order_by("at", "id")
        return {**alarm_payload(instance), "history": [transition_payload(t) for t in history]}


class IncidentOut(serializers.Serializer):
    id = serializers.IntegerField()
    tenant = serializers.CharField()
    status = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    probable_cause = serializers.CharField(help_text="the most upstream alarmed twin")
    alarms = serializers.ListField(child=serializers.IntegerField())

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return incident_payload(instance)


class IncidentDetailOut(IncidentOut):
    alarm_details = AlarmOut(many=True, help_text="the incident's alarms, as GET /api/alarms/{id} shows them")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {**incident_payload(instance),
                "alarm_details": [alarm_payload(a) for a in instance.alarms.order_by("started_at", "id")]}


class NoteIn(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")


class AssignIn(serializers.Serializer):
    assignee = StrictCharField(allow_null=True, max_length=150,
                               help_text="a user name with access to the alarm's twin; null unassigns")


class CommentIn(serializers.Serializer):
    text = StrictCharField(max_length=4000)
