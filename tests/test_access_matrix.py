"""Every role against every route: the exact status code, and no other tenant's ids in any answer.

tenant-a holds lift-a (file) and pump-a (API); tenant-b holds lift-b. Each caller acts on tenant-a's
twins and on lift-b; only staff may see or touch tenant-b.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "operator", "admin", "staff"]

PUMP = {"@id": "pump-a", "name": "Pump A", "tenant": "tenant-a"}
NEW = {"@id": "new-a", "name": "New A", "tenant": "tenant-a"}

# (method, path, body) -> expected status per role, in ROLES order.
MATRIX = [
    ("get", "/api/registry/twins", None, [401, 200, 200, 200, 200]),
    ("get", "/api/registry/twins/lift-a", None, [401, 200, 200, 200, 200]),
    ("get", "/api/registry/twins/lift-b", None, [401, 404, 404, 404, 200]),
    ("get", "/api/registry/twins/lift-a/history", None, [401, 200, 200, 200, 200]),
    ("get", "/api/registry/twins/lift-b/history", None, [401, 404, 404, 404, 200]),
    ("patch", "/api/registry/twins/lift-a", {"status": "maintenance"}, [401, 403, 200, 200, 200]),
    ("patch", "/api/registry/twins/lift-b", {"status": "maintenance"}, [401, 404, 404, 404, 200]),
    ("patch", "/api/registry/twins/pump-a", {"name": "Pump A2"}, [401, 403, 403, 200, 200]),
    ("post", "/api/registry/twins", NEW, [401, 403, 403, 201, 201]),
    ("post", "/api/registry/twins", {**NEW, "@id": "new-b", "tenant": "tenant-b"}, [401, 403, 403, 403, 201]),
    ("delete", "/api/registry/twins/pump-a?soft=true", None, [401, 403, 403, 204, 204]),
    ("delete", "/api/registry/twins/lift-b", None, [401, 404, 404, 404, 409]),
    ("get", "/api/registry/services", None, [401, 200, 200, 200, 200]),
    ("post", "/api/registry/services", {"id": "svc-a", "category": "ingest", "tenant": "tenant-a"},
     [401, 403, 201, 201, 201]),
    ("post", "/api/registry/services", {"id": "svc-b", "category": "ingest", "tenant": "tenant-b"},
     [401, 403, 403, 403, 201]),
    ("get", "/api/registry/services/svc-b0", None, [401, 404, 404, 404, 200]),
    ("get", "/api/registry/spec-errors", None, [401, 200, 200, 200, 200]),
    ("get", "/api/portal/events", None, [401, 200, 200, 200, 200]),
    ("get", "/api/registry/schema/twin.json", None, [200, 200, 200, 200, 200]),
    # Tokens are the caller's own: any signed-in role lists and makes them, nobody revokes another's.
    ("get", "/api/tokens", None, [401, 200, 200, 200, 200]),
    ("post", "/api/tokens", {"name": "x"}, [401, 201, 201, 201, 201]),
    ("delete", "/api/tokens/dtp_nosuchtk", None, [401, 404, 404, 404, 404]),
]


@pytest.fixture
def world(tree, scan_cmd):
    tree.twin("a", "lift-a", tenant="tenant-a")
    tree.twin("b", "lift-b", tenant="tenant-b")
    tree.write("b/broken/twin.yaml", "id: broken-b\nname: B\ntenant: tenant-b\ncolour: red\n")
    scan_cmd(str(tree.root))
    staff = staff_client()
    assert staff.post("/api/registry/twins", PUMP, format="json").status_code == 201
    assert staff.post("/api/registry/services", {"id": "svc-b0", "category": "store", "tenant": "tenant-b"},
                      format="json").status_code == 201


def staff_client() -> APIClient:
    return client_as("staff", "setup-staff")


def client_as(role: str, name: str) -> APIClient:
    api = APIClient()
    if role == "anonymous":
        return api
    if role == "staff":
        user = User.objects.create_superuser(name, password="x")
    else:
        user = User.objects.create_user(name)
        grant("tenant-a", Role(role), user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user)[1]}")
    return api


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_exactly_and_leaks_nothing(world, role):
    api = client_as(role, f"{role}-user")
    for method, path, body, expected in MATRIX:
        response = getattr(api, method)(path, body, format="json") if body else getattr(api, method)(path)
        want = expected[ROLES.index(role)]
        assert response.status_code == want, (role, method, path, response.status_code, response.content[:300])
        if role != "staff" and not path.endswith("twin.json"):
            text = response.content.decode()
            for foreign in ("lift-b", "broken-b", "svc-b", "tenant-b"):
                if not (method == "post" and foreign == "tenant-b"):  # the caller named tenant-b itself
                    assert foreign not in text, (role, method, path, foreign)


def test_repeated_bad_tokens_are_refused_with_429_and_a_good_one_from_there_still_works(world, settings):
    settings.DTP_AUTH_FAILURES_PER_MINUTE = 3
    good = client_as("viewer", "good-viewer")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token dtp_wrong")
    assert [bad.get("/api/registry/twins").status_code for _ in range(4)] == [401, 401, 401, 429]
    assert good.get("/api/registry/twins").status_code == 200  # same address: others' failures never refuse it
    assert bad.get("/api/registry/twins").status_code == 429


def test_repeated_failed_sign_ins_are_refused_with_429(world, settings):
    settings.DTP_AUTH_FAILURES_PER_MINUTE = 3
    User.objects.create_user("alice", password="right-password-1")
    from django.test import Client

    browser = Client()
    codes = [browser.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = browser.post("/accounts/login/", {"username": "alice", "password": "right-password-1"})
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.content.decode()
