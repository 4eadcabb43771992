"""Writes to tenants and grants: plain functions the commands, the admin and the API call."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import QuerySet

from .models import Grant, Role, Tenant

__all__ = ["ensure_tenants", "require_tenant", "create_tenant", "UnknownTenant", "grant", "revoke", "revoke_grants", "on_revoke", "Revocation", "bootstrap_admin", "create_user", "UserExists", "BOOTSTRAP_USERNAME"]

BOOTSTRAP_USERNAME = "admin"


def ensure_tenants(slugs: Iterable[str]) -> None:
    """Create the tenants that do not exist yet (first use by a twin spec)."""
    slugs = sorted({s for s in slugs if s})
    if slugs:
        Tenant.objects.bulk_create([Tenant(slug=s) for s in slugs], ignore_conflicts=True)


class UnknownTenant(ValueError):
    """A tenant that does not exist: tenants come from twin.yaml files or `manage.py create_tenant`, never a typo."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"there is no tenant {slug!r}; tenants come from twin.yaml files, or staff create one with "
                         f"`manage.py create_tenant {slug}` (or in the admin)")


def require_tenant(slug: str) -> None:
    if not Tenant.objects.filter(slug=slug).exists():
        raise UnknownTenant(slug)


def create_tenant(slug: str, *, name: str = "") -> Tenant:
    """The explicit, staff-only way to make a tenant that no twin.yaml declares yet."""
    import re

    from registry.spec import twin_schema

    if not re.fullmatch(twin_schema()["properties"]["tenant"]["pattern"], slug):
        raise ValueError(f"{slug!r} is not a tenant slug: lowercase letters, digits and '-', starting with a letter "
                         "or digit")
    with transaction.atomic():
        if Tenant.objects.filter(slug=slug).exists():
            raise ValueError(f"the tenant {slug!r} exists already")
        return Tenant.objects.create(slug=slug, name=name)


def grant(
    tenant: str,
    role: Role | str,
    *,
    user: AbstractBaseUser | None = None,
    group: Group | None = None,
    twin_id: str = "",
    by: AbstractBaseUser | None = None,
) -> Grant:
    """Give a user or a group a role on an existing tenant (or on one of its twins); a second grant replaces the role.

    Raises UnknownTenant for a tenant that does not exist, so a typo in a grant never makes a tenant.
    """
    if (user is None) == (group is None):
        raise ValueError("a grant goes to exactly one user or one group")
    role = Role(role)
    with transaction.atomic():
        require_tenant(tenant)
        holder = {"user": user} if user is not None else {"group": group}
        obj, _ = Grant.objects.update_or_create(**holder, tenant_id=tenant, twin_id=twin_id,
                                                defaults={"role": role, "created_by": by})
    return obj


@dataclass(frozen=True)
class Revocation:
    """Who lost which grants, handed to the revocation hooks after the deleting transaction commits."""

    users: tuple[AbstractBaseUser, ...]
    tenants: frozenset[str]
    twins: frozenset[tuple[str, str]]


_revocation_hooks: list[Callable[[Revocation], None]] = []


def on_revoke(hook: Callable[[Revocation], None]) -> None:
    """Register a function told of every revocation once it is committed (the portal cuts open streams)."""
    if hook not in _revocation_hooks:
        _revocation_hooks.append(hook)


def revoke_grants(grants: QuerySet[Grant]) -> int:
    """Delete these grants and, once that commits, tell the hooks whose access shrank.

    The one road for every revocation (the admin's action, `manage.py revoke`,
    any API), so a revoke anywhere ends the open streams that depended on it.
    A group's grant concerns each of its members.
    """
    with transaction.atomic():
        rows = list(grants.select_related("user", "group"))
        if not rows:
            return 0
        lost: list[Revocation] = []
        for row in rows:
            users = (row.user,) if row.user is not None else tuple(row.group.user_set.all())
            scope = (frozenset(), frozenset({(row.tenant_id, row.twin_id)})) if row.twin_id \
                else (frozenset({row.tenant_id}), frozenset())
            lost.append(Revocation(users, *scope))
        count, _ = Grant.objects.filter(pk__in=[r.pk for r in rows]).delete()
        transaction.on_commit(lambda: _tell(lost))
    return count


def _tell(lost: list[Revocation]) -> None:
    for revocation in lost:
        for hook in list(_revocation_hooks):
            hook(revocation)


def revoke(
    tenant: str,
    *,
    user: AbstractBaseUser | None = None,
    group: Group | None = None,
    twin_id: str | None = None,
) -> int:
    """Remove a holder's grants on a tenant (all of them, or the one on `twin_id`); returns how many."""
    if (user is None) == (group is None):
        raise ValueError("a revocation names exactly one user or one group")
    rows = Grant.objects.filter(tenant_id=tenant, **({"user": user} if user is not None else {"group": group}))
    if twin_id is not None:
        rows = rows.filter(twin_id=twin_id)
    return revoke_grants(rows)


def bootstrap_admin(tenants: Iterable[str]) -> tuple[str, str] | None:
    """On a first start, create the admin account with a random password and grant it `tenants`.

    Returns (username, password) when it created the account, None when a
    superuser already exists; the password exists only in this return value
    (it is stored hashed), so there is no default password anywhere.
    """
    users = get_user_model()
    with transaction.atomic():
        if users.objects.filter(is_superuser=True).exists():
            return None
        password = secrets.token_urlsafe(12)
        admin = users.objects.create_superuser(BOOTSTRAP_USERNAME, email="", password=password)
        ensure_tenants(tenants)  # the tenants the twin files declare: a scan would create them anyway
        for tenant in sorted(set(tenants)):
            grant(tenant, Role.ADMIN, user=admin)
    return BOOTSTRAP_USERNAME, password


class UserExists(ValueError):
    """The user name is taken; creating it again would silently change someone else's password."""


def create_user(username: str, password: str, *, email: str = "") -> AbstractBaseUser:
    """Create an ordinary user (no staff rights, no grants): access comes from `grant` afterwards.

    The password goes through the project's password validators, so the
    command and the admin refuse the same weak passwords.
    """
    users = get_user_model()
    with transaction.atomic():
        if users.objects.filter(**{users.USERNAME_FIELD: username}).exists():
            raise UserExists(f"a user named {username!r} exists already; choose another name "
                             "or change their password with `manage.py changepassword`")
        user = users(**{users.USERNAME_FIELD: username}, email=email)
        validate_password(password, user)
        user.set_password(password)
        user.save()
    return user
