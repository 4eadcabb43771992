"""Another process's committed event wakes every web process at once, not at the next poll.

PostgreSQL: LISTEN/NOTIFY. SQLite (`make run`): each web process's wake socket (polyglot_dtp.wake).
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from django.db import connection

from polyglot_dtp import wake
from tests.browser.server import AsgiServer, SseClient
from tests.conftest import REPO

pytestmark = pytest.mark.django_db(transaction=True)


def _env(db_env: dict[str, str], tree) -> dict[str, str]:
    # An hour between polls: only the wake-up can bring the event within the client's wait.
    return {**db_env, "DTP_SCAN_ON_START": "false", "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "",
            "DTP_EVENT_POLL_SECONDS": "3600", "DTP_HEALTH_INTERVAL": "3600", "DTP_DEMO_MODE": "true"}


def _scan(env: dict[str, str], tree) -> None:
    done = subprocess.run([sys.executable, str(REPO / "manage.py"), "scan_twins", str(tree.root)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_an_event_from_the_scanner_process_wakes_every_web_process_without_the_poll(db_env, tree):
    env = _env(db_env, tree)
    servers = [AsgiServer(env).start(), AsgiServer(env).start()]
    try:
        clients = [SseClient(server, "/api/portal/stream") for server in servers]
        assert [c.next().type for c in clients] == ["stream-open", "stream-open"]
        tree.twin("lift", "lift-778", tenant="acme", name="Lift 778")
        _scan(env, tree)
        events = [c.next() for c in clients]
        for c in clients:
            c.close()
    finally:
        for server in servers:
            server.stop()
    assert [e.type for e in events] == ["twin.update", "twin.update"]
    assert [e.json()["twin"]["id"] for e in events] == ["lift-778", "lift-778"]


def test_on_sqlite_a_wake_socket_left_by_a_dead_web_process_is_removed_and_the_live_one_still_wakes(db_env, tree):
    if connection.vendor != "sqlite":
        pytest.skip("wake sockets are SQLite's; PostgreSQL NOTIFYs")
    env = _env(db_env, tree)
    folder = wake.wake_folder(connection.settings_dict["NAME"])
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "999999999.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(stale))
    dead.close()  # its file stays, as when a web process is SIGKILLed
    server = AsgiServer(env).start()
    try:
        client = SseClient(server, "/api/portal/stream")
        assert client.next().type == "stream-open"
        tree.twin("hvac", "hvac-9", tenant="acme")
        _scan(env, tree)
        event = client.next()
        client.close()
    finally:
        server.stop()
    assert event.json()["twin"]["id"] == "hvac-9"
    assert not stale.exists()
