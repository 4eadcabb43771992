"""Alarm and incident list filters: ?tenant=&twin=&status=&severity=&rule=&acknowledged=&since=&until=."""

from __future__ import annotations

from datetime import datetime

import django_filters
from django.db.models import QuerySet

from registry.api.filtersets import CSVFilter
from registry.api.params import bool_param, time_param

from ..models import Alarm, Incident
from ..types import IncidentStatus, Severity, Status


class AlarmFilterSet(django_filters.FilterSet):
    tenant = CSVFilter(field_name="tenant", lookup_expr="in", help_text="one or more tenants, comma-separated")
    twin = CSVFilter(field_name="twin_id", lookup_expr="in", help_text="one or more twin ids, comma-separated")
    status = django_filters.ChoiceFilter(choices=Status.choices, help_text="active or cleared")
    severity = CSVFilter(field_name="severity", lookup_expr="in",
                         help_text="one or more of " + ", ".join(Severity.values) + ", comma-separated")
    rule = CSVFilter(field_name="rule", lookup_expr="in", help_text="one or more rule ids, comma-separated")
    acknowledged = django_filters.CharFilter(method="filter_acknowledged", help_text="true or false")
    since = django_filters.CharFilter(method="filter_since", help_text="alarms active at or after this time "
                                                                       "(ISO 8601; cleared after it, or not cleared)")
    until = django_filters.CharFilter(method="filter_until", help_text="alarms started at or before this time")

    class Meta:
        model = Alarm
        fields: list[str] = []

    def _time(self, name: str) -> datetime:
        return time_param(self.request, name)

    def filter_acknowledged(self, qs: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return qs.filter(acknowledged=bool_param(self.request, name))

    def filter_since(self, qs: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        when = self._time(name)
        return qs.exclude(cleared_at__lt=when)

    def filter_until(self, qs: QuerySet[Alarm], name: str, value: str) -> QuerySet[Alarm]:
        return qs.filter(started_at__lte=self._time(name))


class IncidentFilterSet(django_filters.FilterSet):
    tenant = CSVFilter(field_name="tenant", lookup_expr="in", help_text="one or more tenants, comma-separated")
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices, help_text="open or closed")

    class Meta:
        model = Incident
        fields: list[str] = []
