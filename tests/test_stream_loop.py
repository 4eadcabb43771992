"""Streams served from the web process's event loop: no thread per open stream, a long catch-up read
from storage page by page (each event once, before the live ones), and the hub's keep-alives."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.stream_threads import THREADS
from registry.events import channel_for_tenant
from registry.models import PortalEvent
from registry.reconcile import update_runtime
from tests.test_stream import open_stream, server  # noqa: F401 - the server fixture (demo mode, twin lift-001)

pytestmark = pytest.mark.django_db(transaction=True)


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def test_the_server_keeps_no_thread_per_open_stream(server):  # noqa: F811
    warm = [open_stream(server, "?tenant=acme") for _ in range(THREADS + 1)]  # the shared threads start
    for client in warm:
        client.close()
    before = threads_of(server.proc.pid)

    streams = [open_stream(server, "?tenant=acme") for _ in range(20)]
    during = threads_of(server.proc.pid)
    update_runtime("lift-001", {"status": "maintenance"}, source="service:test")
    statuses = [s.next().json()["twin"]["status"] for s in streams]
    for s in streams:
        s.close()

    assert statuses == ["maintenance"] * 20  # twenty live streams, each delivered the event
    assert during - before < 10, f"{during - before} more threads with 20 streams open"


def test_a_resume_over_more_than_a_page_of_missed_events_sends_each_once_in_order_then_live_ones(server):  # noqa: F811
    client = open_stream(server, "?tenant=acme")
    update_runtime("lift-001", {"n": 0}, source="service:test")
    first = client.next()
    client.close()
    for n in range(1, 251):  # two and a half pages of the catch-up (portal.eventstream.PAGE)
        update_runtime("lift-001", {"n": n}, source="service:test")
    missed = list(PortalEvent.objects.filter(id__gt=first.json()["event"]["id"], tenant="acme")
                  .order_by("id").values_list("id", flat=True))

    again = open_stream(server, "?tenant=acme", last_event_id=first.id)
    replay = [again.next() for _ in missed]
    update_runtime("lift-001", {"n": "live"}, source="service:test")
    live = again.next()
    again.close()

    assert [e.json()["event"]["id"] for e in replay] == missed
    assert [e.json()["twin"]["runtime"]["n"] for e in replay] == list(range(1, 251))
    assert replay[-1].id == f"{channel_for_tenant('acme')}:{missed[-1]}"  # where a next resume starts
    assert live.json()["twin"]["runtime"]["n"] == "live"


def test_an_idle_stream_gets_keep_alives_that_carry_no_id(server):  # noqa: F811
    client = open_stream(server, "?tenant=acme")
    quiet = client.next(skip=("health.update",), within=45)  # one about every 20 s of silence
    client.close()

    assert (quiet.type, quiet.id, quiet.data) == ("keep-alive", "", "")
