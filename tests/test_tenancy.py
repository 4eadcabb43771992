"""Tenants and grants: who sees and changes which tenant, decided in one place (tenancy.access)."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.models import PortalEvent, Twin
from tenancy.access import access_for
from tenancy.models import Grant, Role, Tenant
from tenancy.services import bootstrap_admin, grant, revoke

pytestmark = pytest.mark.django_db


def visible_twins(user) -> list[str]:
    return sorted(Twin.objects.filter(access_for(user).twin_filter()).values_list("id", flat=True))


@pytest.fixture
def two_tenants(tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a")
    tree.twin("a/hvac", "hvac-a", tenant="tenant-a")
    tree.twin("b/lift", "lift-b", tenant="tenant-b")
    scan_cmd(str(tree.root))


def test_tenants_are_created_on_first_use_by_a_twin_spec(two_tenants):
    assert sorted(Tenant.objects.values_list("slug", flat=True)) == ["tenant-a", "tenant-b"]


def test_a_user_without_grants_and_anonymous_see_nothing(two_tenants):
    alice = User.objects.create_user("alice")
    assert visible_twins(alice) == [] and visible_twins(AnonymousUser()) == []
    assert access_for(alice).visible_tenants() == set()


def test_a_tenant_grant_shows_that_tenant_only_and_roles_rank(two_tenants):
    alice = User.objects.create_user("alice")
    grant("tenant-a", Role.VIEWER, user=alice)
    access = access_for(alice)
    assert visible_twins(alice) == ["hvac-a", "lift-a"]
    assert access.can(Role.VIEWER, "tenant-a") and not access.can(Role.OPERATOR, "tenant-a")
    assert not access.can(Role.VIEWER, "tenant-b")
    grant("tenant-a", Role.OPERATOR, user=alice)  # a second grant replaces the role
    assert Grant.objects.count() == 1 and access_for(alice).can(Role.OPERATOR, "tenant-a")


def test_a_twin_grant_shows_that_twin_but_not_its_tenant_wide_rows(two_tenants):
    bob = User.objects.create_user("bob")
    grant("tenant-b", Role.OPERATOR, user=bob, twin_id="lift-b")
    access = access_for(bob)
    assert visible_twins(bob) == ["lift-b"]
    assert access.can(Role.OPERATOR, "tenant-b", "lift-b") and not access.can(Role.VIEWER, "tenant-b")
    assert list(PortalEvent.objects.filter(access.tenant_filter())) == []


def test_group_grants_reach_their_members_and_revoking_takes_effect_at_once(two_tenants):
    ops = Group.objects.create(name="ops")
    carol = User.objects.create_user("carol")
    carol.groups.add(ops)
    grant("tenant-b", Role.VIEWER, group=ops)
    assert visible_twins(carol) == ["lift-b"]
    assert revoke("tenant-b", group=ops) == 1
    assert visible_twins(carol) == []


def test_staff_superusers_see_everything_and_inactive_users_nothing(two_tenants):
    root = User.objects.create_superuser("root", password="x")
    assert visible_twins(root) == ["hvac-a", "lift-a", "lift-b"]
    gone = User.objects.create_user("gone", is_active=False)
    grant("tenant-a", Role.ADMIN, user=gone)
    assert visible_twins(gone) == []


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_grant_and_revoke_commands(two_tenants):
    User.objects.create_user("dave")
    assert run("grant", "dave", "tenant-a", "operator") == "granted: dave: operator on tenant-a\n"
    assert run("grant", "dave", "tenant-b", "viewer", "--twin", "lift-b").startswith("granted: dave: viewer on tenant-b/lift-b")
    assert run("revoke", "dave", "tenant-a") == "revoked 1 grant of dave on tenant-a\n"
    assert visible_twins(User.objects.get(username="dave")) == ["lift-b"]
    with pytest.raises(CommandError, match="no user named 'erin'"):
        run("grant", "erin", "tenant-a", "viewer")
    with pytest.raises(CommandError, match="'Tenant A' is not a tenant slug"):
        run("grant", "dave", "Tenant A", "viewer")
    with pytest.raises(CommandError, match="dave holds no grant on tenant-a"):
        run("revoke", "dave", "tenant-a")


def test_the_first_start_creates_an_admin_with_a_random_password_once(settings, tree):
    tree.twin("x", "x-1", tenant="acme")
    tree.twin("y", "y-1", tenant="lab")
    settings.DTP_TWINS_ROOTS = [str(tree.root)]

    out = run("bootstrap_admin")

    password = re.search(r"with password: (\S+)", out).group(1)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password) and len(password) >= 16
    assert sorted(Grant.objects.filter(user=admin).values_list("tenant_id", "role")) == [
        ("acme", "admin"), ("lab", "admin")]
    assert run("bootstrap_admin") == ""  # a superuser exists: nothing happens, nothing is printed
    assert bootstrap_admin(["acme"]) is None


def test_staff_see_tokens_in_the_admin_without_their_secret(client):
    from tenancy.tokens import create_token

    staff = User.objects.create_superuser("root", password="x")
    _, raw = create_token(User.objects.create_user("bot"), name="ci")
    client.force_login(staff)
    page = client.get("/admin/tenancy/apitoken/").content.decode()
    assert raw[4:12] in page and raw not in page


def test_token_prefixes_never_look_like_command_line_options():
    from tenancy.tokens import create_token

    user = User.objects.create_user("many")
    prefixes = [create_token(user)[0].prefix for _ in range(200)]
    assert all(p[0].isalnum() for p in prefixes)
