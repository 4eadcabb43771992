"""Portal pages of DTDL models: the model panel on a twin page and the Models page, scoped by tenant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from tenancy.models import Role
from tenancy.services import grant

pytestmark = pytest.mark.django_db

PUMP = {"@context": ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"],
        "@id": "dtmi:test:Pump;1", "@type": "Interface", "displayName": "Pump <b>model</b>",
        "contents": [{"@type": "Property", "name": "serial", "schema": "string", "writable": True},
                     {"@type": ["Telemetry", "Temperature"], "name": "bearing_temp", "schema": "double",
                      "unit": "degreeCelsius", "description": "Bearing temperature."}]}


@pytest.fixture
def world(tree, scan_cmd):
    models = Path(tree.root).parent / "models"
    models.mkdir()
    (models / "pump.json").write_text(json.dumps(PUMP))
    tree.twin("a", "pump-a", tenant="tenant-a", name="Pump A", extra="model: dtmi:test:Pump;1\n")
    tree.twin("b", "pump-b", tenant="tenant-b", name="Pump B", extra="model: dtmi:test:Pump;1\n")
    tree.twin("c", "plain-a", tenant="tenant-a", name="Plain A")
    assert scan_cmd(str(tree.root)).code == 0


def viewer(django_user_model, tenant: str = "tenant-a") -> Client:
    user = django_user_model.objects.create_user(f"viewer-{tenant}", password="x")
    grant(tenant, Role.VIEWER, user=user)
    client = Client()
    client.force_login(user)
    return client


def test_the_twin_page_shows_its_model_and_a_table_of_its_telemetry(world, django_user_model):
    html = viewer(django_user_model).get("/twins/pump-a/").content.decode()

    panel = html[html.index('id="model"'):]
    panel = panel[:panel.index("</section>")]
    assert 'data-field="model">dtmi:test:Pump;1<' in panel
    row = panel[panel.index('data-content="bearing_temp"'):panel.index("</tr>", panel.index('data-content="bearing_temp"'))]
    for cell in ("<td>Telemetry</td>", "<td>double</td>", "<td>degreeCelsius</td>", "<td>Bearing temperature.</td>"):
        assert cell in row
    assert "Property (writable)" in panel
    assert "Pump &lt;b&gt;model&lt;/b&gt;" in panel  # names from model files are escaped


def test_an_untyped_twin_page_has_no_model_panel(world, django_user_model):
    html = viewer(django_user_model).get("/twins/plain-a/").content.decode()
    assert 'id="model"' not in html


def test_the_models_page_lists_each_model_with_only_the_visible_twins(world, django_user_model):
    response = viewer(django_user_model).get("/models/")

    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('data-dtmi="dtmi:test:Pump;1"'):]
    section = section[:section.index("</section>")]
    assert 'href="/twins/pump-a/"' in section
    assert "pump-b" not in html and "Pump B" not in html
    assert 'data-field="twin-count">1<' in section


def test_the_models_page_needs_a_sign_in(world):
    response = Client().get("/models/")
    assert response.status_code == 302
    assert "next=/models/" in response["Location"]


def test_pages_added_for_models_carry_no_inline_script(world, django_user_model):
    client = viewer(django_user_model)
    for url in ("/models/", "/twins/pump-a/"):
        html = client.get(url).content.decode()
        assert "<script>" not in html and " onclick=" not in html


def test_a_broken_model_file_shows_on_the_spec_errors_page(tree, scan_cmd, django_user_model):
    models = Path(tree.root).parent / "models"
    models.mkdir()
    (models / "broken.json").write_text('{\n  "@id": "dtmi:test:X;1",\n  "@type": \n}\n')
    assert scan_cmd(str(tree.root)).code == 1
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("staff", password="x"))

    html = staff.get("/errors/").content.decode()

    assert f"{models / 'broken.json'}:4:1</code>" in html and "JSON syntax error" in html


def test_the_model_table_lists_telemetry_before_properties(world, django_user_model):
    html = viewer(django_user_model).get("/twins/pump-a/").content.decode()
    assert html.index('data-content="bearing_temp"') < html.index('data-content="serial"')
