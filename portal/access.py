"""What a request may see, for the portal's pages and stream.

The decision itself is tenancy.access's (the one place for every path); this
module turns it into what the portal's queries and stream channels use: a
whole-tenant grant gives the tenant's channel, a grant on one twin gives that
twin's channel only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from registry import events as ev
from tenancy.access import Access, access_for

__all__ = ["may_read", "scope", "requested_channels", "can_read_channel_of"]


def may_read(user: Any) -> bool:
    """Signed in, or anyone in demo mode."""
    return bool(user is not None and user.is_authenticated) or settings.DTP_DEMO_MODE


def scope(user: Any) -> Access:
    return access_for(user, demo=settings.DTP_DEMO_MODE)


def _wanted(raw: str | None) -> set[str]:
    return {t.strip() for t in (raw or "").split(",") if t.strip()}


def requested_channels(user: Any, raw: str | None, limit: int) -> set[str]:
    """The stored-event channels for `?tenant=a,b` (all visible when empty), narrowed to the user's grants."""
    access = scope(user)
    wanted = _wanted(raw)
    if access.everything:
        if not wanted:
            return {ev.channel(ev.ALL)}
        return {ev.channel_for_tenant(t) for t in sorted(wanted)[:limit]}
    tenants = set(access.tenants) if not wanted else set(access.tenants) & wanted
    twins = {(t, i) for t, i in access.twins if t not in access.tenants and (not wanted or t in wanted)}
    channels = [ev.channel_for_tenant(t) for t in sorted(tenants)]
    channels += [ev.channel_for_twin(t, i) for t, i in sorted(twins)]
    return set(channels[:limit])


def can_read_channel_of(access: Access, tenant: str | None, twin_id: str) -> bool:
    """tenant None: the channel of everything; "": tenant-less rows; twin_id: one twin's channel."""
    if access.everything:
        return True
    if tenant is None or tenant == "":
        return False
    if twin_id:
        return access.role(tenant, twin_id) is not None
    return tenant in access.tenants
