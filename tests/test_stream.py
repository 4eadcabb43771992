"""GET /api/portal/stream: Server-Sent Events from the PortalEvent outbox, resumable, fanned out across processes."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys

import pytest
from django.core.management import call_command

from registry.models import PortalEvent
from registry.reconcile import update_runtime
from tests.browser.server import AsgiServer, SseClient
from tests.conftest import REPO, require_service

# Committed transactions: the server is another process and must see the rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(db_env, tree, scan_cmd):
    """A uvicorn server on the test database, with one twin already registered."""
    tree.twin("lift", "lift-001", tenant="acme", name="Lift 1")
    assert scan_cmd(str(tree.root)).code == 0
    # Demo mode: anonymous clients read every tenant, so these tests are about the stream's mechanics;
    # who may read which tenant is tested in test_stream_access.py.
    env = {**db_env, "DTP_SCAN_ON_START": "false", "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "",
           "DTP_HEALTH_INTERVAL": "3600", "DTP_DEMO_MODE": "true"}
    srv = AsgiServer(env).start()
    yield srv
    srv.stop()


def open_stream(server: AsgiServer, query: str = "", last_event_id: str | None = None) -> SseClient:
    client = SseClient(server, "/api/portal/stream" + query, last_event_id)
    assert client.next().type == "stream-open"
    return client


def test_a_runtime_change_reaches_a_connected_client_as_twin_update(server):
    client = open_stream(server, "?tenant=acme")
    update_runtime("lift-001", {"status": "maintenance"}, source="service:test")
    event = client.next()
    client.close()

    assert event.type == "twin.update"
    body = event.json()
    assert body["twin"]["id"] == "lift-001" and body["twin"]["status"] == "maintenance"
    assert body["runtime_changed"] == ["status"]
    stored = PortalEvent.objects.order_by("-id").first()
    assert body["event"]["id"] == stored.id
    assert f":{stored.id}" in event.id


def test_open_streams_do_not_each_keep_a_database_connection(db_env, tree, scan_cmd):
    """Twelve streams on a process whose pool holds three connections (PostgreSQL; SQLite has no pool)."""
    tree.twin("lift", "lift-001", tenant="acme", name="Lift 1")
    scan_cmd(str(tree.root))
    env = {**db_env, "DTP_SCAN_ON_START": "false", "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "",
           "DTP_HEALTH_INTERVAL": "3600", "DTP_DEMO_MODE": "true", "DTP_DB_POOL_SIZE": "3"}
    server = AsgiServer(env).start()
    try:
        clients = [open_stream(server, "?tenant=acme") for _ in range(12)]
        update_runtime("lift-001", {"status": "maintenance"}, source="service:test")
        for client in clients:
            assert client.next(within=20).json()["twin"]["status"] == "maintenance"
            client.close()
    finally:
        server.stop()


def test_resume_with_last_event_id_after_a_dropped_connection_misses_nothing_and_repeats_nothing(server):
    client = open_stream(server, "?tenant=acme")
    update_runtime("lift-001", {"status": "maintenance"}, source="service:test")
    first = client.next()
    client.close()  # the connection drops

    for status in ("error", "active", "maintenance"):  # changes nobody is connected for
        update_runtime("lift-001", {"status": status}, source="service:test")
    missed = list(PortalEvent.objects.filter(id__gt=first.json()["event"]["id"], tenant="acme").order_by("id"))

    again = open_stream(server, "?tenant=acme", last_event_id=first.id)
    replay = [again.next() for _ in missed]
    update_runtime("lift-001", {"status": "active"}, source="service:test")
    live = again.next()
    again.close()

    assert [e.json()["event"]["id"] for e in replay] == [e.id for e in missed]
    assert [e.json()["twin"]["status"] for e in replay] == ["error", "active", "maintenance"]
    assert live.json()["twin"]["status"] == "active"
    assert live.json()["event"]["id"] == PortalEvent.objects.order_by("-id").first().id


def test_a_client_sees_only_the_tenants_it_asked_for(server, tree):
    tree.twin("other", "pump-9", tenant="globex")
    call_command("scan_twins", str(tree.root))
    client = open_stream(server, "?tenant=globex")
    update_runtime("lift-001", {"status": "maintenance"}, source="service:test")  # acme: not for this client
    update_runtime("pump-9", {"status": "maintenance"}, source="service:test")
    event = client.next()
    client.close()

    assert event.json()["twin"]["id"] == "pump-9"


def test_a_last_event_id_older_than_the_retention_window_gets_a_reset(server):
    update_runtime("lift-001", {"status": "maintenance"}, source="service:test")
    old_id = PortalEvent.objects.order_by("id").first().id
    call_command("prune_events", "--days", "0")

    client = SseClient(server, "/api/portal/stream", last_event_id=f"all:{old_id}")
    assert client.next().type == "stream-open"
    event = client.next()
    client.close()

    assert event.type == "stream-reset"


def test_a_stored_event_is_sent_once_even_when_the_library_replays_it():
    from portal.eventstream import RepeatFilter

    def block(event_id: int) -> str:
        return f'event: twin.update\nid: all:{event_id}\ndata: {{"event": {{"id": {event_id}}}}}\n\n'

    once = RepeatFilter()
    chunks = [":" + " " * 8 + "\n\nevent: stream-open\ndata:\n\n", block(6) + block(7),
              block(6) + block(7) + block(8),  # django-eventstream's re-read after a conflict
              block(7), "event: keep-alive\ndata:\n\n"]
    text = "".join(once(c) for c in chunks)

    assert [line for line in text.split("\n") if line.startswith("id:")] == ["id: all:6", "id: all:7", "id: all:8"]
    assert text.startswith(chunks[0]) and text.endswith(chunks[-1])


def redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def test_an_event_from_the_scanner_process_reaches_a_web_client_through_redis(db_env, tree):
    if not redis_available():
        require_service("Redis on 127.0.0.1:6379")
    # A prefix of this run's own: Redis pub/sub is shared by every run on the machine.
    env = {**db_env, "DTP_SCAN_ON_START": "false", "DTP_TWINS_ROOTS": str(tree.root),
           "REDIS_URL": "redis://127.0.0.1:6379/0", "DTP_EVENT_CHANNEL_PREFIX": f"test{secrets.token_hex(4)}.",
           "DTP_HEALTH_INTERVAL": "3600", "DTP_DEMO_MODE": "true"}
    server = AsgiServer(env).start()  # with REDIS_URL it does not tail the table: Redis is the only road
    try:
        client = open_stream(server)
        tree.twin("lift", "lift-777", tenant="acme", name="Lift 777")
        done = subprocess.run([sys.executable, str(REPO / "manage.py"), "scan_twins", str(tree.root)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        event = client.next()
        client.close()
    finally:
        server.stop()

    assert event.type == "twin.update"
    assert event.json()["twin"]["id"] == "lift-777"
