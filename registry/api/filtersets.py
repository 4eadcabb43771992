"""Twin list filters: ?id=&tenant=&status=&domain=&stream_kind=&depends_on=&source=&model=&q= (lists comma-separated).

The portal's home page filters with this same set, so a filter means the same in both.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from ..model_selectors import models_extending
from ..models import Twin


class CSVFilter(django_filters.BaseCSVFilter, django_filters.CharFilter):
    pass


class TwinFilterSet(django_filters.FilterSet):
    id = CSVFilter(field_name="id", lookup_expr="in", help_text="one or more twin ids, comma-separated")
    tenant = CSVFilter(field_name="tenant", lookup_expr="in", help_text="one or more tenants, comma-separated")
    status = CSVFilter(field_name="status", lookup_expr="in", help_text="one or more statuses, comma-separated")
    domain = django_filters.CharFilter(method="filter_domain", help_text="twins whose metadata.domain lists it")
    stream_kind = django_filters.CharFilter(method="filter_stream_kind", help_text="e.g. mqtt")
    depends_on = django_filters.CharFilter(method="filter_depends_on", help_text="twins depending on this id")
    source = django_filters.ChoiceFilter(choices=Twin.Source.choices)
    q = django_filters.CharFilter(method="filter_q", help_text="text in id, name or description")
    model = django_filters.CharFilter(method="filter_model",
                                      help_text="twins of this DTDL model or of one extending it (IS_OF_MODEL)")

    class Meta:
        model = Twin
        fields: list[str] = []

    def filter_domain(self, qs: QuerySet[Twin], name: str, value: str) -> QuerySet[Twin]:
        return qs.filter(domains__contains=f"|{value}|")

    def filter_stream_kind(self, qs: QuerySet[Twin], name: str, value: str) -> QuerySet[Twin]:
        return qs.filter(pk__in=Twin.objects.filter(streams__kind=value).values("pk"))

    def filter_depends_on(self, qs: QuerySet[Twin], name: str, value: str) -> QuerySet[Twin]:
        return qs.filter(pk__in=Twin.objects.filter(dependency_rows__target=value).values("pk"))

    def filter_model(self, qs: QuerySet[Twin], name: str, value: str) -> QuerySet[Twin]:
        return qs.filter(model__in=models_extending(value))

    def filter_q(self, qs: QuerySet[Twin], name: str, value: str) -> QuerySet[Twin]:
        return qs.filter(Q(id__icontains=value) | Q(name__icontains=value) | Q(description__icontains=value))
