"""The twin page's uPlot charts in a real Chromium: range changes pick the resolution, hover reads out, live data
arrives, and the page's Content-Security-Policy refuses nothing (uPlot styles through the CSSOM only)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from playwright.sync_api import expect

from dataplane.writers.sql import SqlWriter
from tests.browser.server import AsgiServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WAIT = 20_000  # ms


def write(rows: list[dict]) -> None:
    writer = SqlWriter(dict(connection.settings_dict), connection.vendor)
    try:
        for i in range(0, len(rows), 2000):
            writer.write(rows[i:i + 2000])
    finally:
        writer.close()


def obs(when: datetime, value: float) -> dict:
    return {"k": "obs", "time": when.isoformat(), "twin": "lift-001", "signal": "vibration_rms", "value": value,
            "unit": "mm/s", "quality": "good"}


def _empty_tables() -> None:
    with connection.cursor() as cursor:  # plain tables: the test flush does not empty them
        for table in ("observation", "signal", "rollup_1m", "rollup_1h"):
            cursor.execute(f"DELETE FROM {table}")


def _server(db_env, tree) -> AsgiServer:
    db_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env = {**db_env, "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "3600",
           "DTP_DEMO_MODE": "true", "DTP_LOG_LEVEL": "ERROR"}
    return AsgiServer(env).start()


@pytest.fixture
def empty_portal(db_env, tree):
    tree.twin("lift", "lift-001", name="Lift 1", extra="metadata:\n  domain: [lift]\n")
    _empty_tables()
    server = _server(db_env, tree)
    yield server
    server.stop()


@pytest.fixture
def portal(db_env, tree):
    tree.twin("lift", "lift-001", name="Lift 1", extra="metadata:\n  domain: [lift]\n")
    _empty_tables()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # thirty days at one observation every 10 minutes, the last day at one every 10 s
    rows = [obs(now - timedelta(minutes=10 * i), float(i % 7)) for i in range(144, 30 * 144)]
    rows += [obs(now - timedelta(seconds=10 * i), float(i % 5)) for i in range(1, 8640)]
    write(rows)
    server = _server(db_env, tree)
    yield server
    server.stop()


def test_the_chart_changes_range_and_resolution_reads_out_on_hover_and_updates_live(page, portal, artifacts):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(portal.url + "/twins/lift-001/")
    fig = page.locator('figure.chart[data-signal="vibration_rms"]')
    expect(fig).to_have_attribute("data-resolution", "raw", timeout=WAIT)  # 1 h: 360 raw rows
    expect(fig.locator("canvas")).to_have_count(1)
    expect(fig.locator(".u-axis")).to_have_count(2)
    expect(fig.locator(".plot")).to_have_attribute("data-unit", "mm/s")  # chart.js labels the y axis with it
    expect(fig.locator("figcaption")).to_contain_text("mm/s")

    for label, resolution in (("24 h", "1m"), ("7 d", "1h"), ("30 d", "1h"), ("15 min", "raw")):
        page.get_by_role("button", name=label, exact=True).click()
        expect(page.get_by_role("button", name=label, exact=True)).to_have_attribute("aria-pressed", "true")
        expect(fig).to_have_attribute("data-resolution", resolution, timeout=WAIT)
        if label == "30 d":
            expect(fig.locator('[data-part="range"]')).to_contain_text("(1h buckets) over 30 d", timeout=WAIT)
            page.screenshot(path=str(artifacts / "portal-chart-30d.png"), full_page=True)
    expect(fig.locator('[data-part="range"]')).to_contain_text("(raw) over 15 min", timeout=WAIT)

    box = fig.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(fig.locator('[data-part="readout"]')).to_contain_text("mean", timeout=WAIT)
    expect(fig.locator('[data-part="readout"]')).to_contain_text("obs)")

    write([obs(datetime.now(timezone.utc), 42.5)])  # a new observation: the chart picks it up on its own
    expect(fig.locator('[data-part="last"]')).to_have_text("42.5", timeout=WAIT)
    page.screenshot(path=str(artifacts / "portal-chart.png"), full_page=True)
    assert refused == []


def test_a_twin_without_data_gets_its_chart_when_the_first_observation_arrives(page, empty_portal):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(empty_portal.url + "/twins/lift-001/")
    expect(page.locator('#charts [data-part="empty"]')).to_be_visible(timeout=WAIT)
    write([obs(datetime.now(timezone.utc) - timedelta(seconds=5), 3.25)])
    fig = page.locator('figure.chart[data-signal="vibration_rms"]')
    expect(fig).to_have_attribute("data-resolution", "raw", timeout=WAIT)
    expect(fig.locator('[data-part="last"]')).to_have_text("3.25")
    expect(page.locator('#charts [data-part="empty"]')).to_have_count(0)
    assert refused == []
