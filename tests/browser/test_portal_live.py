"""In a real browser: the portal follows file edits, runtime changes and server restarts without reloading."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from registry.reconcile import update_runtime
from tenancy.models import Role
from tenancy.services import grant
from tenancy.tokens import create_token
from tests.browser.server import AsgiServer


def patch_status(server: AsgiServer, twin_id: str, status: str) -> int:
    from django.contrib.auth.models import User

    operator = User.objects.create_user(f"operator-{status}")
    grant("acme", Role.OPERATOR, user=operator)
    _, token = create_token(operator)
    request = urllib.request.Request(f"{server.url}/api/registry/twins/{twin_id}", method="PATCH",
                                     data=json.dumps({"status": status}).encode(),
                                     headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WAIT = 20_000  # ms; generous, the watcher and the stream each take well under a second


@pytest.fixture
def portal(db_env, tree, manage):
    """Two twins on disk, the web server and the watcher on the test database (no Redis: make run's default)."""
    tree.twin("lift", "lift-001", name="Lift 1", extra="metadata:\n  domain: [lift]\ndependencies:\n  static: [hvac-1]\n")
    tree.twin("hvac", "hvac-1", name="HVAC plant", extra="metadata:\n  domain: [energy]\n")
    db_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the servers keep Django's guard
    # Demo mode: the page opens without signing in (sign-in itself is covered by test_make_run).
    env = {**db_env, "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "2",
           "DTP_DEMO_MODE": "true"}
    server = AsgiServer(env).start()  # its start-up scan registers the twins
    watcher = manage("scan_twins", "--watch", str(tree.root))
    assert "Watching" in watcher.stdout.readline() or "Watching" in watcher.stdout.readline()
    yield server
    server.stop()


def card(page, twin_id: str):
    return page.locator(f'.card[data-twin-id="{twin_id}"]')


def test_cards_follow_file_edits_runtime_changes_and_a_server_restart(page, portal, tree, artifacts):
    page.goto(portal.url + "/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    page.evaluate("window.__notReloaded = true")
    lift = card(page, "lift-001")
    expect(lift.locator('[data-field="name"]')).to_have_text("Lift 1")

    # A twin.yaml edited on disk while the watcher runs.
    tree.twin("lift", "lift-001", name="Lift One",
              extra="metadata:\n  domain: [lift]\n  status: maintenance\ndependencies:\n  static: [hvac-1]\n")
    expect(lift.locator('[data-field="name"]')).to_have_text("Lift One", timeout=WAIT)
    expect(lift.locator('[data-field="status"]')).to_have_text("maintenance", timeout=WAIT)

    # A status PATCHed through the REST API, as an operator's script does.
    assert patch_status(portal, "lift-001", "inactive") == 200
    expect(lift.locator('[data-field="status"]')).to_have_text("inactive", timeout=WAIT)

    # A twin that appears while the page is open is not on this page (pages are server-side): the page says so.
    tree.twin("evil", "evil-1", tenant="globex", name="<img src=x onerror=alert(1)>")
    expect(page.locator("#offpage")).to_contain_text("1 twin not on this page", timeout=WAIT)
    expect(card(page, "evil-1")).to_have_count(0)

    # A broken file shows in the spec errors panel until it is fixed.
    tree.write("broken/twin.yaml", "id: bad-1\nname: Bad\ntenant: acme\ncolour: red\n")
    errors = page.locator("#spec-error-list li")
    expect(errors).to_have_count(1, timeout=WAIT)
    expect(errors.first).to_contain_text("colour")
    expect(errors.first.locator("code")).to_contain_text("broken/twin.yaml:4")
    page.screenshot(path=str(artifacts / "portal-home.png"), full_page=True)
    tree.write("broken/twin.yaml", "id: bad-1\nname: Bad\ntenant: acme\n")
    expect(errors).to_have_count(0, timeout=WAIT)
    expect(page.locator("#spec-errors")).to_be_hidden()

    # The server goes away; a change lands while it is down; it comes back on the same port.
    portal.stop()
    expect(page.locator("#conn")).not_to_have_attribute("data-state", "connected", timeout=WAIT)
    update_runtime("lift-001", {"status": "active"}, source="api:test")
    portal.start()
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    expect(lift.locator('[data-field="status"]')).to_have_text("active", timeout=WAIT)
    assert page.evaluate("window.__notReloaded") is True

    # Reloading shows the new twin's card, its name escaped.
    page.locator("#offpage a").click()
    expect(card(page, "evil-1").locator('[data-field="name"]')).to_have_text("<img src=x onerror=alert(1)>",
                                                                              timeout=WAIT)
    expect(page.locator("img[src=x]")).to_have_count(0)


def test_twin_page_updates_in_place_and_draws_its_dependencies(page, portal, tree, artifacts):
    page.goto(portal.url + "/twins/lift-001/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    expect(page.locator("svg.graph .node-static")).to_have_count(1)
    expect(page.locator("[data-badge=db] em")).to_have_text("ok")

    update_runtime("lift-001", {"status": "maintenance", "last_seen": "2026-11-25T04:00:00Z"},
             source="service:ingest")
    expect(page.locator('.twin-head [data-field="status"]')).to_have_text("maintenance", timeout=WAIT)
    expect(page.locator("#twin-events li").first).to_contain_text("twin.update", timeout=WAIT)
    expect(page.locator('[data-field="runtime"]')).to_contain_text("last_seen")
    page.screenshot(path=str(artifacts / "portal-twin.png"), full_page=True)
