"""Reads the portal and the API share: every query starts from what an Access may see.

Tenant scoping happens here and only here (tenancy.access decides, these
functions apply it), so no path can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

import jsonpatch
from django.db.models import Count, Prefetch, Q, QuerySet

from tenancy.access import Access

from .models import Dependency, PortalEvent, Service, SpecFileError, Stream, Twin, UpdateCmd

__all__ = ["TenantCards", "portal_cards", "twins_for", "twin_for", "dependents_of", "history_of", "twin_at",
           "events_for", "spec_errors_for", "services_for"]


@dataclass(frozen=True)
class TenantCards:
    tenant: str
    twins: list[Twin]


def twins_for(access: Access) -> QuerySet[Twin]:
    """The twins `access` may see, with what their JSON needs (card, streams) fetched alongside."""
    return (
        Twin.objects.filter(access.twin_filter())
        .select_related("ui")
        .prefetch_related(Prefetch("streams", queryset=Stream.objects.order_by("id")))
    )


def twin_for(access: Access, twin_id: str) -> Twin:
    """One visible twin; raises Twin.DoesNotExist for an unknown id and for one of another tenant alike."""
    return twins_for(access).get(pk=twin_id)


def dependents_of(access: Access, twin_id: str) -> list[dict[str, str]]:
    rows = Dependency.objects.filter(target=twin_id, twin__in=Twin.objects.filter(access.twin_filter()))
    return [{"id": r.twin_id, "kind": r.kind} for r in rows.order_by("twin_id", "kind")]


def portal_cards(access: Access) -> list[TenantCards]:
    """The visible twins with their card and stream count, grouped by tenant (one query)."""
    twins = (
        Twin.objects.filter(access.twin_filter())
        .select_related("ui")
        .annotate(stream_count=Count("streams"))
        .order_by("tenant", "name", "id")
    )
    return [TenantCards(tenant, list(items)) for tenant, items in groupby(twins, key=lambda t: t.tenant)]


def history_of(twin: Twin) -> QuerySet[UpdateCmd]:
    return UpdateCmd.objects.filter(twin_id=twin.id).order_by("-id")


def twin_at(twin: Twin, when: datetime) -> tuple[dict[str, Any], int] | None:
    """The twin's state as it was at `when`, rebuilt from its patches; None if it did not exist then."""
    state: dict[str, Any] = {}
    revision = 0
    for cmd in UpdateCmd.objects.filter(twin_id=twin.id, ts__lte=when).order_by("id"):
        state = jsonpatch.apply_patch(state, cmd.patch)
        revision = cmd.revision
    return (state, revision) if state else None


def events_for(access: Access, *, since: int = 0, tenants: list[str] | None = None) -> QuerySet[PortalEvent]:
    """Events of whole granted tenants, and those of single granted twins."""
    qs = PortalEvent.objects.filter(access.twin_filter(id_field="twin_id"), id__gt=since)
    if tenants:
        qs = qs.filter(tenant__in=tenants)
    return qs.order_by("id")


def spec_errors_for(access: Access) -> QuerySet[SpecFileError]:
    return SpecFileError.objects.filter(access.tenant_filter()).order_by("path", "line", "column")


def services_for(access: Access) -> QuerySet[Service]:
    """Platform services (no tenant) are shown to every signed-in user with a grant; the rest by tenant."""
    if access.everything:
        return Service.objects.all()
    platform = Q(tenant="") if (access.tenants or access.twins) else Q(pk__in=[])
    return Service.objects.filter(platform | access.tenant_filter())
