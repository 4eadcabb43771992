"""An open stream costs the web process no thread of its own: streams wait on its event loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.stream_threads import THREADS
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
