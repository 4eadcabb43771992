"""In a real browser: an operator acknowledges an alarm on the Alarms page, and alarms raised while pages
are open appear there and in the cards' and header's counts without a reload (over the SSE stream)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from alarms import services
from alarms.models import Alarm
from tenancy.models import Role
from tenancy.services import grant
from tests.browser.server import AsgiServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WAIT = 20_000  # ms


@pytest.fixture
def portal(db_env, tree):
    tree.twin("lift", "lift-001", name="Lift 1", extra="dependencies:\n  static: [hvac-1]\n")
    tree.twin("hvac", "hvac-1", name="HVAC plant")
    tree.twin("other", "lift-x", tenant="globex", name="Their lift")
    db_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env = {**db_env, "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "2"}
    server = AsgiServer(env).start()  # its start-up scan registers the twins
    operator = User.objects.create_user("olga", password="a long test password")
    grant("acme", Role.OPERATOR, user=operator)
    yield server
    server.stop()


def sign_in(page, server: AsgiServer) -> None:
    page.goto(server.url + "/accounts/login/")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", "a long test password")
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(server.url + "/")


def test_an_operator_acknowledges_and_counts_follow_new_alarms_live(page, portal, artifacts):
    from registry.models import Twin
    from tests.browser.server import wait_until

    wait_until(lambda: Twin.objects.filter(id="hvac-1").exists(), what="the start-up scan")
    hot, _ = services.raise_or_update(twin_id="lift-001", tenant="acme", rule="hot-room", severity="major",
                                      value=31.0)
    services.raise_or_update(twin_id="lift-x", tenant="globex", rule="theirs", severity="critical", value=1.0)
    sign_in(page, portal)

    page.goto(portal.url + "/alarms/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    page.evaluate("window.__notReloaded = true")
    row = page.locator(f'tr[data-alarm-id="{hot.id}"]')
    expect(page.locator("tr[data-alarm-id]")).to_have_count(1)
    row.locator('[data-alarm-action="ack"]').click()
    expect(row.locator('[data-cell="acknowledged"]')).to_have_text("yes", timeout=WAIT)
    expect(row.locator('[data-alarm-action="ack"]')).to_be_hidden()
    assert Alarm.objects.get(pk=hot.id).acknowledged_by.username == "olga"

    # Raised while the page is open: a new row arrives over the stream, and the header count moves.
    plant, _ = services.raise_or_update(twin_id="hvac-1", tenant="acme", rule="overload", severity="critical",
                                        value=99.0)
    expect(page.locator(f'tr[data-alarm-id="{plant.id}"] [data-cell="status"]')).to_have_text("active",
                                                                                             timeout=WAIT)
    expect(page.locator('[data-alarm-counts] [data-sev="critical"]')).to_have_text("1", timeout=WAIT)
    # The live row has its buttons too: clearing it from there works like any other.
    page.locator(f'tr[data-alarm-id="{plant.id}"] [data-alarm-action="clear"]').click()
    expect(page.locator(f'tr[data-alarm-id="{plant.id}"] [data-cell="status"]')).to_have_text("cleared",
                                                                                             timeout=WAIT)
    expect(page.locator('[data-alarm-counts] [data-sev="critical"]')).to_have_text("0", timeout=WAIT)
    plant, _ = services.raise_or_update(twin_id="hvac-1", tenant="acme", rule="overload", severity="critical",
                                        value=98.0)
    page.screenshot(path=str(artifacts / "alarms-page.png"))

    # The home page: each card counts its twin's active alarms, and follows a clear live.
    page.goto(portal.url + "/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    hvac_count = page.locator('.card[data-twin-id="hvac-1"] [data-alarm-count]')
    expect(hvac_count.locator('[data-sev="critical"]')).to_have_text("1", timeout=WAIT)
    page.evaluate("window.__notReloaded = true")
    services.clear_by_rule(twin_id="hvac-1", rule="overload")
    expect(hvac_count).to_be_hidden(timeout=WAIT)
    services.raise_or_update(twin_id="hvac-1", tenant="acme", rule="slow-fan", severity="minor", value=2.0)
    expect(hvac_count.locator('[data-sev="minor"]')).to_have_text("1", timeout=WAIT)
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator('.card[data-twin-id="lift-x"]')).to_have_count(0)
    page.screenshot(path=str(artifacts / "alarms-cards.png"))
