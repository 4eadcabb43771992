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


def _timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def measure(sizes: list[int], db: str) -> list[dict]:
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

    for size in sizes:
        root = Path(tempfile.mkdtemp(prefix=f"dtp-bench-{size}-"))
        try:
            generate(root, size)
            parse_s, _ = _timed(lambda: scan([str(root)]))
            _wipe()
            naive_s, _ = _timed(lambda: _naive_scan(root))
            _wipe()
            with CaptureQueriesContext(connection) as cold_queries:
                ours_s, report = _timed(lambda: scan_roots([str(root)]))
            assert len(report.created) == size, report
            row("cold scan vs naive update_or_create", size, size / ours_s, size / naive_s, "twins/s")
            row("cold scan vs parse-only floor", size, size / ours_s, size / parse_s, "twins/s")
            with CaptureQueriesContext(connection) as queries:
                noop_s, report = _timed(lambda: scan_roots([str(root)]))
            assert not report.changed
            row("no-op rescan vs cold scan", size, noop_s * 1000, ours_s * 1000, "ms")
            row("no-op rescan vs cold scan: SQL queries", size, len(queries), len(cold_queries), "queries")
        finally:
            shutil.rmtree(root, ignore_errors=True)
            _wipe()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    _setup()
    json.dump(measure(args.sizes, args.db), sys.stdout)


if __name__ == "__main__":
    main()
