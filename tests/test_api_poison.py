"""The poison matrix: each body no store can hold is a 400 in JSON naming the field, writes nothing,
and leaves every read answering 200, on SQLite and (make test's second pass) on PostgreSQL alike."""

from __future__ import annotations

import json

import pytest

from registry.models import PortalEvent, Service, Stream, Twin, UpdateCmd
from tenancy.models import Role
from tests.test_api import NEW_TWIN, client, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db

NESTED_900 = "[" * 900 + "]" * 900
LONG = "x" * 70_000

# (name, JSON text of one value) -> the value is put at a field of each body below.
POISONS = {
    "lone surrogate": r'"ab\ud800cd"',
    "NUL in a string": r'"temp\u0000nul"',
    "1e400": "1e400",
    "-1e400": "-1e400",
    "integer beyond 64 bits": str(2**64),
    "900 nested arrays": NESTED_900,
    "a 70,000-character string": json.dumps(LONG),
    "NUL in a key": r'{"a\u0000b": 1}',
    "lone surrogate in a key": r'{"\udfffk": 1}',
}

# (method, path, body template with {v} for the poison, field path the error must name)
TARGETS = [
    ("patch", "/api/registry/twins/lift-a", '{{"runtime": {{"probe": {v}}}}}', "runtime.probe"),
    ("patch", "/api/registry/twins/lift-a", '{{"health": {{"note": {v}}}}}', "health.note"),
    ("patch", "/api/registry/twins/pump-7", '{{"metadata": {{"domain": ["water"], "note": {v}}}}}',
     "metadata.note"),
    ("post", "/api/registry/twins",
     '{{"@id": "pump-8", "name": "Pump 8", "tenant": "tenant-a", "metadata": {{"note": {v}}}}}', "metadata.note"),
    ("post", "/api/registry/services", '{{"category": "db", "tenant": "tenant-a", "interfaces": {{"x": {v}}}}}',
     "interfaces.x"),
    ("patch", "/api/registry/services/db-a", '{{"health": {{"status": "ok", "note": {v}}}}}', "health.note"),
]

READS = ["/api/registry/twins", "/api/registry/twins?tenant=tenant-a", "/api/registry/twins/lift-a",
         "/api/registry/twins/pump-7", "/api/registry/twins/lift-a/history", "/api/registry/twins/pump-7/history",
         "/api/portal/events", "/api/registry/services", "/api/registry/services/db-a"]


@pytest.fixture
def api(world):  # noqa: F811
    staff = client(staff=True)
    staff.raise_request_exception = False
    assert staff.post("/api/registry/twins", NEW_TWIN, format="json").status_code == 201
    assert staff.post("/api/registry/services", {"id": "db-a", "category": "db", "tenant": "tenant-a"},
                      format="json").status_code == 201
    assert staff.patch("/api/registry/twins/lift-a", {"runtime": {"probe": 1}}, format="json").status_code == 200
    return staff


def snapshot() -> dict:
    """Everything a write could touch: rows, revisions, runtime, history, events."""
    return {
        "twins": list(Twin.objects.order_by("id").values_list("id", "revision", "runtime", "metadata", "status")),
        "streams": Stream.objects.count(),
        "services": list(Service.objects.order_by("id").values_list("id", "revision", "interfaces", "health")),
        "history": UpdateCmd.objects.count(),
        "events": list(PortalEvent.objects.order_by("id").values_list("id", flat=True)),
    }


@pytest.mark.parametrize("poison", POISONS, ids=list(POISONS))
@pytest.mark.parametrize("target", TARGETS, ids=[f"{m} {p} {f}" for m, p, _, f in TARGETS])
def test_a_poison_value_is_a_400_naming_its_field_and_writes_nothing(api, poison, target):
    method, path, template, field = target
    before = snapshot()

    response = getattr(api, method)(path, template.format(v=POISONS[poison]), content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] and body["errors"]
    assert any(e["field"].startswith(field) for e in body["errors"]), body
    assert all(len(e["message"]) < 400 for e in body["errors"]), "an error quotes at most a short prefix"
    assert snapshot() == before
    for read in READS:
        assert api.get(read).status_code == 200, read


@pytest.mark.parametrize(("query", "field"), [
    ("/api/registry/twins/lift-a/history?at=2020-01-01T00:00:00%2B99:00", "at"),
    ("/api/registry/twins/lift-a/history?at=0001-01-01T00:00:00%2B01:00", "at"),
    ("/api/registry/twins/lift-a/history?at=2026-02-30T00:00:00Z", "at"),
    ("/api/registry/twins/lift-a/history?at=yesterday", "at"),
    ("/api/registry/twins?limit=null", "limit"),
    ("/api/registry/twins?limit=0", "limit"),
    ("/api/registry/spec-errors?limit=", "limit"),
    ("/api/portal/events?since=", "since"),
    ("/api/registry/twins/lift-a/history?limit=1001", "limit"),
    ("/api/portal/events?tenant=a%00b", "tenant"),
    ("/api/portal/events?since=%ED%A0%80", "since"),
    ("/api/registry/twins?q=" + "y" * 1001, "q"),
])
def test_a_query_parameter_the_api_cannot_use_is_a_400_naming_it(api, query, field):
    response = api.get(query)
    assert response.status_code == 400, response.content[:300]
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_malformed_if_match_is_a_400_and_a_stale_one_still_412(api):
    bad = api.patch("/api/registry/twins/lift-a", {"status": "maintenance"}, format="json", HTTP_IF_MATCH="3")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "If-Match"
    stale = api.patch("/api/registry/twins/lift-a", {"status": "maintenance"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert Twin.objects.get(pk="lift-a").status != "maintenance"


def test_a_soft_flag_that_is_not_a_boolean_is_a_400_and_deletes_nothing(api):
    response = api.delete("/api/registry/twins/pump-7?soft=maybe")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "soft"
    assert Twin.objects.filter(pk="pump-7").exists()


def test_a_nul_in_a_twin_yaml_string_is_a_spec_error_and_no_twin(tree, scan_cmd):
    tree.twin("a/bad", "bad-a", tenant="tenant-a", extra='description: "cold\\0room"\n')
    result = scan_cmd(str(tree.root))
    assert not Twin.objects.filter(pk="bad-a").exists()
    assert "description contains a NUL character" in result.out + result.err


def test_error_messages_quote_at_most_a_short_prefix_of_a_long_input(api):
    long = "z" * 5000
    responses = [
        api.patch("/api/registry/twins/lift-a", {"status": long}, format="json"),
        api.post("/api/registry/twins", {**NEW_TWIN, "@id": long}, format="json"),
        api.post("/api/registry/twins", {**NEW_TWIN, "@id": "pump-9", long[:200]: 1}, format="json"),
        api.get(f"/api/registry/twins?limit={long[:900]}"),
        api.get(f"/api/registry/twins/lift-a/history?at={long[:900]}"),
    ]
    for response in responses:
        assert response.status_code == 400, response.content[:300]
        assert long[:100] not in response.content.decode()
        assert all(len(e["message"]) <= 320 for e in response.json()["errors"])


def test_twin_ids_are_global_so_another_tenants_id_is_a_409(world):  # noqa: F811
    admin_a = client(Role.ADMIN, "tenant-a")
    response = admin_a.post("/api/registry/twins", {**NEW_TWIN, "@id": "lift-b"}, format="json")
    assert response.status_code == 409 and "lift-b" in response.json()["detail"]
    assert Twin.objects.get(pk="lift-b").tenant == "tenant-b"
