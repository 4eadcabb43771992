"""The alarm API through HTTP: lists and filters, detail with history, the operator actions, incidents,
and tenancy on every route (viewer, operator, read-only token, another tenant)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from alarms import services
from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a", extra="dependencies: {static: [hvac-a]}\n")
    tree.twin("a/hvac", "hvac-a", tenant="tenant-a")
    tree.twin("b/lift", "lift-b", tenant="tenant-b")
    scan_cmd(str(tree.root))
    hot, _ = services.raise_or_update(twin_id="lift-a", tenant="tenant-a", rule="hot-room", severity="major",
                                      value=31.0)
    ours_minor, _ = services.raise_or_update(twin_id="hvac-a", tenant="tenant-a", rule="slow-fan",
                                             severity="minor", value=2.0)
    theirs, _ = services.raise_or_update(twin_id="lift-b", tenant="tenant-b", rule="hot-room", severity="critical",
                                         value=40.0)
    return {"hot": hot.id, "minor": ours_minor.id, "theirs": theirs.id}


def client(role: Role | None, tenant: str = "tenant-a", *, read_only: bool = False, name: str = "") -> APIClient:
    user = User.objects.create_user(name or f"{role.value if role else 'nobody'}-{tenant}-{'ro' if read_only else 'rw'}")
    if role:
        grant(tenant, role, user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user, read_only=read_only)[1]}")
    return api


def ids(response) -> list[int]:
    return [a["id"] for a in response.json()["results"]]


def test_an_alarm_shows_the_fields_the_issue_names(world):
    body = client(Role.VIEWER).get(f"/api/alarms/{world['hot']}").json()
    assert {k: body[k] for k in ("twin", "tenant", "rule", "severity", "status", "acknowledged", "peak",
                                 "cleared_at")} == {"twin": "lift-a", "tenant": "tenant-a", "rule": "hot-room",
                                                    "severity": "major", "status": "active",
                                                    "acknowledged": False, "peak": 31.0, "cleared_at": None}
    assert body["id"] == world["hot"] and body["started_at"]
    assert [step["kind"] for step in body["history"]] == ["raise"]


def test_a_viewer_lists_only_their_tenants_alarms(world):
    response = client(Role.VIEWER).get("/api/alarms")
    assert response.status_code == 200
    assert sorted(ids(response)) == sorted([world["hot"], world["minor"]])
    assert "lift-b" not in response.content.decode() and "tenant-b" not in response.content.decode()


def test_filters_narrow_the_list(world):
    api = client(Role.VIEWER)
    assert ids(api.get("/api/alarms?severity=major")) == [world["hot"]]
    assert ids(api.get("/api/alarms?twin=hvac-a")) == [world["minor"]]
    assert ids(api.get("/api/alarms?rule=hot-room")) == [world["hot"]]
    assert ids(api.get("/api/alarms?tenant=tenant-b")) == []
    assert ids(api.get("/api/alarms?status=cleared")) == []
    assert sorted(ids(api.get("/api/alarms?since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z"))) == \
        sorted([world["hot"], world["minor"]])
    assert ids(api.get("/api/alarms?until=2000-01-01T00:00:00Z")) == []


def test_bad_filters_and_limits_are_400s_naming_the_parameter(world):
    api = client(Role.VIEWER)
    for query, field in [("status=burning", "status"), ("since=2026-02-30T00:00:00Z", "since"),
                         ("limit=1001", "limit"), ("acknowledged=maybe", "acknowledged")]:
        response = api.get(f"/api/alarms?{query}")
        assert response.status_code == 400, query
        assert field in json.dumps(response.json()), query


def test_cursor_pages_walk_every_alarm_once(world):
    api = client(Role.VIEWER)
    first = api.get("/api/alarms?limit=1").json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 1
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {world["hot"], world["minor"]}
    assert second["next"] is None


def test_an_operator_acknowledges_then_clears_and_the_history_says_who(world):
    api = client(Role.OPERATOR, name="olga")
    acked = api.post(f"/api/alarms/{world['hot']}/ack")
    assert acked.status_code == 200 and acked.json()["acknowledged"] is True
    assert acked.json()["acknowledged_by"] == "olga"
    again = api.post(f"/api/alarms/{world['hot']}/ack")
    assert again.status_code == 409 and "already acknowledged" in again.json()["detail"]
    cleared = api.post(f"/api/alarms/{world['hot']}/clear", {"note": "fixed the fan"}, format="json")
    assert cleared.status_code == 200
    body = cleared.json()
    assert body["status"] == "cleared" and body["cleared_by"] == "olga" and body["cleared_at"]
    assert [(s["kind"], s["actor"]) for s in body["history"]] == [("raise", "rule"), ("ack", "olga"),
                                                                  ("clear", "olga")]
    assert api.post(f"/api/alarms/{world['hot']}/clear").status_code == 409


def test_comments_and_assignment_join_the_history(world):
    api = client(Role.OPERATOR, name="olga")
    client(Role.VIEWER, name="vera")
    comment = api.post(f"/api/alarms/{world['hot']}/comments", {"text": "on my way"}, format="json")
    assert comment.status_code == 201 and comment.json()["note"] == "on my way"
    assigned = api.post(f"/api/alarms/{world['hot']}/assign", {"assignee": "vera"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "vera"
    kinds = [s["kind"] for s in assigned.json()["history"]]
    assert kinds == ["raise", "comment", "assign"]
    assert api.post(f"/api/alarms/{world['hot']}/assign", {"assignee": None}, format="json").json()["assignee"] is None


def test_assigning_to_someone_who_cannot_see_the_alarm_is_a_400(world):
    api = client(Role.OPERATOR)
    client(Role.VIEWER, "tenant-b", name="bob")
    response = api.post(f"/api/alarms/{world['hot']}/assign", {"assignee": "bob"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "assignee"
    assert api.post(f"/api/alarms/{world['hot']}/comments", {"text": "   "}, format="json").status_code == 400


@pytest.mark.parametrize("action,body", [("ack", None), ("clear", None), ("assign", {"assignee": None}),
                                         ("comments", {"text": "hi"})])
def test_viewers_read_but_may_not_act(world, action, body):
    api = client(Role.VIEWER)
    response = api.post(f"/api/alarms/{world['hot']}/{action}", body, format="json")
    assert response.status_code == 403 and "operator" in response.json()["detail"]
    assert api.get(f"/api/alarms/{world['hot']}").json()["history"][-1]["kind"] == "raise"


@pytest.mark.parametrize("action,body", [("ack", None), ("clear", None), ("assign", {"assignee": None}),
                                         ("comments", {"text": "hi"})])
def test_a_read_only_token_of_an_admin_may_not_act(world, action, body):
    api = client(Role.ADMIN, read_only=True)
    response = api.post(f"/api/alarms/{world['hot']}/{action}", body, format="json")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert api.get(f"/api/alarms/{world['hot']}").status_code == 200


@pytest.mark.parametrize("method,suffix,body", [("get", "", None), ("post", "/ack", None), ("post", "/clear", None),
                                                ("post", "/assign", {"assignee": None}),
                                                ("post", "/comments", {"text": "hi"})])
def test_another_tenants_alarm_is_a_404_on_every_route(world, method, suffix, body):
    api = client(Role.ADMIN)
    response = getattr(api, method)(f"/api/alarms/{world['theirs']}{suffix}", body, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such resource, or not one you may see."}
    missing = getattr(api, method)(f"/api/alarms/99999999{suffix}", body, format="json")
    assert missing.status_code == 404 and missing.json() == response.json()


def test_nobody_without_a_grant_sees_any_alarm_and_anonymous_is_401(world):
    assert ids(client(None).get("/api/alarms")) == []
    assert APIClient().get("/api/alarms").status_code == 401
    assert APIClient().post(f"/api/alarms/{world['hot']}/ack").status_code == 401


def test_incidents_list_and_show_their_alarms_within_the_tenant(world):
    api = client(Role.VIEWER)
    listed = api.get("/api/incidents")
    assert listed.status_code == 200
    for incident in listed.json()["results"]:
        assert incident["tenant"] == "tenant-a"
        detail = api.get(f"/api/incidents/{incident['id']}").json()
        assert {a["id"] for a in detail["alarm_details"]} == set(detail["alarms"])
        assert all(a["tenant"] == "tenant-a" for a in detail["alarm_details"])
    theirs = client(Role.VIEWER, "tenant-b", name="bea").get("/api/incidents").json()["results"]
    for incident in theirs:
        assert client(Role.ADMIN, name="adam").get(f"/api/incidents/{incident['id']}").status_code == 404
    assert api.get("/api/incidents/99999999").status_code == 404
