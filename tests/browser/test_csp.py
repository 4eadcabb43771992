"""In a real browser, under the pages' Content-Security-Policy: nothing is refused, and the home page's JS works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.server import AsgiServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WAIT = 20_000  # ms


@pytest.fixture
def portal(db_env, tree):
    tree.twin("lift", "lift-001", name="Lift 1",
              extra="metadata:\n  domain: [lift]\ndependencies:\n  static: [hvac-1]\n")
    tree.twin("hvac", "hvac-1", name="HVAC plant", extra="metadata:\n  domain: [energy]\n")
    db_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env = {**db_env, "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "3600",
           "DTP_DEMO_MODE": "true", "DTP_LOG_LEVEL": "ERROR"}
    server = AsgiServer(env).start()
    yield server
    server.stop()


def test_the_pages_run_under_their_policy_and_enter_in_the_search_box_filters_without_reloading(page, portal):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    response = page.goto(portal.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    page.evaluate("window.__notReloaded = true")
    search = page.locator('#filters input[name="q"]')
    search.fill("hvac")
    search.press("Enter")  # with the old inline onsubmit refused by the policy, this reloaded the page
    expect(page.locator("#shown")).to_have_text("1 shown", timeout=WAIT)
    expect(page.locator('.card[data-twin-id="lift-001"]')).to_be_hidden()
    assert page.evaluate("window.__notReloaded") is True and "q=" not in page.url

    for path in ("/twins/lift-001/", "/events/", "/errors/"):
        page.goto(portal.url + path)
        expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    assert refused == []
