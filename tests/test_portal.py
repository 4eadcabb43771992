"""Portal pages over HTTP: cards, twin page, spec errors, events, header badges."""

from __future__ import annotations

import re
import socket

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from portal import health
from registry.models import PortalEvent
from registry.reconcile import update_runtime
from tests.conftest import require_service

pytestmark = pytest.mark.django_db

LIFT = """
metadata:
  domain: [lift]
  status: active
interfaces:
  data_streams:
    - uri: mqtt://dtp/lift/lift-001/vibration
dependencies:
  static: [hvac-1]
  dynamic: [ghost-9]
ui:
  url: http://localhost:3001/
"""


@pytest.fixture
def client(staff_client):
    return staff_client  # this module's pages, read as staff (tests/conftest.py)


@pytest.fixture
def twins(tree, scan_cmd):
    tree.twin("lift", "lift-001", name="Lift 1", extra=LIFT)
    tree.twin("hvac", "hvac-1", name="HVAC", extra="metadata:\n  domain: [energy]\n")
    tree.twin("evil", "evil-1", tenant="globex", name="<script>alert(1)</script>")
    assert scan_cmd(str(tree.root)).code == 0
    return tree


def test_home_groups_cards_by_tenant_and_domain_with_their_facts(client, twins):
    html = client.get("/").content.decode()

    assert html.index('data-tenant="acme"') < html.index('data-tenant="globex"')
    assert 'data-domain="energy"' in html and 'data-domain="lift"' in html
    card = html[html.index('data-twin-id="lift-001"'):]
    card = card[:card.index("</article>")]
    for fact in ('data-field="streams">1<', 'data-field="dependencies">2<', 'data-field="status">active<',
                 'href="http://localhost:3001/"', 'data-field="last_seen">never<'):
        assert fact in card


def test_spec_strings_are_escaped(client, twins):
    html = client.get("/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_carries_a_stream_url_that_resumes_from_its_render(client, twins):
    last = PortalEvent.objects.order_by("-id").first().id
    html = client.get("/").content.decode()

    assert f'data-stream-url="/api/portal/stream?lastEventId=all%3A{last}"' in html


def test_twin_page_shows_graph_dependents_streams_and_history(client, twins):
    update_runtime("lift-001", {"status": "maintenance"}, source="service:ingest")
    html = client.get("/twins/lift-001/").content.decode()

    assert "<svg" in html and "hvac-1" in html and "ghost-9" in html and "node-missing" in html
    assert "dtp/lift/lift-001/vibration" in html
    assert "service:ingest" in html and "runtime" in html  # history from UpdateCmd
    hvac = client.get("/twins/hvac-1/").content.decode()
    assert 'href="/twins/lift-001/"' in hvac  # lift depends on hvac: a dependent
    assert client.get("/twins/nope/").status_code == 404


def test_spec_errors_panel_lists_a_broken_file_until_it_is_fixed(client, twins, scan_cmd):
    broken = twins.write("broken/twin.yaml", "id: bad-1\nname: Bad\ntenant: acme\ncolour: red\n")
    scan_cmd(str(twins.root))
    html = client.get("/errors/").content.decode()
    assert str(broken) in html and "colour" in html

    twins.write("broken/twin.yaml", "id: bad-1\nname: Bad\ntenant: acme\n")
    scan_cmd(str(twins.root))
    html = client.get("/errors/").content.decode()
    assert "colour" not in html and "No spec errors" in html


def test_events_page_lists_the_log_newest_first(client, twins):
    update_runtime("hvac-1", {"status": "maintenance"}, source="service:test")
    html = client.get("/events/").content.decode()

    newest = PortalEvent.objects.order_by("-id").first()
    assert html.index(f'data-event-id="{newest.id}"') < html.index(f'data-event-id="{newest.id - 1}"')


def badge(key: str) -> health.Badge:
    return next(b for b in health.check_all() if b.key == key)


def test_badges_show_unconfigured_stores_as_such_and_check_the_database(twins):
    with override_settings(INFLUX_URL="", NEO4J_URL="", MINIO_ENDPOINT="", MQTT_URL="", REDIS_URL=""):
        states = {b.key: b.state for b in health.check_all()}
    assert states["db"] == "ok" and states["backend"] == "ok"
    assert states["influx"] == states["neo4j"] == states["minio"] == states["mqtt"] == states["redis"] == "off"
    scanner = badge("scanner")
    assert scanner.state == "ok" and "3 files, 0 errors" in scanner.detail


def test_a_configured_store_that_does_not_answer_is_down():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connection refused
        with override_settings(INFLUX_URL=f"http://127.0.0.1:{port}", DTP_HEALTH_TIMEOUT=0.5):
            assert badge("influx").state == "down"


def test_the_mqtt_badge_speaks_mqtt_to_the_broker():
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        require_service("Mosquitto on 127.0.0.1:1883")
    with override_settings(MQTT_URL="mqtt://127.0.0.1:1883"):
        assert badge("mqtt").state == "ok"


def test_health_json_refuses_anonymous_readers_in_json_like_all_of_api(twins):
    anonymous = Client().get("/api/portal/health")
    assert anonymous.status_code == 401 and anonymous["Content-Type"] == "application/json"
    assert "Sign in" in anonymous.json()["detail"]


def test_health_json_is_what_pages_fetch_after_a_reconnect(client, twins):
    body = client.get("/api/portal/health").json()
    assert {b["key"] for b in body["badges"]} >= {"backend", "db", "scanner", "influx", "neo4j", "minio", "mqtt"}
    assert body["health"] in ("ok", "down")


def test_prune_events_keeps_the_window_and_records_the_mark(twins):
    n = PortalEvent.objects.count()
    call_command("prune_events", "--days", "1")
    assert PortalEvent.objects.count() == n
    call_command("prune_events", "--days", "0")
    assert PortalEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)  # the writer has a connection of its own: it must see committed rows
def test_the_twin_page_charts_recent_observations_and_lists_alerts(client, twins, django_user_model):
    from django.db import connection

    from dataplane.writers.sql import SqlWriter

    with connection.cursor() as cursor:  # plain tables: the test flush does not empty them
        for table in ("observation", "signal", "event_log"):
            cursor.execute(f"DELETE FROM {table}")
    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    writer.write([{"k": "obs", "time": f"2026-11-26T07:00:0{i}+00:00", "twin": "lift-001", "signal": "vibration_rms",
                   "value": v, "unit": "mm/s", "quality": "good"} for i, v in enumerate([1.0, 3.0, 2.0])]
                 + [{"k": "event", "time": "2026-11-26T07:00:05+00:00", "twin": "lift-001", "severity": "critical",
                     "kind": "alert", "body": {"message": "RMS <b>high</b>"}}])
    writer.close()

    html = client.get("/twins/lift-001/").content.decode()
    chart = html[html.index('data-signal="vibration_rms"'):]
    chart = chart[:chart.index("</figure>")]
    assert 'data-part="last">2<' in chart and "3 points, 1 – 3" in chart and "mm/s" in chart
    assert 'data-part="plot" data-unit="mm/s"' in chart and "RMS &lt;b&gt;high&lt;/b&gt;" in html  # alert text is escaped

    data = client.get("/twins/lift-001/observations.json").json()
    assert [(c["signal"], c["count"], c["last"]) for c in data["charts"]] == [("vibration_rms", 3, 2.0)]
    assert data["alerts"][0]["severity"] == "critical"

    outsider = Client()
    outsider.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert outsider.get("/twins/lift-001/observations.json").status_code == 404


def test_a_grant_on_one_twin_shows_that_twin_and_nothing_else_of_its_tenant(twins, django_user_model):
    from tenancy.models import Role
    from tenancy.services import grant

    holder = django_user_model.objects.create_user("one-twin", password="x")
    grant("acme", Role.VIEWER, user=holder, twin_id="hvac-1")
    update_runtime("lift-001", {"status": "maintenance"}, source="test")
    update_runtime("hvac-1", {"status": "maintenance"}, source="test")
    page = Client()
    page.force_login(holder)

    home = page.get("/").content.decode()
    assert 'data-twin-id="hvac-1"' in home and 'data-twin-id="lift-001"' not in home
    assert page.get("/twins/hvac-1/").status_code == 200
    assert page.get("/twins/lift-001/").status_code == 404
    events = page.get("/events/").content.decode()
    assert "hvac-1" in events and "lift-001" not in events and "evil-1" not in events
    rows = page.get("/api/portal/events").json()["events"]
    assert rows and "lift-001" not in str(rows) and "hvac-1" in str(rows)


def test_cards_show_the_ingests_liveness(client, twins):
    card = lambda html: html[html.index('data-twin-id="lift-001"'):].split("</article>")[0]  # noqa: E731
    assert 'data-field="liveness" title="data: receiving, stale or silent">no data<' in card(client.get("/").content.decode())
    update_runtime("lift-001", {"liveness": "stale", "last_seen": "2026-11-26T07:00:00+00:00"}, source="ingest")
    html = card(client.get("/").content.decode())
    assert 'class="live live-stale"' in html and ">stale<" in html and "2026-11-26T07:00:00+00:00" in html


@pytest.mark.django_db(transaction=True)
def test_the_server_itself_serves_static_files_with_caching_headers(db_env):
    import urllib.error
    import urllib.request

    from tests.browser.server import AsgiServer

    server = AsgiServer({**db_env, "DTP_SCAN_ON_START": "false", "DTP_HEALTH_INTERVAL": "3600"}).start()
    try:
        reply = urllib.request.urlopen(f"{server.url}/static/portal/portal.css", timeout=30)
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/css")
        assert "max-age" in reply.headers.get("Cache-Control", "")  # whitenoise, not Django's dev handler
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{server.url}/static/portal/nothing-here.css", timeout=30)
        assert missing.value.code == 404
    finally:
        server.stop()


def test_the_graph_draws_another_tenants_twin_exactly_like_a_missing_one(tree, scan_cmd, django_user_model):
    from tenancy.services import grant

    tree.twin("lift", "lift-a", extra="dependencies:\n  static: [secret-b, ghost-b]\n")
    tree.twin("other", "secret-b", tenant="globex")
    assert scan_cmd(str(tree.root)).code == 0
    viewer = django_user_model.objects.create_user("viewer", password="x")
    grant("acme", "viewer", user=viewer)
    client = Client()
    client.force_login(viewer)

    html = client.get("/twins/lift-a/").content.decode()

    def node(twin_id: str) -> str:
        start = html.rindex("<g ", 0, html.index(f"<title>{twin_id} "))
        drawn = html[start:html.index("</g>", start)].replace(twin_id, "ID")
        return re.sub(r' y="\d+"', "", drawn)  # one row below the other

    assert node("secret-b") == node("ghost-b") and "node-missing" in node("secret-b")
    assert "/twins/secret-b/" not in html
    assert client.get("/twins/secret-b/").status_code == 404
