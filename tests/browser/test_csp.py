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


def test_the_pages_run_under_their_policy_and_enter_in_the_search_box_filters_on_the_server(page, portal):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    response = page.goto(portal.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    search = page.locator('#filters input[name="q"]')
    search.fill("hvac")
    search.press("Enter")  # the filters are a GET form: the server filters, and the URL can be shared
    expect(page).to_have_url(portal.url + "/?q=hvac", timeout=WAIT)
    expect(page.locator("#shown")).to_have_text("1–1 of 1 twin")
    expect(page.locator('.card[data-twin-id="lift-001"]')).to_have_count(0)
    expect(page.locator('.card[data-twin-id="hvac-1"]')).to_be_visible()

    for path in ("/?view=table", "/twins/lift-001/", "/events/", "/errors/"):
        page.goto(portal.url + path)
        expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    assert refused == []


def test_the_sign_in_page_opens_no_stream_and_the_favicon_is_served(page, portal):
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if r.resource_type == "eventsource" else None)
    page.goto(portal.url + "/accounts/login/")
    expect(page.locator("h2")).to_have_text("Sign in")
    expect(page.locator("#conn")).to_have_count(0)
    icon = page.request.get(portal.url + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg")
    page.goto(portal.url + "/")  # a page that does stream, so the listener above is known to work
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)
    assert [u for u in streams if "/accounts/" in u or u.rstrip("/") == portal.url] == []
    assert any("/api/portal/stream" in u for u in streams)


CONTRAST = """() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return [...document.querySelectorAll(".hb")].map((b) => {
    const word = getComputedStyle(b.querySelector("em")).color, bg = getComputedStyle(b).backgroundColor;
    const [hi, lo] = [lum(word), lum(bg)].sort((x, y) => y - x);
    return [b.dataset.badge, b.className, (hi + 0.05) / (lo + 0.05)];
  });
}"""


def test_badge_state_words_are_readable_and_pages_have_a_heading(page, portal):
    page.goto(portal.url + "/")
    for state in ("ok", "warn", "down", "off", "info"):  # every state a badge can take, as the page styles it
        page.evaluate("s => document.querySelector('[data-badge=db]').className = 'hb hb-' + s", state)
        for key, classes, ratio in page.evaluate(CONTRAST):
            assert ratio >= 4.5, (key, classes, round(ratio, 2))
    expect(page.locator("h1")).to_have_text("Twins")
    page.goto(portal.url + "/events/")
    expect(page.locator("h1")).to_contain_text("Event log")
    expect(page.locator("div[aria-label]")).to_have_count(0)
