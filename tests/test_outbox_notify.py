"""On PostgreSQL another process's committed event wakes the web process at once (LISTEN/NOTIFY), not at the next poll."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection

from tests.browser.server import AsgiServer, SseClient
from tests.conftest import REPO

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_event_from_the_scanner_process_wakes_the_web_process_without_the_poll(db_env, tree):
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the web process polls the outbox")
    # An hour between polls: only the NOTIFY can bring the event within the client's wait.
    env = {**db_env, "DTP_SCAN_ON_START": "false", "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "",
           "DTP_EVENT_POLL_SECONDS": "3600", "DTP_HEALTH_INTERVAL": "3600", "DTP_DEMO_MODE": "true"}
    server = AsgiServer(env).start()
    try:
        client = SseClient(server, "/api/portal/stream")
        assert client.next().type == "stream-open"
        tree.twin("lift", "lift-778", tenant="acme", name="Lift 778")
        done = subprocess.run([sys.executable, str(REPO / "manage.py"), "scan_twins", str(tree.root)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        event = client.next()
        client.close()
    finally:
        server.stop()
    assert event.type == "twin.update"
    assert event.json()["twin"]["id"] == "lift-778"
