"""Twin reads through the API: the one-query list and detail answer what the model-based builder answers.

The expected JSON is built the way portal events build a twin (documents.twin_payload over the
model instances, selectors.dependents_of for the dependents), so the API and the events agree.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from registry import selectors
from registry.documents import twin_payload
from registry.models import Twin, TwinUI
from tenancy.access import access_for
from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

pytestmark = pytest.mark.django_db

LIFT = """
description: "Lift \\u00e9 \\"quoted\\" <b>"
metadata: {domain: [lift, building], status: active, serial: SN-1, nested: {a: [1, 2.5, null, true]}}
interfaces:
  data_streams:
    - {uri: mqtt://dtp/lift/a/vibration, signal: vibration, unit: mm/s, interval: 0.30000000000000004}
    - {uri: mqtt://dtp/lift/a/load, signal: load, unit: kg, interval: 10}
    - mqtt://dtp/lift/a/door
ui: {url: "http://localhost:3001/", dtr_id: "dtr:lift:A"}
dependencies: {static: [hvac-a], dynamic: [hvac-a]}
"""


@pytest.fixture
def world(tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a", name="Lift A", extra=LIFT)
    tree.twin("a/hvac", "hvac-a", tenant="tenant-a", name="HVAC A",
              extra="interfaces: {data_streams: [{uri: 'mqtt://dtp/hvac/a/p', interval: 1.0e-7}]}\n")
    tree.twin("a/bare", "bare-a", tenant="tenant-a", name="Bare A")
    tree.twin("a/room", "room-a", tenant="tenant-a", extra="dependencies: {static: [hvac-a]}\n")
    # A twin of another tenant depending on hvac-a: a tenant-a reader must not see it among the dependents.
    tree.twin("b/lift", "lift-b", tenant="tenant-b", extra="dependencies: {static: [hvac-a]}\n")
    scan_cmd(str(tree.root))
    TwinUI.objects.filter(twin_id="bare-a").delete()  # a twin without a card
    Twin.objects.filter(pk="room-a").update(runtime={"status": "maintenance", "health": {"status": "ok"}, "k": 1})
    return tree


def reader(tenant: str = "tenant-a", role: Role = Role.VIEWER) -> tuple[APIClient, User]:
    user = User.objects.create_user(f"reader-{tenant}")
    grant(tenant, role, user=user)
    _, raw = create_token(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api, user


def expected(twin_id: str, user: User, *, detail: bool) -> dict:
    """The twin as the event builder shows it, through JSON (as a client receives it)."""
    twin = selectors.twins_for(access_for(user)).get(pk=twin_id)
    body = twin_payload(twin, getattr(twin, "ui", None), twin.streams.all())
    if detail:
        body["dependents"] = selectors.dependents_of(access_for(user), twin_id)
    return json.loads(json.dumps(body))


def test_a_detail_is_the_json_the_event_builder_makes(world):
    api, user = reader()
    for twin_id in ("lift-a", "hvac-a", "bare-a", "room-a"):
        response = api.get(f"/api/registry/twins/{twin_id}")
        assert response.status_code == 200
        assert response.json() == expected(twin_id, user, detail=True), twin_id
        assert response["ETag"] == f'"{response.json()["revision"]}"'


def test_floats_and_cards_keep_every_digit_and_field(world):
    api, _ = reader()
    lift = api.get("/api/registry/twins/lift-a").json()
    assert [s["interval"] for s in lift["streams"]] == [0.30000000000000004, 10.0, None]
    assert '"interval":10.0' in api.get("/api/registry/twins/lift-a").content.decode()
    assert api.get("/api/registry/twins/hvac-a").json()["streams"][0]["interval"] == 1e-7
    assert lift["ui"] == {"name": "Lift A", "url": "http://localhost:3001/", "dtr_id": "dtr:lift:A"}
    assert api.get("/api/registry/twins/bare-a").json()["ui"] == {"name": "Bare A", "url": "", "dtr_id": ""}


def test_dependents_are_only_the_visible_ones(world):
    api, _ = reader()
    assert api.get("/api/registry/twins/hvac-a").json()["dependents"] == [
        {"id": "lift-a", "kind": "dynamic"}, {"id": "lift-a", "kind": "static"}, {"id": "room-a", "kind": "static"}]
    other, _ = reader("tenant-b")
    assert other.get("/api/registry/twins/hvac-a").status_code == 404


def test_a_list_page_is_the_json_the_event_builder_makes(world):
    api, user = reader()
    for query in ("", "?limit=2", "?ordering=-name", "?stream_kind=mqtt&ordering=updated_at"):
        body = api.get(f"/api/registry/twins{query}").json()
        assert body["results"], query
        assert body["results"] == [expected(t["id"], user, detail=False) for t in body["results"]], query


def test_list_pages_follow_their_cursor_to_the_end(world):
    api, _ = reader()
    seen, url = [], "/api/registry/twins?limit=1&ordering=name"
    while url:
        body = api.get(url).json()
        seen += [t["id"] for t in body["results"]]
        url = body["next"]
    assert seen == ["bare-a", "hvac-a", "lift-a", "room-a"]  # by name: Bare A, HVAC A, Lift A, Room-A


def test_a_read_is_one_query_once_the_token_is_known(world):
    api, _ = reader()
    api.get("/api/registry/twins/lift-a")  # the token and its grants are read (and remembered) here
    for path in ("/api/registry/twins/lift-a", "/api/registry/twins?limit=100", "/api/registry/twins?limit=1000"):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        assert len(queries) == 1, (path, [q["sql"] for q in queries])


def test_a_single_twin_grant_sees_that_twin_and_only_the_dependents_it_may_see(world):
    user = User.objects.create_user("one-twin")
    grant("tenant-a", Role.VIEWER, user=user, twin_id="hvac-a")
    grant("tenant-a", Role.VIEWER, user=user, twin_id="room-a")
    _, raw = create_token(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    hvac = api.get("/api/registry/twins/hvac-a")
    assert hvac.status_code == 200
    assert hvac.json() == expected("hvac-a", user, detail=True)
    assert hvac.json()["dependents"] == [{"id": "room-a", "kind": "static"}]  # lift-a is not granted
    assert api.get("/api/registry/twins/lift-a").status_code == 404
    assert ids_of(api.get("/api/registry/twins")) == ["hvac-a", "room-a"]


def ids_of(response) -> list[str]:
    return [t["id"] for t in response.json()["results"]]
