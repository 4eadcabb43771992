"""Which tenants a request may see, for the portal's pages and stream.

The decision itself is tenancy.access's (the one place for every path); this
module turns it into the tenant sets the portal's queries and channels use.
Pages and the stream show whole-tenant grants; a grant on a single twin is
honoured by the REST API.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from tenancy.access import access_for

__all__ = ["may_read", "visible_tenants", "requested_tenants", "can_read_tenant"]


def may_read(user: Any) -> bool:
    """Signed in, or anyone in demo mode."""
    return bool(user is not None and user.is_authenticated) or settings.DTP_DEMO_MODE


def visible_tenants(user: Any) -> set[str] | None:
    """The tenants `user` may see, or None for all of them."""
    access = access_for(user, demo=settings.DTP_DEMO_MODE)
    return None if access.everything else set(access.tenants)


def can_read_tenant(user: Any, tenant: str) -> bool:
    """Rows without a tenant (a broken file whose tenant is unreadable) are for those who see every tenant."""
    allowed = visible_tenants(user)
    return allowed is None or (tenant != "" and tenant in allowed)


def requested_tenants(user: Any, raw: str | None) -> set[str] | None:
    """`?tenant=a,b` narrowed to what the user may see; None means every tenant."""
    wanted = {t.strip() for t in (raw or "").split(",") if t.strip()}
    allowed = visible_tenants(user)
    if not wanted:
        return allowed
    return wanted if allowed is None else wanted & allowed
