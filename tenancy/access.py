"""Who may see and change which tenant: the one place every query path asks.

`access_for(user)` reads the user's grants (direct and through groups) once
per request; the `Access` value answers every question after that without
touching the database again, and builds the filters querysets apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from .models import RANK, Grant, Role

__all__ = ["Access", "access_for"]


def _best(a: Role | None, b: Role) -> Role:
    return b if a is None or RANK[b] > RANK[a] else a


@dataclass(frozen=True)
class Access:
    """What one user may do. `everything` is for staff superusers."""

    everything: bool = False
    tenants: dict[str, Role] = field(default_factory=dict)
    twins: dict[tuple[str, str], Role] = field(default_factory=dict)  # (tenant, twin id) -> role
    # No role above this one counts: read-only tokens and the demo mode's anonymous visitors are viewers.
    ceiling: Role = Role.ADMIN

    def role(self, tenant: str, twin_id: str = "") -> Role | None:
        if self.everything:
            best: Role | None = Role.ADMIN
        else:
            best = self.tenants.get(tenant)
            if twin_id and (tenant, twin_id) in self.twins:
                best = _best(best, self.twins[(tenant, twin_id)])
        if best is not None and RANK[best] > RANK[self.ceiling]:
            return self.ceiling
        return best

    @property
    def is_staff_wide(self) -> bool:
        """Full access to platform-wide things (services without a tenant, events without one)."""
        return self.everything and self.ceiling == Role.ADMIN

    def can(self, minimum: Role, tenant: str, twin_id: str = "") -> bool:
        role = self.role(tenant, twin_id)
        return role is not None and RANK[role] >= RANK[minimum]

    def sees_tenant(self, tenant: str) -> bool:
        """True when any grant reaches into the tenant (a whole-tenant or a single-twin grant)."""
        return self.everything or tenant in self.tenants or any(t == tenant for t, _ in self.twins)

    def visible_tenants(self) -> set[str] | None:
        """The tenants with something visible; None means all of them."""
        if self.everything:
            return None
        return set(self.tenants) | {t for t, _ in self.twins}

    def twin_filter(self, tenant_field: str = "tenant", id_field: str = "id") -> Q:
        """A filter for rows that belong to twins this user may see."""
        if self.everything:
            return Q()
        q = Q(**{f"{tenant_field}__in": sorted(self.tenants)})
        for tenant, twin_id in self.twins:
            q |= Q(**{tenant_field: tenant, id_field: twin_id})
        return q if (self.tenants or self.twins) else Q(pk__in=[])

    def tenant_filter(self, tenant_field: str = "tenant") -> Q:
        """A filter for tenant-wide rows (events, spec errors): whole-tenant grants only."""
        if self.everything:
            return Q()
        return Q(**{f"{tenant_field}__in": sorted(self.tenants)}) if self.tenants else Q(pk__in=[])


NOBODY = Access()


def access_for(user: object, *, read_only: bool = False, demo: bool = False) -> Access:
    """Read a user's grants. `demo` lets anonymous visitors read everything (DTP_DEMO_MODE)."""
    if user is None or isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        return Access(everything=True, ceiling=Role.VIEWER) if demo else NOBODY
    if not user.is_active:
        return NOBODY
    ceiling = Role.VIEWER if read_only else Role.ADMIN
    if user.is_superuser and user.is_staff:
        return Access(everything=True, ceiling=ceiling)
    tenants: dict[str, Role] = {}
    twins: dict[tuple[str, str], Role] = {}
    grants = Grant.objects.filter(Q(user=user) | Q(group__in=user.groups.all())).values_list(
        "tenant_id", "twin_id", "role")
    for tenant, twin_id, role in grants:
        role = Role(role)
        if twin_id:
            twins[(tenant, twin_id)] = _best(twins.get((tenant, twin_id)), role)
        else:
            tenants[tenant] = _best(tenants.get(tenant), role)
    return Access(tenants=tenants, twins=twins, ceiling=ceiling)
