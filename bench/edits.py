"""One twin.yaml edited at a time in a large tree, followed to the database, the stream and a browser.

The stack is `make run`'s: the watcher (`manage.py scan_twins --watch`) and one uvicorn web
process without Redis (it tails the PortalEvent table, woken at commit by NOTIFY on PostgreSQL and
by its wake socket on SQLite), in demo mode so the page needs no sign-in. With `redis_url` both
processes use Redis instead (the stream library's pub/sub), and the rows say "(Redis)".
For each edit the file is saved, then four clocks are read on one wall clock (time.time()):
- the watcher's line `updated <id>`, which it prints after the scan's transaction committed
  (the PortalEvent row is then checked in the database);
- a plain SSE client (this process, http.client) receiving the twin.update event;
- a headless Chromium's MutationObserver seeing the card show the new name (bench.browser).
Edits are sequential: the next file is saved once the previous edit reached the browser.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench import browser
from bench.servers import REPO, Watcher, WebServer, percentile, server_env


class SseReader(threading.Thread):
    """Reads /api/portal/stream like an EventSource and notes when each (twin id, name) arrived."""

    def __init__(self, port: int) -> None:
        super().__init__(name="sse-reader", daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", "/api/portal/stream", headers={"Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError(f"the stream answered {self.resp.status}")
        self.seen: dict[tuple[str, str], float] = {}
        self.changed = threading.Condition()

    def run(self) -> None:
        etype, data = "", []
        try:
            for raw in self.resp:
                line = raw.decode().rstrip("\n")
                if line:
                    key, _, value = line.partition(":")
                    if key == "event":
                        etype = value.strip()
                    elif key == "data":
                        data.append(value[1:] if value.startswith(" ") else value)
                    continue
                if etype == "twin.update" and data:
                    at = time.time()
                    twin = json.loads("\n".join(data)).get("twin", {})
                    with self.changed:
                        self.seen.setdefault((twin.get("id"), twin.get("name")), at)
                        self.changed.notify_all()
                etype, data = "", []
        except Exception:  # noqa: BLE001  (closed under the reader at the end of the run)
            return

    def wait(self, twin_id: str, name: str, timeout: float = 60.0) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: (twin_id, name) in self.seen, timeout):
                raise RuntimeError(f"the stream did not carry {twin_id} renamed to {name!r}")
            return self.seen[(twin_id, name)]

    def close(self) -> None:
        # Shut the socket first: closing the response while run() is blocked reading it would wait
        # for the stream's next keep-alive (20 s).
        if self.conn.sock is not None:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.join(timeout=10)
        self.conn.close()


class Browser:
    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.browser", url], cwd=REPO, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the browser did not open the portal")

    def wait(self, twin_id: str, name: str) -> float:
        self.proc.stdin.write(f"wait {twin_id} {name}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("the browser stopped")
        return float(answer)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# An edit the watcher has not committed after this long counts as lost (it promises "within a second").
LOST_AFTER = 5.0


def _rename(path: Path, name: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(f"name: {name}\n" if line.startswith("name: ") else line for line in lines))


def _noop_passes(root: Path, folders: list[Path], times: int) -> list[float]:
    """The watcher's own pass over one unchanged twin folder (what follows each edit), in this process."""
    from registry.watch import scan_changed

    took = []
    for k in range(times):
        started = time.perf_counter()
        report = scan_changed([str(root)], [str(folders[k % len(folders)])])
        took.append((time.perf_counter() - started) * 1000)
        assert not report.changed
    return took


def measure_edits(root: Path, twin_paths: dict[str, Path], quick: bool, row: Callable[..., None], size: int,
                  redis_url: str = "") -> None:
    from django.conf import settings

    from registry.models import PortalEvent

    edits = 10 if quick else 20
    targets = list(twin_paths)[:: max(1, len(twin_paths) // edits)][:edits]
    noop = _noop_passes(root, [twin_paths[t].parent for t in targets], 5 if quick else 10)
    committed, streamed, shown = [], [], []
    lost = 0
    env = server_env(DTP_DEMO_MODE="true")
    if redis_url:  # a channel prefix of this run's own, so a shared Redis carries nobody else's events
        env.update(REDIS_URL=redis_url, DTP_EVENT_CHANNEL_PREFIX=f"bench-edits-{os.getpid()}-")
    how = " (Redis)" if redis_url else ""
    t0 = time.monotonic()
    with WebServer(env) as web, Watcher(env, root) as watcher:
        print(f"  web server and watcher up in {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
        sse = SseReader(web.port)
        sse.start()
        # The home page shows a page of twins: the browser opens the one listing the edited twins.
        page = Browser(f"{web.url}/?id={','.join(targets)}") if browser.available() else None
        print(f"  portal open in the browser after {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
        try:
            rng = random.Random(size)
            for k, twin_id in enumerate(targets):
                # The web process also looks at the event table every DTP_EVENT_POLL_SECONDS (the fallback);
                # saving at a random moment of that cycle keeps the edits from locking onto its phase.
                time.sleep(rng.uniform(0, settings.DTP_EVENT_POLL_SECONDS))
                name = f"Edited {k} {twin_id}{' over Redis' if redis_url else ''}"  # not the last run's name
                _rename(twin_paths[twin_id], name)
                saved = time.time()
                try:
                    at_commit = watcher.wait_for(lambda line, t=twin_id: line.strip() == f"updated {t}",
                                                 timeout=LOST_AFTER)
                except TimeoutError:
                    lost += 1  # the watcher never noticed the save (see docs/benchmarks.md)
                    continue
                assert PortalEvent.objects.filter(etype="twin.update", payload__twin__id=twin_id,
                                                  payload__twin__name=name).exists(), (twin_id, name)
                committed.append((at_commit - saved) * 1000)
                streamed.append((sse.wait(twin_id, name) - saved) * 1000)
                if page:
                    shown.append((page.wait(twin_id, name) - saved) * 1000)
        finally:
            print(f"  edits done after {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
            sse.close()
            if page:
                page.close()
            print(f"  browser closed after {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
    row(f"edits reaching a PortalEvent within {LOST_AFTER:.0f} s vs edits saved{how}", size, len(targets) - lost,
        len(targets), "edits")
    if not committed:
        print("note: no edit reached the database; no latency rows", file=sys.stderr)
        return
    for q in (50, 99):
        row(f"edit to committed PortalEvent p{q} vs the watcher's no-op pass over one folder p{q}{how}", size,
            percentile(committed, q), percentile(noop, q), "ms")
    for q in (50, 99):
        row(f"edit to SSE client p{q} vs edit to PortalEvent p{q}{how}", size,
            percentile(streamed, q), percentile(committed, q), "ms")
    if page:
        for q in (50, 99):
            row(f"edit to browser card p{q} vs edit to PortalEvent p{q}{how}", size,
                percentile(shown, q), percentile(committed, q), "ms")
    else:
        print(f"note: no {browser.CHROMIUM}; edit-to-browser rows skipped", file=sys.stderr)
