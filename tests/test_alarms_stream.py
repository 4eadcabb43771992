"""Alarm events on the live stream follow the tenant grants like every other event."""

from __future__ import annotations

import pytest

from alarms import services
from tests.browser.server import SseClient
from tests.test_stream_access import cookie_of, server, viewer_of_a  # noqa: F401 - the server fixture

pytestmark = pytest.mark.django_db(transaction=True)

SKIP = ("keep-alive", "health.update", "message")


def test_a_viewer_receives_its_tenants_alarm_events_and_none_of_another(server):  # noqa: F811
    stream = SseClient(server, "/api/portal/stream", headers=cookie_of(viewer_of_a()))
    try:
        assert stream.next(skip=SKIP).type == "stream-open"
        services.raise_or_update(twin_id="lift-b", tenant="tenant-b", rule="hot", severity="major", value=31.0)
        alarm, _ = services.raise_or_update(twin_id="lift-a", tenant="tenant-a", rule="hot", severity="major",
                                            value=32.0)
        event = stream.next(skip=SKIP)
        assert event.type == "alarm.raise"
        shown = event.json()["alarm"]
        assert (shown["id"], shown["twin"], shown["tenant"], shown["status"], shown["peak"]) == (
            alarm.pk, "lift-a", "tenant-a", "active", 32.0)
        services.clear_by_rule(twin_id="lift-b", rule="hot")
        services.clear_by_rule(twin_id="lift-a", rule="hot")
        event = stream.next(skip=SKIP)
        assert event.type == "alarm.clear" and event.json()["alarm"]["twin"] == "lift-a"
    finally:
        stream.close()
