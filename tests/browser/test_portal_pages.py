"""In a real browser: the paged home page and its URL filters, the table view, live values and relative
times on the cards, the filtered event log, and the Scanner badge warning while a file is broken."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from django.db import connection
from playwright.sync_api import expect

from registry.reconcile import update_runtime, update_runtime_many
from tests.browser.server import AsgiServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WAIT = 20_000  # ms; values refresh every 5 s, badges every DTP_HEALTH_INTERVAL (2 s here)

SENSOR = """
metadata:
  domain: [{domain}]
interfaces:
  data_streams:
    - uri: mqtt://dtp/{id}/temp
      signal: temperature
      unit: degC
"""


@pytest.fixture
def portal(db_env, tree, manage):
    """52 twins (more than a page of 48) in two tenants, the web server and the watcher."""
    for n in range(52):
        tenant = "globex" if n % 4 == 0 else "acme"
        tree.twin(f"s{n:02d}", f"sensor-{n:02d}", tenant=tenant, name=f"Sensor {n:02d}",
                  extra=SENSOR.format(id=f"sensor-{n:02d}", domain="energy" if n % 2 else "lift"))
    db_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env = {**db_env, "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "2",
           "DTP_DEMO_MODE": "true"}
    server = AsgiServer(env).start()
    watcher = manage("scan_twins", "--watch", str(tree.root))
    assert "Watching" in watcher.stdout.readline() or "Watching" in watcher.stdout.readline()
    yield server
    server.stop()


def connected(page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "connected", timeout=WAIT)


def test_the_home_page_is_paged_and_its_filters_are_in_the_url(page, portal, artifacts):
    page.goto(portal.url + "/")
    connected(page)
    expect(page.locator(".card")).to_have_count(48)
    expect(page.locator("#shown")).to_have_text("1–48 of 52 twins")
    page.locator('a[rel="next"]').click()
    expect(page).to_have_url(portal.url + "/?page=2")
    expect(page.locator(".card")).to_have_count(4)

    page.locator('#filters select[name="tenant"]').select_option("globex")  # applies at once
    expect(page).to_have_url(portal.url + "/?tenant=globex", timeout=WAIT)
    expect(page.locator(".card")).to_have_count(13)
    expect(page.locator('.card[data-tenant="acme"]')).to_have_count(0)
    page.locator('#filters input[name="q"]').fill("sensor-0")
    page.locator('#filters input[name="q"]').press("Enter")
    expect(page).to_have_url(portal.url + "/?tenant=globex&q=sensor-0", timeout=WAIT)
    expect(page.locator(".card")).to_have_count(3)  # sensor-00, -04, -08
    page.screenshot(path=str(artifacts / "portal-home-filtered.png"), full_page=True)

    shared = page.context.new_page()  # the URL is the state: another tab shows the same page
    shared.goto(page.url)
    expect(shared.locator(".card")).to_have_count(3)
    expect(shared.locator('#filters select[name="tenant"]')).to_have_value("globex")
    shared.close()


def test_the_table_view_keeps_the_filters_and_follows_its_rows(page, portal, artifacts):
    page.goto(portal.url + "/?domain=lift")
    connected(page)
    page.get_by_role("link", name="Table").click()
    expect(page).to_have_url(portal.url + "/?domain=lift&view=table", timeout=WAIT)
    rows = page.locator("#twin-rows tr")
    expect(rows).to_have_count(26)
    connected(page)

    row = page.locator('tr[data-twin-id="sensor-02"]')
    update_runtime("sensor-02", {"status": "maintenance"}, source="api:test")
    expect(row.locator('[data-field="status"]')).to_have_text("maintenance", timeout=WAIT)
    update_runtime("sensor-03", {"status": "maintenance"}, source="api:test")  # not on this page: no harm
    expect(page.locator("#offpage")).to_be_visible(timeout=WAIT)
    expect(rows).to_have_count(26)
    page.screenshot(path=str(artifacts / "portal-table.png"), full_page=True)


def write_observation(twin: str, value: float, when: datetime) -> None:
    from dataplane.writers.sql import SqlWriter

    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    writer.write([{"k": "obs", "time": when.isoformat(), "twin": twin, "signal": "temperature", "value": value,
                   "unit": "degC", "quality": "good"}])
    writer.close()


def test_a_card_shows_its_current_values_live_with_relative_times(page, portal, artifacts):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM observation WHERE twin = %s", ["sensor-01"])
    page.goto(portal.url + "/?q=sensor-01")
    connected(page)
    card = page.locator('.card[data-twin-id="sensor-01"]')
    value = card.locator('[data-signal="temperature"] [data-part="value"]')
    expect(value).to_have_text("–")

    write_observation("sensor-01", 21.5, datetime.now(timezone.utc))
    expect(value).to_have_text("21.5", timeout=WAIT)
    expect(card.locator('[data-signal="temperature"] .unit')).to_have_text("degC")
    stamp = card.locator('[data-signal="temperature"] time')
    expect(stamp).to_have_text(re.compile(r"^\d+ s ago$"))
    expect(stamp).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"))

    write_observation("sensor-01", 22.75, datetime.now(timezone.utc))
    expect(value).to_have_text("22.75", timeout=WAIT)

    # The ingest's heartbeat moves "Last data" on the card, shown relative, exact on hover.
    update_runtime_many({"sensor-01": {"last_seen": datetime.now(timezone.utc).isoformat()}}, source="ingest")
    last = card.locator('[data-field="last_seen"]')
    expect(last).to_have_text(re.compile(r"^\d+ s ago$"), timeout=WAIT)
    expect(last.locator("time")).to_have_attribute("title", re.compile(r" UTC$"))
    page.screenshot(path=str(artifacts / "portal-card-values.png"))


def test_the_event_log_shows_only_what_its_filters_match_live(page, portal, artifacts):
    page.goto(portal.url + "/events/?twin=sensor-05")
    connected(page)
    rows = page.locator("#event-rows tr")
    before = rows.count()
    expect(page.locator('#event-filters input[name="twin"]')).to_have_value("sensor-05")

    update_runtime_many({"sensor-05": {"last_seen": "2026-12-01T10:00:00+00:00"}}, source="ingest")  # heartbeat
    update_runtime("sensor-06", {"status": "maintenance"}, source="api:test")  # another twin
    update_runtime("sensor-05", {"status": "maintenance"}, source="api:test")
    expect(rows).to_have_count(before + 1, timeout=WAIT)
    newest = rows.first
    expect(newest.locator("code")).to_have_text("sensor-05")
    expect(newest).to_contain_text("status")
    expect(page.locator("#event-rows")).not_to_contain_text("sensor-06")
    expect(newest.locator("time")).to_have_text(re.compile(r"ago$"))

    page.locator('#event-filters select[name="type"]').select_option("spec.error")
    expect(page).to_have_url(portal.url + "/events/?twin=sensor-05&type=spec.error", timeout=WAIT)
    expect(rows).to_have_count(0)
    page.screenshot(path=str(artifacts / "portal-events-filtered.png"), full_page=True)


def test_the_scanner_badge_warns_while_a_file_has_errors(page, portal, tree, artifacts):
    page.goto(portal.url + "/")
    connected(page)
    badge = page.locator('[data-badge="scanner"]')
    expect(badge.locator("em")).to_have_text("ok", timeout=WAIT)

    tree.write("broken/twin.yaml", "id: bad-1\nname: Bad\ntenant: acme\ncolour: red\n")
    expect(page.locator("#spec-error-list li")).to_have_count(1, timeout=WAIT)
    expect(badge.locator("em")).to_have_text("warn", timeout=WAIT)
    expect(badge).to_have_class(re.compile(r"\bhb-warn\b"))
    expect(badge).to_have_attribute("title", re.compile("1 file has errors"))
    page.screenshot(path=str(artifacts / "portal-scanner-warning.png"))

    tree.write("broken/twin.yaml", "id: bad-1\nname: Bad\ntenant: acme\n")
    expect(badge.locator("em")).to_have_text("ok", timeout=WAIT)
