"""The REST API of DTDL models: /api/registry/models, ?model= on twins, the twin as an Azure digital twin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token

pytestmark = pytest.mark.django_db

BASE = {"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Machine;1", "@type": "Interface",
        "displayName": "Machine",
        "contents": [{"@type": "Property", "name": "name", "schema": "string"},
                     {"@type": "Property", "name": "site", "schema": "string"}]}
PUMP = {"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"],
        "@id": "dtmi:test:Pump;1", "@type": "Interface", "extends": "dtmi:test:Machine;1", "displayName": "Pump",
        "contents": [{"@type": ["Telemetry", "Temperature"], "name": "temp", "schema": "double",
                      "unit": "degreeCelsius", "description": "Bearing temperature."}]}


@pytest.fixture
def world(tree, scan_cmd):
    models = Path(tree.root).parent / "models"
    models.mkdir()
    (models / "m.json").write_text(json.dumps([BASE, PUMP]))
    stream = "interfaces:\n  data_streams: [{uri: mqtt://dtp/p/temp, signal: temp, unit: C}]\n"
    tree.twin("a/pump", "pump-a", tenant="tenant-a", extra="model: dtmi:test:Pump;1\nmetadata: {site: north}\n"
                                                            + stream)
    tree.twin("a/machine", "machine-a", tenant="tenant-a", extra="model: dtmi:test:Machine;1\n")
    tree.twin("b/pump", "pump-b", tenant="tenant-b", extra="model: dtmi:test:Pump;1\n" + stream)
    tree.twin("a/plain", "plain-a", tenant="tenant-a")
    result = scan_cmd(str(tree.root))
    assert result.code == 0, result.err
    return tree


def client(role: Role | None = Role.VIEWER, tenant: str = "tenant-a") -> APIClient:
    user = User.objects.create_user(f"{role.value if role else 'nobody'}-{tenant}")
    if role:
        grant(tenant, role, user=user)
    _, raw = create_token(user, read_only=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


def test_the_model_list_shows_each_model_with_only_the_twins_the_reader_may_see(world):
    response = client().get("/api/registry/models")

    assert response.status_code == 200
    models = {m["dtmi"]: m for m in response.json()["results"]}
    assert set(models) == {"dtmi:test:Machine;1", "dtmi:test:Pump;1"}
    assert models["dtmi:test:Pump;1"]["twins"] == ["pump-a"]  # pump-b is tenant B's
    assert models["dtmi:test:Pump;1"]["ancestors"] == ["dtmi:test:Pump;1", "dtmi:test:Machine;1"]
    assert models["dtmi:test:Pump;1"]["status"] == "active"


def test_a_model_is_served_as_written_with_its_expanded_contents(world):
    response = client(tenant="tenant-b").get("/api/registry/models/dtmi:test:Pump;1")

    assert response.status_code == 200
    body = response.json()
    assert body["document"] == PUMP
    contents = {c["name"]: c for c in body["contents"]}
    assert set(contents) == {"name", "site", "temp"}
    temp = contents["temp"]
    assert (temp["kind"], temp["unit"], temp["schema"], temp["semantic_type"], temp["description"]) == (
        "Telemetry", "degreeCelsius", "double", "Temperature", "Bearing temperature.")
    assert contents["site"]["defined_in"] == "dtmi:test:Machine;1"
    assert body["twins"] == ["pump-b"]


def test_an_unknown_model_is_a_404_with_a_sentence(world):
    response = client().get("/api/registry/models/dtmi:test:Nothing;1")
    assert response.status_code == 404
    assert "GET /api/registry/models" in json.dumps(response.json())


def test_the_twin_list_filters_by_model_including_models_that_extend_it(world):
    api = client()

    of_machine = api.get("/api/registry/twins", {"model": "dtmi:test:Machine;1"}).json()["results"]
    of_pump = api.get("/api/registry/twins", {"model": "dtmi:test:Pump;1"}).json()["results"]

    assert sorted(t["id"] for t in of_machine) == ["machine-a", "pump-a"]
    assert [t["id"] for t in of_pump] == ["pump-a"]
    assert of_pump[0]["model"] == "dtmi:test:Pump;1"


def test_the_twin_detail_names_its_model_and_untyped_twins_name_none(world):
    api = client()
    assert api.get("/api/registry/twins/pump-a").json()["model"] == "dtmi:test:Pump;1"
    assert api.get("/api/registry/twins/plain-a").json()["model"] == ""


def test_a_twin_as_an_azure_digital_twin(world):
    response = client().get("/api/registry/twins/pump-a/dtdl")

    assert response.status_code == 200
    body = response.json()
    assert body["$dtId"] == "pump-a" and body["$metadata"] == {"$model": "dtmi:test:Pump;1"}
    assert body["$etag"].startswith('W/"')
    assert {k: v for k, v in body.items() if not k.startswith("$")} == {"name": "Pump-A", "site": "north"}


def test_an_untyped_twin_is_served_with_the_generated_model(world):
    body = client().get("/api/registry/twins/plain-a/dtdl").json()
    assert body["$metadata"] == {"$model": "dtmi:polyglotdtp:generated:UntypedTwin;1"}
    assert body["tenant"] == "tenant-a"


def test_another_tenants_twin_is_not_found_as_a_digital_twin(world):
    assert client().get("/api/registry/twins/pump-b/dtdl").status_code == 404


def test_without_a_grant_the_models_show_no_twins(world):
    response = client(role=None).get("/api/registry/models")
    assert response.status_code == 200
    assert [m["twins"] for m in response.json()["results"]] == [[], []]


def test_the_openapi_schema_describes_the_model_routes(world):
    schema = client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/registry/models", "/api/registry/models/{dtmi}",
            "/api/registry/twins/{twin_id}/dtdl"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/registry/twins"]["get"]["parameters"]}
    assert "model" in params
