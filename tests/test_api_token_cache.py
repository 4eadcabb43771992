"""A good token's user and grants are remembered for DTP_AUTH_CACHE_SECONDS: what that changes and what it must not.

In the process that makes a change (a revoked grant or token, a new grant, a deactivated user),
the next request sees it. A change this process is not told of (another web process's revoke:
here a row deleted with plain SQL, which sends no signal) counts once the TTL has passed.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tenancy import authcache
from tenancy.models import Grant, Role
from tenancy.services import grant, revoke
from tenancy.tokens import create_token, revoke_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, scan_cmd, settings):
    settings.DTP_AUTH_CACHE_SECONDS = 5
    tree.twin("a/lift", "lift-a", tenant="tenant-a")
    tree.twin("b/lift", "lift-b", tenant="tenant-b")
    scan_cmd(str(tree.root))
    return tree


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by the test."""
    now = [1000.0]
    monkeypatch.setattr(authcache, "_clock", lambda: now[0])
    return now


def holder(*tenants: str) -> tuple[APIClient, User]:
    user = User.objects.create_user("alice")
    for tenant in tenants:
        grant(tenant, Role.OPERATOR, user=user)
    _, raw = create_token(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api, user


def test_a_known_token_costs_no_query_of_its_own(world):
    api, _ = holder("tenant-a")
    assert api.get("/api/registry/twins/lift-a").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/registry/twins/lift-a").status_code == 200
    assert len(queries) == 1  # the twin; token and grants were remembered


def test_a_revoked_grant_counts_on_the_next_request(world):
    api, user = holder("tenant-a")
    assert api.get("/api/registry/twins/lift-a").status_code == 200
    revoke("tenant-a", user=user)
    assert api.get("/api/registry/twins/lift-a").status_code == 404


def test_a_grant_revoked_from_a_group_counts_on_the_next_request(world):
    api, user = holder()
    team = Group.objects.create(name="team")
    team.user_set.add(user)
    grant("tenant-a", Role.VIEWER, group=team)
    assert api.get("/api/registry/twins/lift-a").status_code == 200
    team.user_set.remove(user)
    assert api.get("/api/registry/twins/lift-a").status_code == 404


def test_a_new_grant_counts_on_the_next_request(world):
    api, user = holder("tenant-a")
    assert api.get("/api/registry/twins/lift-b").status_code == 404
    grant("tenant-b", Role.VIEWER, user=user)
    assert api.get("/api/registry/twins/lift-b").status_code == 200


def test_a_deleted_token_is_refused_on_the_next_request(world):
    api, user = holder("tenant-a")
    assert api.get("/api/registry/twins").status_code == 200
    assert revoke_tokens(user=user) == 1
    assert api.get("/api/registry/twins").status_code == 401


def test_a_token_revoked_over_the_api_is_refused_on_the_next_request(world):
    api, _ = holder("tenant-a")
    prefix = api.get("/api/tokens").json()[0]["prefix"]
    assert api.delete(f"/api/tokens/{prefix}").status_code == 204
    assert api.get("/api/registry/twins").status_code == 401


def test_a_deactivated_user_is_refused_on_the_next_request(world):
    api, user = holder("tenant-a")
    assert api.get("/api/registry/twins").status_code == 200
    user.is_active = False
    user.save()
    assert api.get("/api/registry/twins").status_code == 401


def test_a_change_made_elsewhere_counts_within_the_ttl(world, clock):
    api, user = holder("tenant-a")
    assert api.get("/api/registry/twins/lift-a").status_code == 200
    with connection.cursor() as cur:  # as another process would: no signal reaches this one
        cur.execute(f"DELETE FROM {Grant._meta.db_table} WHERE user_id = %s", [user.pk])
    clock[0] += 4.9
    assert api.get("/api/registry/twins/lift-a").status_code == 200  # remembered: the documented bound
    clock[0] += 0.2
    assert api.get("/api/registry/twins/lift-a").status_code == 404


def test_with_the_cache_off_every_request_reads_the_grants(world, settings):
    settings.DTP_AUTH_CACHE_SECONDS = 0
    api, user = holder("tenant-a")
    assert api.get("/api/registry/twins/lift-a").status_code == 200
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {Grant._meta.db_table} WHERE user_id = %s", [user.pk])
    assert api.get("/api/registry/twins/lift-a").status_code == 404


def test_a_bad_token_is_never_remembered(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token dtp_notatoken")
    for _ in range(2):
        assert api.get("/api/registry/twins").status_code == 401
