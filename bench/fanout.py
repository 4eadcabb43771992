"""One event to N concurrent SSE clients on one web process, beside a bare asyncio SSE server.

Ours: a fresh uvicorn web process (`make run`'s, no Redis, demo mode so streams need no sign-in);
N clients (bench.sse_clients, a process of its own) open `/api/portal/stream?tenant=T`; then one
API PATCH of a twin's runtime fields emits a twin.update event. Latency: from just before the PATCH
is sent to each client reading the event. Baseline: the same N clients on bench.bare_sse, and the
same event data (the stored event as the stream sent it) posted to it. Memory per connection:
the server's VmRSS after the N streams opened minus before, divided by N; threads: the server's
thread count with the N streams open.

`python -m bench.fanout --db sqlite --live-size 1000 --fanout 100,1000` runs only these rows (a
tree of --live-size twins, scanned, and a token on its tenants, as `python -m bench` makes them)
and prints them, for A/B runs of the stream; `make bench` runs them among the others.
"""

from __future__ import annotations

import http.client
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable

from bench.servers import REPO, WebServer, free_port, percentile, proc_status_kib, server_env, stop, wait_port


def _clients(port: int, path: str, n: int, marker: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "bench.sse_clients", str(port), path, str(n), marker],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        proc.wait()
        raise RuntimeError(f"the {n} SSE clients did not all connect")
    return proc


def _arrivals(proc: subprocess.Popen, sent: float, n: int) -> list[float]:
    result = json.loads(proc.stdout.readline())
    proc.wait()
    if result["missed"]:
        raise RuntimeError(f"{result['missed']} of {n} SSE clients did not receive the event")
    return [(at - sent) * 1000 for at in result["arrivals"]]


def _request(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status >= 300:
        raise RuntimeError(f"{method} {path} answered {resp.status}")


def _warm(port: int, path: str, token: str, twin_id: str) -> None:
    """First requests import and cache what every later one uses; memory is measured after them."""
    _request(port, "GET", f"/api/registry/twins/{twin_id}", b"", {"Authorization": f"Token {token}"})
    _clients(port, path, 2, "never-sent").kill()


def ours(n: int, tenant: str, twin_id: str, token: str) -> tuple[list[float], float, float, int]:
    """(latencies ms, KiB per connection, MiB resident with N streams open, threads with N streams open)."""
    path = f"/api/portal/stream?tenant={tenant}"
    marker = f"bench-{secrets.token_hex(6)}"
    with WebServer(server_env(DTP_DEMO_MODE="true")) as web:
        _warm(web.port, path, token, twin_id)
        time.sleep(0.5)  # let the two warm-up streams' teardown finish before memory is read
        before = proc_status_kib(web.proc.pid, "VmRSS")
        clients = _clients(web.port, path, n, marker)
        after = proc_status_kib(web.proc.pid, "VmRSS")
        threads = proc_status_kib(web.proc.pid, "Threads")
        print(f"  {n} streams open: web process has {threads} threads, {after // 1024} MiB resident",
              file=sys.stderr, flush=True)
        sent = time.time()
        _request(web.port, "PATCH", f"/api/registry/twins/{twin_id}", json.dumps({"runtime": {"bench": marker}}).encode(),
                 {"Authorization": f"Token {token}", "Content-Type": "application/json"})
        latencies = _arrivals(clients, sent, n)
    return latencies, (after - before) / n, after / 1024, threads


def bare(n: int, event: bytes) -> tuple[list[float], float, float, int]:
    port = free_port()
    marker = f"bench-{secrets.token_hex(6)}"
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_sse", str(port)], cwd=REPO)
    try:
        wait_port(port, proc, "the bare SSE server")
        _clients(port, "/stream", 2, "never-sent").kill()
        time.sleep(0.5)
        before = proc_status_kib(proc.pid, "VmRSS")
        clients = _clients(port, "/stream", n, marker)
        after = proc_status_kib(proc.pid, "VmRSS")
        threads = proc_status_kib(proc.pid, "Threads")
        body = event.replace(b"bench-marker", marker.encode())
        sent = time.time()
        _request(port, "POST", "/emit", body, {"Content-Type": "text/event-stream"})
        latencies = _arrivals(clients, sent, n)
    finally:
        stop(proc)
    return latencies, (after - before) / n, after / 1024, threads


def _stored_event(twin_id: str) -> bytes:
    """The last twin.update of `twin_id` as the stream sent it, its marker made replaceable."""
    from registry import events as ev
    from registry.models import PortalEvent

    row = PortalEvent.objects.filter(etype=ev.TWIN_UPDATE).order_by("-id").first()
    assert row.payload["twin"]["id"] == twin_id
    row.payload["twin"]["runtime"]["bench"] = "bench-marker"
    return f"event: {row.etype}\nid: {ev.channel_for_tenant(row.tenant)}:{row.id}\ndata: {ev.event_data(row)}\n\n".encode()


def measure_fanout(counts: list[int], tenant: str, twin_id: str, token: str, row: Callable[..., None]) -> None:
    # Streams give their database connection back after each read (portal.stream.releasing), so on
    # PostgreSQL too N is not capped by max_connections.
    for n in counts:
        lat, per_conn, rss, threads = ours(n, tenant, twin_id, token)
        base_lat, base_per_conn, base_rss, base_threads = bare(n, _stored_event(twin_id))
        for q in (50, 99):
            row(f"SSE fan-out p{q} vs bare asyncio SSE server", n, percentile(lat, q), percentile(base_lat, q), "ms")
        row("SSE fan-out max vs bare asyncio SSE server", n, max(lat), max(base_lat), "ms")
        row("SSE memory per connection vs bare asyncio SSE server", n, per_conn, base_per_conn, "KiB")
        row("web process RSS holding N streams vs bare asyncio SSE server", n, rss, base_rss, "MiB")
        row("web process threads holding N streams vs bare asyncio SSE server", n, threads, base_threads, "threads")


def main() -> None:
    import argparse
    import os
    import shutil
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Only the SSE fan-out rows, on a fresh database.")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--live-size", type=int, default=1000, help="twins in the tree the stream runs on")
    parser.add_argument("--fanout", type=lambda v: [int(x) for x in v.split(",") if x], default=[100, 1000])
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="dtp-bench-fanout-")
    drop = None
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    else:
        from bench.__main__ import _postgres_database

        os.environ["DATABASE_URL"], drop = _postgres_database(
            os.environ.get("DTP_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    os.environ.update({"DTP_SCAN_ON_START": "false", "DTP_BENCH_DB": args.db})
    try:
        _fanout_only(args.db, args.live_size, args.fanout, Path(folder) / "twins")
    finally:
        from django.db import connections

        connections.close_all()
        if drop:
            drop()
        shutil.rmtree(folder, ignore_errors=True)


def _fanout_only(db: str, size: int, counts: list[int], root) -> None:
    from bench.measure import _setup

    _setup()
    from bench.api import make_token
    from bench.gen import generate
    from registry.models import Twin
    from registry.reconcile import scan_roots

    generate(root, size)
    scan_roots([str(root)])
    tenants = sorted(set(Twin.objects.values_list("tenant", flat=True)))
    token = make_token("bench", tenants)
    target = Twin.objects.filter(tenant=tenants[0]).order_by("id").first()
    rows: list[dict] = []

    def row(name: str, n: int, ours_value: float, baseline: float, unit: str) -> None:
        rows.append({"benchmark": name, "db": db, "size": n, "ours": ours_value, "baseline": baseline, "unit": unit})

    measure_fanout(counts, tenants[0], target.id, token, row)
    for r in rows:
        ratio = r["ours"] / r["baseline"] if r["baseline"] else float("nan")
        print(f"| {r['benchmark']} | {r['db']} | {r['size']} | {r['ours']:.1f} | {r['baseline']:.1f} | {ratio:.2f} | "
              f"{r['unit']} |", flush=True)


if __name__ == "__main__":
    main()
