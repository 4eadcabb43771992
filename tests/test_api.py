"""The registry REST API through HTTP: each endpoint's success and error paths."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registry.models import PortalEvent, Service, Twin, UpdateCmd
from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

pytestmark = pytest.mark.django_db

LIFT = """
metadata: {domain: [lift, building], status: active}
interfaces:
  data_streams: [mqtt://dtp/lift/a/vibration]
dependencies: {static: [hvac-a]}
"""

NEW_TWIN = {
    "@id": "pump-7",
    "name": "Pump 7",
    "tenant": "tenant-a",
    "metadata": {"domain": ["water"], "site": "north"},
    "interfaces": {"data_streams": ["mqtt://dtp/pump/7/flow"]},
    "dependencies": {"static": ["hvac-a"]},
}


@pytest.fixture
def world(tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a", name="Lift A", extra=LIFT)
    tree.twin("a/hvac", "hvac-a", tenant="tenant-a", name="HVAC A", extra="metadata: {domain: [hvac]}\n")
    tree.twin("b/lift", "lift-b", tenant="tenant-b", name="Lift B")
    scan_cmd(str(tree.root))
    return tree


def client(role: Role | None = None, tenant: str = "tenant-a", *, read_only: bool = False,
           staff: bool = False, name: str | None = None) -> APIClient:
    username = name or f"{'staff' if staff else (role.value if role else 'nobody')}-{tenant}"
    if staff:
        user = User.objects.create_superuser(username, password="x")
    else:
        user = User.objects.create_user(username)
        if role:
            grant(tenant, role, user=user)
    _, raw = create_token(user, read_only=read_only)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


def ids(response) -> list[str]:
    return [t["id"] for t in response.json()["results"]]


# --- authentication --------------------------------------------------------------------------


def test_anonymous_requests_get_401_and_no_data(world):
    response = APIClient().get("/api/registry/twins")
    assert response.status_code == 401 and "lift" not in response.content.decode()


def test_bearer_tokens_work_like_token_and_a_bad_token_is_401(world):
    user = User.objects.create_user("eve")
    grant("tenant-a", Role.VIEWER, user=user)
    _, raw = create_token(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/registry/twins").status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token dtp_not-a-real-token")
    response = api.get("/api/registry/twins")
    assert response.status_code == 401 and response.json() == {"detail": "Invalid or revoked token."}


def test_the_browser_session_works_and_writes_need_csrf(world):
    user = User.objects.create_user("sam", password="pw-long-enough-1")
    grant("tenant-a", Role.ADMIN, user=user)
    api = APIClient(enforce_csrf_checks=True)
    assert api.login(username="sam", password="pw-long-enough-1")
    assert api.get("/api/registry/twins").status_code == 200
    response = api.patch("/api/registry/twins/lift-a", {"status": "maintenance"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


# --- list and detail ----------------------------------------------------------------------------


def test_the_list_shows_only_granted_tenants_in_a_stable_order(world):
    assert ids(client(Role.VIEWER).get("/api/registry/twins")) == ["hvac-a", "lift-a"]
    assert ids(client(staff=True).get("/api/registry/twins")) == ["hvac-a", "lift-a", "lift-b"]
    assert ids(client().get("/api/registry/twins")) == []


@pytest.mark.parametrize(("query", "expected"), [
    ("tenant=tenant-a", ["hvac-a", "lift-a"]),
    ("tenant=tenant-a,tenant-b", ["hvac-a", "lift-a", "lift-b"]),
    ("domain=lift", ["lift-a"]),
    ("domain=lif", []),
    ("stream_kind=mqtt", ["lift-a"]),
    ("depends_on=hvac-a", ["lift-a"]),
    ("source=file", ["hvac-a", "lift-a", "lift-b"]),
    ("source=api", []),
    ("q=hvac", ["hvac-a"]),
    ("status=active", ["hvac-a", "lift-a", "lift-b"]),
    ("ordering=-name", ["lift-b", "lift-a", "hvac-a"]),
])
def test_list_filters_and_ordering(world, query, expected):
    assert ids(client(staff=True).get(f"/api/registry/twins?{query}")) == expected


def test_cursor_pagination_walks_every_twin_once(world):
    api = client(staff=True)
    seen, url = [], "/api/registry/twins?limit=2"
    while url:
        page = api.get(url).json()
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
    assert seen == ["hvac-a", "lift-a", "lift-b"]


def test_detail_has_streams_card_dependencies_dependents_and_an_etag(world):
    response = client(Role.VIEWER).get("/api/registry/twins/hvac-a")
    body = response.json()
    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert body["dependents"] == [{"id": "lift-a", "kind": "static"}]
    lift = client(Role.VIEWER, name="viewer-2").get("/api/registry/twins/lift-a").json()
    assert lift["streams"][0]["topic"] == "dtp/lift/a/vibration"
    assert lift["dependencies"] == {"static": ["hvac-a"], "dynamic": []}
    assert lift["ui"]["name"] == "Lift A" and lift["source"] == "file"


def test_a_twin_of_another_tenant_is_a_404_like_a_missing_one(world):
    api = client(Role.ADMIN)
    for method in ("get", "patch", "delete"):
        other = getattr(api, method)("/api/registry/twins/lift-b", {"status": "active"}, format="json")
        missing = getattr(api, method)("/api/registry/twins/nope", {"status": "active"}, format="json")
        assert other.status_code == missing.status_code == 404
        assert "lift-b" not in other.content.decode()


# --- register ----------------------------------------------------------------------------------


def test_register_creates_the_twin_with_its_event_and_history(world):
    n_events = PortalEvent.objects.count()
    response = client(Role.ADMIN).post("/api/registry/twins", NEW_TWIN, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] == "pump-7" and body["source"] == "api" and response["ETag"] == '"1"'
    assert PortalEvent.objects.count() == n_events + 1
    event = PortalEvent.objects.order_by("id").last()
    assert (event.etype, event.tenant, event.payload["action"]) == ("twin.update", "tenant-a", "created")
    assert UpdateCmd.objects.get(twin_id="pump-7").source == "api:admin-tenant-a"


def test_register_an_existing_id_is_409_and_changes_nothing(world):
    n_events = PortalEvent.objects.count()
    body = {**NEW_TWIN, "@id": "hvac-a", "dependencies": {}}
    response = client(Role.ADMIN).post("/api/registry/twins", body, format="json")
    assert response.status_code == 409 and "hvac-a" in response.json()["detail"]
    assert PortalEvent.objects.count() == n_events


@pytest.mark.parametrize(("body", "field", "message"), [
    ({**NEW_TWIN, "colour": "red"}, "colour", "unknown key 'colour'"),
    ({**NEW_TWIN, "tenant": "Tenant A"}, "tenant", "tenant must be a lowercase slug"),
    ({**NEW_TWIN, "@id": "bad id!"}, "@id", "must start with a letter or digit"),
    ({**NEW_TWIN, "metadata": {"domain": "water"}}, "metadata.domain", "must be a list, got a string"),
    ({**NEW_TWIN, "dependencies": {"static": ["pump-7"]}}, "dependencies.static[0]", "cannot depend on itself"),
    ({**NEW_TWIN, "interfaces": {"data_streams": [5]}}, "interfaces.data_streams[0]", "must be a string"),
    ([1, 2], "", "a twin must be a JSON object"),
])
def test_register_refuses_bad_input_with_the_field_and_a_sentence(world, body, field, message):
    response = client(Role.ADMIN).post("/api/registry/twins", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert not Twin.objects.filter(pk="pump-7").exists()


def test_malformed_bodies_are_400_or_413_never_500(world, settings):
    api = client(Role.ADMIN)
    bad_utf8 = api.generic("POST", "/api/registry/twins", b'{"name": "\xff"}', content_type="application/json")
    assert bad_utf8.status_code == 400 and "not valid utf-8" in bad_utf8.json()["detail"]
    nan = api.generic("POST", "/api/registry/twins", b'{"name": NaN}', content_type="application/json")
    assert nan.status_code == 400
    deep = api.generic("POST", "/api/registry/twins", b"[" * 100_000 + b"]" * 100_000,
                       content_type="application/json")
    assert deep.status_code in (400, 413)
    settings.DTP_API_MAX_BODY_BYTES = 1000
    huge = api.post("/api/registry/twins", {**NEW_TWIN, "description": "x" * 5000}, format="json")
    assert huge.status_code == 413 and "1,000 bytes" in huge.json()["detail"]


def test_registering_needs_the_admin_role_on_the_tenant(world):
    assert client(Role.OPERATOR).post("/api/registry/twins", NEW_TWIN, format="json").status_code == 403
    assert client(Role.ADMIN, "tenant-b").post("/api/registry/twins", NEW_TWIN, format="json").status_code == 403


def test_a_read_only_token_is_refused_on_writes(world):
    api = client(Role.ADMIN, read_only=True)
    assert api.get("/api/registry/twins").status_code == 200
    response = api.post("/api/registry/twins", NEW_TWIN, format="json")
    assert response.status_code == 403 and response.json()["detail"] == "This API token is read-only."


# --- patch ----------------------------------------------------------------------------------


def test_status_health_and_runtime_each_have_one_place(world):
    api = client(Role.OPERATOR)
    patched = api.patch("/api/registry/twins/lift-a", {"runtime": {"firmware": "1.2"},
                                                       "health": {"status": "ok", "checked_by": "probe"}},
                        format="json").json()
    assert patched["runtime"]["firmware"] == "1.2" and patched["health"] == {"status": "ok", "checked_by": "probe"}

    in_runtime = api.patch("/api/registry/twins/lift-a", {"runtime": {"health": "ok", "status": "x"}}, format="json")
    assert in_runtime.status_code == 400
    error = in_runtime.json()["errors"][0]
    assert error["field"] == "runtime" and "top-level `health`" in error["message"]
    bad = api.patch("/api/registry/twins/lift-a", {"health": {"status": "fine"}}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "health"

    cleared = api.patch("/api/registry/twins/lift-a", {"health": None}, format="json").json()
    assert cleared["health"] is None and cleared["runtime"] == {"firmware": "1.2"}


def test_runtime_fields_of_a_file_twin_can_be_patched(world):
    n_events = PortalEvent.objects.count()
    response = client(Role.OPERATOR).patch("/api/registry/twins/lift-a",
                                           {"status": "maintenance", "health": {"status": "degraded"}},
                                           format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "maintenance" and body["health"] == {"status": "degraded"}
    assert "health" not in body["runtime"] and "status" not in body["runtime"]  # each value in one place
    assert body["metadata"].get("status", "active") == "active"  # the declared lifecycle stays the file's
    assert response["ETag"] == '"2"'
    assert PortalEvent.objects.count() == n_events + 1
    again = client(Role.OPERATOR, name="op2").patch("/api/registry/twins/lift-a", {"status": "maintenance"},
                                                    format="json")
    assert again.status_code == 200 and PortalEvent.objects.count() == n_events + 1  # no change, no event


def test_a_file_owned_field_is_409_with_the_files_path(world):
    response = client(Role.ADMIN).patch("/api/registry/twins/lift-a", {"name": "Renamed"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["source_path"] == str(world.root / "a" / "lift" / "twin.yaml") and body["fields"] == ["name"]
    assert Twin.objects.get(pk="lift-a").name == "Lift A"


def test_spec_fields_of_an_api_twin_are_replaced_and_validated(world):
    api = client(Role.ADMIN)
    api.post("/api/registry/twins", NEW_TWIN, format="json")
    response = api.patch("/api/registry/twins/pump-7", {"interfaces": {"data_streams": ["mqtt://dtp/pump/7/rpm"]},
                                                        "dependencies": {"dynamic": ["lift-a"]}}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [s["topic"] for s in body["streams"]] == ["dtp/pump/7/rpm"]
    assert body["dependencies"] == {"static": [], "dynamic": ["lift-a"]}
    bad = api.patch("/api/registry/twins/pump-7", {"metadata": {"status": "broken"}}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "metadata.status"
    fixed = api.patch("/api/registry/twins/pump-7", {"tenant": "tenant-b"}, format="json")
    assert fixed.status_code == 400 and fixed.json()["errors"][0]["field"] == "tenant"


def test_if_match_with_a_stale_etag_is_412_and_changes_nothing(world):
    api = client(Role.OPERATOR)
    etag = api.get("/api/registry/twins/lift-a")["ETag"]
    first = api.patch("/api/registry/twins/lift-a", {"status": "maintenance"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    second = api.patch("/api/registry/twins/lift-a", {"status": "inactive"}, format="json", HTTP_IF_MATCH=etag)
    assert second.status_code == 412
    assert Twin.objects.get(pk="lift-a").status == "maintenance"


def test_patch_refuses_unknown_fields_and_empty_bodies(world):
    api = client(Role.ADMIN)
    response = api.patch("/api/registry/twins/lift-a", {"colour": "red"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "colour"
    assert api.patch("/api/registry/twins/lift-a", {}, format="json").status_code == 400
    assert api.patch("/api/registry/twins/lift-a", {"status": "exploded"}, format="json").status_code == 400


def test_a_viewer_may_not_patch(world):
    assert client(Role.VIEWER).patch("/api/registry/twins/lift-a", {"status": "maintenance"},
                                     format="json").status_code == 403


# --- delete -----------------------------------------------------------------------------------


def test_soft_delete_deprecates_and_hard_delete_removes_an_api_twin(world):
    api = client(Role.ADMIN)
    api.post("/api/registry/twins", NEW_TWIN, format="json")
    assert api.delete("/api/registry/twins/pump-7?soft=true").status_code == 204
    assert Twin.objects.get(pk="pump-7").status == "deprecated"
    assert PortalEvent.objects.order_by("id").last().etype == "twin.delete"
    assert api.delete("/api/registry/twins/pump-7").status_code == 204
    assert not Twin.objects.filter(pk="pump-7").exists()
    assert UpdateCmd.objects.filter(twin_id="pump-7").first().kind == "delete"
    assert api.delete("/api/registry/twins/pump-7").status_code == 404


def test_deleting_a_file_twin_is_409_naming_the_file(world):
    response = client(Role.ADMIN).delete("/api/registry/twins/lift-a")
    assert response.status_code == 409 and response.json()["source_path"].endswith("a/lift/twin.yaml")


# --- history -----------------------------------------------------------------------------------


def test_history_is_newest_first_and_rebuilds_the_twin_at_a_time(world):
    api = client(Role.OPERATOR)
    api.patch("/api/registry/twins/lift-a", {"status": "maintenance"}, format="json")
    history = api.get("/api/registry/twins/lift-a/history").json()["results"]
    assert [h["kind"] for h in history] == ["runtime", "create"]
    assert history[0]["patch"] == [{"op": "add", "path": "/runtime/status", "value": "maintenance"}]
    created_at = history[1]["ts"]
    then = api.get(f"/api/registry/twins/lift-a/history?at={created_at}").json()
    assert then["revision"] == 1 and then["twin"]["runtime"] == {} and then["twin"]["name"] == "Lift A"
    assert api.get("/api/registry/twins/lift-a/history?at=2000-01-01T00:00:00Z").status_code == 404
    assert api.get("/api/registry/twins/lift-a/history?at=yesterday").status_code == 400


# --- services, events, spec errors, schema --------------------------------------------------------


def test_services_register_patch_and_a_health_change_emits_service_update(world):
    api = client(Role.OPERATOR)
    created = api.post("/api/registry/services", {"id": "ingest-a", "category": "ingest", "tenant": "tenant-a",
                                                  "interfaces": {"mqtt": "mqtt://broker:1883"},
                                                  "health": {"status": "ok"}}, format="json")
    assert created.status_code == 201, created.json()
    n_events = PortalEvent.objects.count()
    changed = api.patch("/api/registry/services/ingest-a", {"health": {"status": "down", "reason": "broker"}},
                        format="json", HTTP_IF_MATCH=created["ETag"])
    assert changed.status_code == 200 and changed.json()["health"]["status"] == "down"
    event = PortalEvent.objects.order_by("id").last()
    assert PortalEvent.objects.count() == n_events + 1
    assert (event.etype, event.tenant, event.payload["changed"]) == ("service.update", "tenant-a", ["health"])
    assert api.get("/api/registry/services").json()["results"][0]["id"] == "ingest-a"
    assert client(Role.VIEWER, "tenant-b").get("/api/registry/services/ingest-a").status_code == 404
    bad = api.post("/api/registry/services", {"category": "ingest", "health": {"status": "fine"}}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "health"
    assert api.post("/api/registry/services", {"category": "x"}, format="json").status_code == 403  # platform


def test_the_event_log_polls_since_an_id_within_the_callers_tenants(world):
    api = client(Role.VIEWER)
    first = api.get("/api/portal/events?limit=1").json()
    assert first["more"] is True and len(first["events"]) == 1
    rest = api.get(f"/api/portal/events?since={first['last_id']}").json()
    tenants = {e["tenant"] for e in first["events"] + rest["events"]}
    assert tenants == {"tenant-a"}
    assert api.get("/api/portal/events?since=abc").status_code == 400


def test_spec_errors_list_broken_files_of_the_callers_tenants(world, scan_cmd):
    world.write("a/bad/twin.yaml", "id: bad-a\nname: Bad\ntenant: tenant-a\ncolour: red\n")
    world.write("b/bad/twin.yaml", "id: bad-b\nname: Bad\ntenant: tenant-b\ncolour: red\n")
    scan_cmd(str(world.root))
    errors = client(Role.VIEWER).get("/api/registry/spec-errors").json()["results"]
    assert [(e["twin_id"], e["line"], e["column"]) for e in errors] == [("bad-a", 4, 1)]


def test_the_twin_schema_and_the_openapi_document_are_served(world):
    api = APIClient()
    schema = api.get("/api/registry/schema/twin.json")
    assert schema.status_code == 200 and schema.json()["$id"] == "urn:polyglot-dtp:schema:twin:1"
    openapi = api.get("/api/schema/?format=json")
    assert openapi.status_code == 200 and "/api/registry/twins/{twin_id}" in json.loads(openapi.content)["paths"]
    assert api.get("/api/docs/").status_code == 200


def test_create_and_revoke_token_commands(world):
    import io

    from django.core.management import call_command

    User.objects.create_user("ci-bot")
    out = io.StringIO()
    call_command("create_token", "ci-bot", "--read-only", stdout=out)
    raw = out.getvalue().split()[-1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/registry/twins").status_code == 200
    call_command("revoke_token", raw[4:12], stdout=io.StringIO())
    assert api.get("/api/registry/twins").status_code == 401
    assert not Service.objects.exists()


# --- tenants come from files or staff, never from a typo --------------------------------------


def test_registering_a_twin_in_an_unknown_tenant_is_a_400_naming_it_and_writes_nothing(world):
    from tenancy.models import Tenant

    before = (Twin.objects.count(), Tenant.objects.count(), PortalEvent.objects.count())
    typo = client(staff=True).post("/api/registry/twins", {**NEW_TWIN, "tenant": "tenant-aa"}, format="json")
    assert typo.status_code == 400
    error = typo.json()["errors"][0]
    assert error["field"] == "tenant" and "tenant-aa" in error["message"] and "create_tenant" in error["message"]
    service = client(staff=True, name="staff2").post(
        "/api/registry/services", {"category": "ingest", "tenant": "tenant-aa", "health": {"status": "ok"}},
        format="json")
    assert service.status_code == 400 and service.json()["errors"][0]["field"] == "tenant"
    assert (Twin.objects.count(), Tenant.objects.count(), PortalEvent.objects.count()) == before


def test_staff_create_a_tenant_explicitly_and_then_the_api_registers_twins_in_it(world):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("create_tenant", "tenant-c", "--name", "Tenant C", stdout=out)
    assert "created tenant 'tenant-c'" in out.getvalue()
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_tenant", "tenant-c", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a tenant slug"):
        call_command("create_tenant", "Not A Slug", stdout=io.StringIO())

    created = client(staff=True).post("/api/registry/twins", {**NEW_TWIN, "tenant": "tenant-c"}, format="json")
    assert created.status_code == 201 and created.json()["tenant"] == "tenant-c"


def test_a_grant_on_an_unknown_tenant_is_refused_and_creates_nothing(world):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tenancy.models import Tenant

    User.objects.create_user("alice")
    with pytest.raises(CommandError, match="no tenant 'tenant-typo'"):
        call_command("grant", "alice", "tenant-typo", "viewer", stdout=io.StringIO())
    assert not Tenant.objects.filter(slug="tenant-typo").exists()
