"""The event log's filters, the twin page's spec text, and the small things every page needs."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from registry.models import PortalEvent
from registry.reconcile import update_runtime, update_runtime_many

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(staff_client):
    return staff_client  # this module's pages, read as staff (tests/conftest.py)


@pytest.fixture
def twins(tree, scan_cmd):
    tree.twin("lift", "lift-001", name="Lift 1", extra="# the lift, as written\nmetadata:\n  domain: [lift]\n")
    tree.twin("hvac", "hvac-1", name="HVAC", tenant="globex")
    assert scan_cmd(str(tree.root)).code == 0
    return tree


def event_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-event-id="(\d+)"', html)]


def stored(**match) -> list[int]:
    return sorted((e.id for e in PortalEvent.objects.filter(**match)), reverse=True)


def test_heartbeats_stay_out_of_the_event_log_unless_asked_for(client, twins):
    update_runtime_many({"lift-001": {"last_seen": "2026-11-26T07:00:00+00:00"}}, source="ingest")
    beat = PortalEvent.objects.order_by("-id").first()
    assert beat.payload["runtime_changed"] == ["last_seen"]

    default = event_ids(client.get("/events/").content.decode())
    asked = event_ids(client.get("/events/?heartbeats=1").content.decode())
    assert beat.id not in default and beat.id in asked
    assert set(default) == set(stored()) - {beat.id}  # every other event is there


def test_the_event_log_filters_by_tenant_twin_type_and_source(client, twins, scan_cmd):
    update_runtime("lift-001", {"status": "maintenance"}, source="service:test")
    twins.write("broken/twin.yaml", "id: bad-1\nname: Bad\ntenant: acme\ncolour: red\n")
    scan_cmd(str(twins.root))

    def shown(query: str) -> list[int]:
        return event_ids(client.get(f"/events/?{query}").content.decode())

    assert shown("tenant=globex") == stored(tenant="globex")
    assert shown("twin=lift-001") == stored(twin_id="lift-001")
    assert shown("type=spec.error") == stored(etype="spec.error") != []
    assert shown("source=runtime") == stored(payload__action="runtime") != []
    files = shown("source=file")
    assert set(stored(etype="spec.error")) <= set(files) and not set(files) & set(stored(payload__action="runtime"))
    html = client.get("/events/?twin=lift-001&type=twin.update").content.decode()
    assert 'name="twin" value="lift-001"' in html and "<option selected>twin.update</option>" in html
    assert "<h1>Event log" in html


def test_the_rows_fragment_lists_what_is_newer_and_matches(client, twins):
    last = PortalEvent.objects.order_by("-id").first().id
    update_runtime("lift-001", {"status": "maintenance"}, source="test")
    update_runtime("hvac-1", {"status": "maintenance"}, source="test")

    rows = client.get(f"/events/rows/?after={last}&twin=hvac-1").content.decode()
    assert event_ids(rows) == stored(twin_id="hvac-1", id__gt=last) and len(event_ids(rows)) == 1
    assert '<td class="nowrap">globex</td>' in rows  # ids and tenants do not wrap


def test_the_twin_page_shows_the_yaml_as_written_with_its_path(client, twins):
    with override_settings(DTP_TWINS_ROOTS=[str(twins.root)]):
        html = client.get("/twins/lift-001/").content.decode()
    assert "# the lift, as written" in html and str(twins.root / "lift" / "twin.yaml") in html


def test_a_spec_file_outside_the_roots_is_not_read_and_the_registered_spec_is_shown(client, twins, tmp_path):
    with override_settings(DTP_TWINS_ROOTS=[str(tmp_path / "elsewhere")]):
        html = client.get("/twins/lift-001/").content.decode()
    assert "# the lift, as written" not in html and "the file cannot be shown" in html
    assert "&quot;domain&quot;" in html  # the stored spec, as JSON


def test_a_twin_created_through_the_api_shows_its_spec_as_json(client, twins):
    created = client.post("/api/registry/twins", {"id": "api-1", "name": "From the API", "tenant": "acme",
                                                  "metadata": {"domain": ["x"]}}, content_type="application/json")
    assert created.status_code == 201, created.content
    html = client.get("/twins/api-1/").content.decode()
    assert "created through the REST API" in html and "&quot;metadata&quot;" in html


def test_every_page_has_an_icon_and_no_labelled_plain_div(client, twins):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"].endswith("portal/favicon.svg")
    for path in ("/", "/?view=table", "/events/", "/errors/", "/twins/lift-001/"):
        html = client.get(path).content.decode()
        assert not re.search(r"<div[^>]*aria-label", html), path
    assert re.search(r"<h1[^>]*>", client.get("/").content.decode())


def test_the_api_docs_link_back_to_the_portal(client):
    html = client.get("/api/docs/").content.decode()
    assert 'href="/">← Back to the portal</a>' in html and "swagger-ui" in html


def test_the_portal_and_alarms_never_scope_a_query_themselves():
    """Scoping is the querysets' visible_to (registry.models) and registry.selectors: one place, as the API."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    scoping = [f"{p.relative_to(root)}:{n}" for app in ("portal", "alarms") for p in (root / app).rglob("*.py")
               for n, line in enumerate(p.read_text().splitlines(), 1)
               if "twin_filter(" in line or "tenant_filter(" in line]
    assert scoping == []


def test_a_page_filtered_to_a_tenant_streams_it_unless_the_reader_cannot_see_it(twins, django_user_model):
    from tenancy.services import grant

    viewer = django_user_model.objects.create_user("viewer", password="x")
    grant("acme", "viewer", user=viewer)
    client = Client()
    client.force_login(viewer)

    assert "tenant=acme" in re.search(r'data-stream-url="([^"]+)"', client.get("/?tenant=acme").content.decode())[1]
    foreign = client.get("/?tenant=globex").content.decode()
    assert "tenant=" not in re.search(r'data-stream-url="([^"]+)"', foreign)[1]
    assert 'data-twin-id="hvac-1"' not in foreign and "No twins match these filters" in foreign


def test_the_event_log_pages_back_through_older_events(client, twins):
    from portal import eventlog

    for n in range(eventlog.LIMIT + 5):
        update_runtime("lift-001", {"counter": n}, source="test")
    html = client.get("/events/?twin=lift-001").content.decode()
    newest = event_ids(html)
    assert len(newest) == eventlog.LIMIT
    older = re.search(r'<a rel="next" href="([^"]+)">Older', html)[1].replace("&amp;", "&")
    assert older == f"?twin=lift-001&before={newest[-1]}"
    rest = event_ids(client.get(f"/events/{older}").content.decode())
    assert rest == stored(twin_id="lift-001", id__lt=newest[-1])
    assert len(newest) + len(rest) == len(stored(twin_id="lift-001"))
