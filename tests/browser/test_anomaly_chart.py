"""The twin page's chart of a signal with a detector, in a real Chromium: the anomaly score rides on the signal's
chart on its own 0..1 axis (not as a chart of its own), from the series API, and follows a range change."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.test_chart import WAIT, _empty_tables, _server, obs, write

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SCORE = "vibration_rms:anomaly_score"
SOME = re.compile(r"^[1-9][0-9]*$")  # a count of points (the exact figure depends on the clock)


def score(when: datetime, value: float) -> dict:
    return {**obs(when, value), "signal": SCORE, "unit": ""}


@pytest.fixture
def portal(db_env, tree):
    tree.twin("lift", "lift-001", name="Lift 1", extra="metadata:\n  domain: [lift]\n")
    _empty_tables()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # a day at one reading every 10 s, scored from the 30th on; one anomalous reading 20 minutes ago
    times = [now - timedelta(seconds=10 * i) for i in range(1, 8640)]
    rows = [obs(t, 2.0 + (i % 5) * 0.1) for i, t in enumerate(times)]
    rows += [score(t, 0.95 if i == 120 else 0.1) for i, t in enumerate(times[:-30])]
    write(rows)
    server = _server(db_env, tree)
    yield server
    server.stop()


def test_the_score_is_drawn_on_its_signals_chart_and_follows_a_range_change(page, portal, artifacts):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(portal.url + "/twins/lift-001/")
    fig = page.locator('figure.chart[data-signal="vibration_rms"]')
    expect(fig).to_have_attribute("data-score", SCORE)
    expect(page.locator(f'figure.chart[data-signal="{SCORE}"]')).to_have_count(0)  # no chart of its own
    expect(fig).to_have_attribute("data-resolution", "raw", timeout=WAIT)  # 1 h: 360 raw rows
    expect(fig).to_have_attribute("data-score-points", SOME, timeout=WAIT)
    expect(fig.locator(".u-axis")).to_have_count(3)  # time, the unit, the score's 0..1
    expect(fig.locator(".u-legend")).to_contain_text("anomaly score")
    expect(fig).to_have_attribute("data-score-max", "0.95")  # the anomalous reading 20 minutes ago

    page.get_by_role("button", name="24 h", exact=True).click()
    expect(fig).to_have_attribute("data-resolution", "1m", timeout=WAIT)
    expect(fig.locator('[data-part="range"]')).to_contain_text("(1m buckets) over 24 h", timeout=WAIT)
    expect(fig).to_have_attribute("data-score-max", "0.95")  # a bucket keeps its highest score
    page.screenshot(path=str(artifacts / "portal-anomaly-chart-24h.png"), full_page=True)

    page.get_by_role("button", name="15 min", exact=True).click()
    expect(fig.locator('[data-part="range"]')).to_contain_text("(raw) over 15 min", timeout=WAIT)
    expect(fig).to_have_attribute("data-score-max", "0.1")  # the anomaly is outside the last 15 minutes
    box = fig.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(fig.locator('[data-part="readout"]')).to_contain_text("score 0.1", timeout=WAIT)
    page.screenshot(path=str(artifacts / "portal-anomaly-chart.png"), full_page=True)
    assert refused == []
