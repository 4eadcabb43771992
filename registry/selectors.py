"""Reads the portal and the API share; queries are shaped here, once."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from django.db.models import Count, QuerySet

from .models import SpecFileError, Twin

__all__ = ["TenantCards", "portal_cards", "spec_errors"]


@dataclass(frozen=True)
class TenantCards:
    tenant: str
    twins: list[Twin]


def portal_cards() -> list[TenantCards]:
    """Every twin with its card and stream count, grouped by tenant (one query)."""
    twins = (
        Twin.objects.select_related("ui")
        .annotate(stream_count=Count("streams"))
        .order_by("tenant", "name", "id")
    )
    return [TenantCards(tenant, list(items)) for tenant, items in groupby(twins, key=lambda t: t.tenant)]


def spec_errors() -> QuerySet[SpecFileError]:
    return SpecFileError.objects.order_by("path", "line", "column")
