"""The portal's alarm pages as a signed-in user sees them: the Alarms page, counts in the header and on
cards, the twin page's alarms and timeline, an incident on the dependency graph, the webhook endpoints
page; each scoped to the reader's tenants, and none with inline script or style (the site's CSP)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from alarms import services
from alarms.models import Incident
from alarms.webhooks.services import create_endpoint
from tenancy.models import Role
from tenancy.services import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, scan_cmd):
    tree.twin("a/lift", "lift-a", tenant="tenant-a", extra="dependencies: {static: [plant-a]}\n")
    tree.twin("a/plant", "plant-a", tenant="tenant-a")
    tree.twin("b/lift", "lift-b", tenant="tenant-b")
    scan_cmd(str(tree.root))
    plant, _ = services.raise_or_update(twin_id="plant-a", tenant="tenant-a", rule="overload", severity="critical",
                                        value=99.0)
    lift, _ = services.raise_or_update(twin_id="lift-a", tenant="tenant-a", rule="hot-room", severity="major",
                                       value=31.0)
    theirs, _ = services.raise_or_update(twin_id="lift-b", tenant="tenant-b", rule="secret-rule",
                                         severity="minor", value=1.0)
    return {"plant": plant, "lift": lift, "theirs": theirs}


def signed_in(role: Role, tenant: str = "tenant-a", name: str = "") -> Client:
    user = User.objects.create_user(name or f"{role.value}-{tenant}")
    grant(tenant, role, user=user)
    client = Client()
    client.force_login(user)
    return client


def assert_csp_clean(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html), "inline style or handler"


def test_the_alarms_page_lists_the_readers_alarms_with_buttons_for_operators(world):
    html = signed_in(Role.OPERATOR).get("/alarms/").content.decode()
    assert "hot-room" in html and "overload" in html and "secret-rule" not in html and "lift-b" not in html
    assert html.count('data-alarm-action="ack"') == 2 and "csrfmiddlewaretoken" in html
    assert_csp_clean(html)
    viewer = signed_in(Role.VIEWER, name="vera").get("/alarms/").content.decode()
    assert "hot-room" in viewer and "data-alarm-action" not in viewer


def test_the_alarms_page_filters(world):
    html = signed_in(Role.VIEWER).get("/alarms/?severity=critical").content.decode()
    assert "overload" in html and "hot-room" not in html
    html = signed_in(Role.VIEWER, name="v2").get("/alarms/?twin=lift-a&status=cleared").content.decode()
    assert "no alarms" in html


def test_counts_by_severity_are_in_the_header_and_the_counts_json_per_twin(world):
    client = signed_in(Role.VIEWER)
    html = client.get("/").content.decode()
    assert re.search(r'data-sev="critical"[^>]*>1<', html) and re.search(r'data-sev="minor"[^>]*>0<', html)
    assert 'data-alarm-count="lift-a"' in html
    counts = client.get("/alarms/counts.json").json()
    assert counts["total"] == {"critical": 1, "major": 1, "minor": 0, "warning": 0}
    assert counts["twins"] == {"plant-a": {"critical": 1}, "lift-a": {"major": 1}}
    services.clear_by_rule(twin_id="lift-a", rule="hot-room")
    assert client.get("/alarms/counts.json").json()["twins"] == {"plant-a": {"critical": 1}}


def test_the_twin_page_shows_its_alarms_and_their_timeline(world):
    client = signed_in(Role.OPERATOR)
    services.acknowledge(world["lift"].id, User.objects.get(username="operator-tenant-a"))
    html = client.get("/twins/lift-a/").content.decode()
    section = html[html.index("data-twin-alarms"):]
    assert "hot-room" in section and "overload" not in section.split("</section>")[0]
    assert "ack (major) by operator-tenant-a" in section and "raise (major)" in section
    assert_csp_clean(html)


def test_an_incident_shows_its_twins_on_the_graph_and_is_404_for_another_tenant(world):
    incident = Incident.objects.filter(tenant="tenant-a").first()
    if incident is None:
        pytest.fail("the two alarms on dependent twins were not correlated into an incident")
    html = signed_in(Role.VIEWER).get(f"/incidents/{incident.id}/").content.decode()
    assert 'data-node="plant-a"' in html and "node-alarmed" in html
    assert f"<code>{incident.probable_cause_id}</code>" in html
    assert_csp_clean(html)
    assert signed_in(Role.ADMIN, "tenant-b").get(f"/incidents/{incident.id}/").status_code == 404


@override_settings(DTP_WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_the_webhooks_page_shows_a_tenants_endpoints_and_redeliver_only_to_its_admins(world):
    create_endpoint(tenant="tenant-a", url="http://127.0.0.1:9/a?token=s3cret", events=["alarm.raise"],
                    min_severity="warning")
    create_endpoint(tenant="tenant-b", url="http://127.0.0.1:9/b", events=["alarm.raise"], min_severity="warning")
    admin = signed_in(Role.ADMIN).get("/webhooks/").content.decode()
    assert "127.0.0.1:9/a?token=s3cret" in admin and "127.0.0.1:9/b" not in admin
    assert_csp_clean(admin)
    viewer = signed_in(Role.VIEWER, name="vera").get("/webhooks/").content.decode()
    assert "s3cret" not in viewer and "127.0.0.1:9/a" in viewer


def test_anonymous_visitors_are_sent_to_sign_in(world):
    for path in ("/alarms/", "/alarms/counts.json", "/webhooks/"):
        assert Client().get(path).status_code == 302
