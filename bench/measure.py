"""One database's measurements, run in a process of its own (`python -m bench.measure`).

DATABASE_URL must name the database before Django starts; the parent sets it.
Prints one JSON list of rows: {benchmark, size, ours, baseline, ratio, unit, db}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _wipe() -> None:
    from registry.models import Dependency, PortalEvent, SpecFileError, Stream, Twin, TwinUI, UpdateCmd

    for model in (Stream, Dependency, TwinUI, UpdateCmd, PortalEvent, SpecFileError, Twin):
        model.objects.all().delete()


def _naive_scan(root: Path) -> int:
    """The baseline a first version would write: parse each file, update_or_create its rows one by one."""
    from django.db import transaction

    from registry.models import Stream, Twin, TwinUI
    from registry.spec import parse_spec

    count = 0
    with transaction.atomic():
        for path in sorted(root.rglob("twin.yaml")):
            parsed = parse_spec(path.read_bytes(), str(path))
            if not parsed.ok:
                continue
            spec = parsed.spec
            twin, _ = Twin.objects.update_or_create(id=spec.id, defaults={
                "name": spec.name, "tenant": spec.tenant, "metadata": spec.metadata, "interfaces": spec.interfaces,
                "dependencies": spec.dependencies, "source_path": str(path)})
            TwinUI.objects.update_or_create(twin=twin, defaults={"name": spec.ui["name"], "ui_url": spec.ui["url"]})
            for s in spec.streams:
                Stream.objects.update_or_create(twin=twin, kind=s.kind, topic=s.topic, defaults={"uri": s.uri})
            count += 1
    return count


def _libyaml_floor(root: Path) -> int:
    """The floor of a cold scan: read each twin.yaml and yaml.load it with libyaml (CSafeLoader), nothing else."""
    import yaml

    count = 0
    for path in sorted(root.rglob("twin.yaml")):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        count += 1
    return count


def _timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def measure(sizes: list[int], db: str, live_size: int = 0, fanout: tuple[int, ...] = (), quick: bool = False,
            only: str = "", edits_only: bool = False, series: bool = True) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.gen import generate
    from registry.reconcile import scan_roots
    from registry.scanner import scan

    rows = []

    def row(name: str, size: int, ours: float, baseline: float, unit: str) -> None:
        ratio = ours / baseline if baseline else float("nan")
        rows.append({"benchmark": name, "size": size, "ours": ours, "baseline": baseline, "ratio": ratio,
                     "unit": unit, "db": db})

    if only == "api":  # just the REST API rows, on a tree of live_size twins (A/B runs of the API)
        measure_live(live_size, (), quick, row, only="api")
        return rows
    if edits_only:  # the edit rows alone, with and without Redis, in a tree of live_size twins
        _progress(f"edits in a tree of {live_size} twins")
        _edits_in_fresh_tree(live_size, quick, row)
        return rows

    for size in sizes:
        root = Path(tempfile.mkdtemp(prefix=f"dtp-bench-{size}-"))
        try:
            generate(root, size)
            parse_s, _ = _timed(lambda: scan([str(root)]))
            floor_s, _ = _timed(lambda: _libyaml_floor(root))
            _wipe()
            naive_s, _ = _timed(lambda: _naive_scan(root))
            _wipe()
            with CaptureQueriesContext(connection) as cold_queries:
                ours_s, report = _timed(lambda: scan_roots([str(root)]))
            assert len(report.created) == size, report
            row("cold scan vs naive update_or_create", size, size / ours_s, size / naive_s, "twins/s")
            row("cold scan vs parse-only floor", size, size / ours_s, size / parse_s, "twins/s")
            row("cold scan vs the libyaml floor (yaml.load CSafeLoader, nothing else)", size, size / ours_s,
                size / floor_s, "twins/s")
            with CaptureQueriesContext(connection) as queries:
                noop_s, report = _timed(lambda: scan_roots([str(root)]))
            assert not report.changed
            row("no-op rescan vs cold scan", size, noop_s * 1000, ours_s * 1000, "ms")
            row("no-op rescan vs cold scan: SQL queries", size, len(queries), len(cold_queries), "queries")
        finally:
            shutil.rmtree(root, ignore_errors=True)
            _wipe()
    _progress("scans done")
    if series:
        from bench.series import measure_series

        measure_series(row, quick)
        _progress("series API on rollups done")
    if live_size:
        measure_live(live_size, fanout, quick, row)
    return rows


_STARTED = time.monotonic()


def _progress(message: str) -> None:
    took = time.monotonic() - _STARTED
    print(f"[{os.environ.get('DTP_BENCH_DB', '')} {took:5.1f} s] {message}", file=sys.stderr, flush=True)


def measure_live(size: int, fanout: tuple[int, ...], quick: bool, row, only: str = "") -> None:
    """The benchmarks that need real processes, on one tree of `size` twins: peak memory of a cold
    scan, the REST API, the portal's home page, edits followed to the browser, SSE fan-out
    (`only="api"`: the REST API alone)."""
    from bench import api, peak, portal
    from bench import fanout as fan
    from bench.gen import generate
    from bench.servers import WebServer, server_env
    from registry.models import Twin

    root = Path(tempfile.mkdtemp(prefix=f"dtp-bench-live-{size}-"))
    try:
        paths = generate(root, size)
        if only == "api":
            from registry.reconcile import scan_roots

            scan_roots([str(root)])
        else:
            _progress(f"peak RSS of a cold scan of {size} twins")
            scan_mib, parse_mib = peak.cold_scan_vs_parse(root)
            row("scanner peak RSS, cold scan vs parse-only pass", size, scan_mib, parse_mib, "MiB")
        assert Twin.objects.count() == size
        tenants = sorted(set(Twin.objects.values_list("tenant", flat=True)))
        token = api.make_token("bench", tenants)
        twin_ids = sorted(Twin.objects.values_list("id", flat=True))
        _progress("REST API")
        with WebServer(server_env()) as web:
            api.measure_api(web.url, token, tenants, twin_ids, quick, row, size)
            if only == "api":
                return
            _progress("the portal's home page")
            portal.measure_home(web.url, "bench", token, quick, row, size)
        _progress("edits to the watcher, the stream and the browser")
        _edits_with_and_without_redis(root, {p.parent.name: p for p in paths}, quick, row, size)
        if fanout:
            _progress(f"SSE fan-out to {', '.join(map(str, fanout))} clients")
            target = Twin.objects.filter(tenant=tenants[0]).order_by("id").first()
            fan.measure_fanout(list(fanout), tenants[0], target.id, token, row)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        _wipe()
    if size > EDITS_ALSO_AT:
        _progress(f"edits again in a tree of {EDITS_ALSO_AT} twins")
        _edits_in_fresh_tree(EDITS_ALSO_AT, quick, row)
    _progress("done")


# The full run follows edits in a 1,000-twin tree as well: at 10,000 the watcher loses them
# (docs/benchmarks.md), and the stream's and browser's shares are still worth a figure.
EDITS_ALSO_AT = 1000


def _edits_in_fresh_tree(size: int, quick: bool, row) -> None:
    from bench.gen import generate
    from registry.reconcile import scan_roots

    root = Path(tempfile.mkdtemp(prefix=f"dtp-bench-edits-{size}-"))
    try:
        paths = generate(root, size)
        assert len(scan_roots([str(root)]).created) == size
        _edits_with_and_without_redis(root, {p.parent.name: p for p in paths}, quick, row, size)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        _wipe()


def _edits_with_and_without_redis(root: Path, paths: dict[str, Path], quick: bool, row, size: int) -> None:
    """The edit rows as `make run` runs (no Redis), then with Redis (DTP_BENCH_REDIS_URL) when one answers."""
    import socket
    from urllib.parse import urlsplit

    from bench import edits

    edits.measure_edits(root, paths, quick, row, size)
    url = os.environ.get("DTP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    where = urlsplit(url)
    try:
        socket.create_connection((where.hostname or "127.0.0.1", where.port or 6379), timeout=1).close()
    except OSError:
        print(f"note: no Redis at {url} (DTP_BENCH_REDIS_URL); the (Redis) edit rows are skipped", file=sys.stderr)
        return
    _progress(f"edits again with Redis ({url})")
    edits.measure_edits(root, paths, quick, row, size, redis_url=url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--live-size", type=int, default=0, help="twins for the API, edit and fan-out runs (0: none)")
    parser.add_argument("--fanout", type=lambda s: [int(x) for x in s.split(",") if x], default=[])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", choices=["api"], default="", help="api: the REST API rows alone")
    parser.add_argument("--edits-only", action="store_true", help="only the edit rows, in trees of --live-size twins")
    parser.add_argument("--no-series", action="store_true", help="skip the series API benchmark")
    args = parser.parse_args()
    os.environ["DTP_BENCH_DB"] = args.db
    _setup()
    json.dump(measure(args.sizes, args.db, args.live_size, tuple(args.fanout), args.quick, args.only,
                      args.edits_only, not args.no_series), sys.stdout)


if __name__ == "__main__":
    main()
