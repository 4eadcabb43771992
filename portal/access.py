"""Which tenants a request may see: decided here and nowhere else.

Today everyone sees every tenant. The tenancy work narrows `visible_tenants`
and every page, the stream and its channel permissions follow.
"""

from __future__ import annotations

from typing import Any

__all__ = ["visible_tenants", "requested_tenants", "can_read_tenant"]


def visible_tenants(user: Any) -> set[str] | None:
    """The tenants `user` may see, or None for all of them."""
    return None


def can_read_tenant(user: Any, tenant: str) -> bool:
    allowed = visible_tenants(user)
    return allowed is None or tenant == "" or tenant in allowed


def requested_tenants(user: Any, raw: str | None) -> set[str] | None:
    """`?tenant=a,b` narrowed to what the user may see; None means every visible tenant."""
    wanted = {t.strip() for t in (raw or "").split(",") if t.strip()}
    allowed = visible_tenants(user)
    if not wanted:
        return allowed
    return wanted if allowed is None else wanted & allowed
