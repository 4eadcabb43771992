"""`python -m bench` (or `make bench`, `make bench QUICK=1`): every benchmark beside its baseline, one table.

Each database runs in a process of its own: SQLite in a temporary file, PostgreSQL in a
database created for the run (`DTP_BENCH_POSTGRES_URL`, default the local server) and dropped after.
Results go to bench/results/latest.json and latest.md with the machine, Python, databases and commit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
QUICK_SIZES = [100, 300]
FULL_SIZES = [1000, 10000]
# The tree the API, edit, browser and peak-memory benchmarks run on, and the SSE client counts.
QUICK_LIVE, FULL_LIVE = 1000, 10000
QUICK_FANOUT, FULL_FANOUT = [100], [100, 1000]
QUICK_INGEST, FULL_INGEST = 3000, 100000
QUICK_ALARMS, FULL_ALARMS = 3000, 20000
QUICK_DTDL = 500  # DTDL v3 conformance cases with --quick; the whole corpus otherwise


def _postgres_database(server_url: str):
    """Create a database of this run's own; returns its URL and a function that drops it."""
    import psycopg

    name = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return server_url.rsplit("/", 1)[0] + f"/{name}", drop


def _run(db: str, url: str, args: argparse.Namespace) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": url, "DTP_SCAN_ON_START": "false"}
    argv = [sys.executable, "-m", "bench.measure", "--db", db, "--sizes", ",".join(map(str, args.sizes)),
            "--live-size", str(args.live_size), "--fanout", ",".join(map(str, args.fanout))]
    if args.edits_only:
        argv.append("--edits-only")
    argv += (["--quick"] if args.quick else []) + (["--no-series"] if args.no_series else [])
    argv += ["--only", args.only] if args.only else []
    # Progress and errors go straight to the terminal; the rows come back on stdout.
    out = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit(f"benchmarks on {db} failed (exit {out.returncode}); see the messages above")
    return json.loads(out.stdout)


def _machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 2**20, 1),
            "python": platform.python_version(), "commit": commit,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _figure(value: float) -> str:
    """One decimal, or three below 10 (an F1 of 0.95 against 0.76 must not print as 0.9 against 0.8)."""
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def _markdown(rows: list[dict], machine: dict) -> str:
    lines = [f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
             f"Python {machine['python']}; commit {machine['commit']}; {machine['date']}", "",
             "| benchmark | db | size | ours | baseline | ratio | unit |", "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['benchmark']} | {r['db']} | {r['size']} | {_figure(r['ours'])} | {_figure(r['baseline'])} | "
                     f"{r['ratio']:.2f} | {r['unit']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the benchmarks and print one table.")
    parser.add_argument("--quick", action="store_true", help=f"small sizes {QUICK_SIZES}, for development")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="override the sizes")
    parser.add_argument("--live-size", type=int,
                        help=f"twins for the API, edit, browser and memory runs (default {FULL_LIVE}, "
                             f"{QUICK_LIVE} with --quick, the largest --sizes when given; 0 skips them)")
    parser.add_argument("--fanout", type=lambda s: [int(x) for x in s.split(",") if x],
                        help=f"SSE client counts (default {FULL_FANOUT}, {QUICK_FANOUT} with --quick)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", choices=["api"],
                        help="api: only the REST API rows, on a tree of --live-size twins (for A/B runs)")
    parser.add_argument("--edits-only", action="store_true",
                        help="only the edit rows (file saved -> PortalEvent, SSE client, browser card), in a tree of "
                             "--live-size twins, without Redis and with it (DTP_BENCH_REDIS_URL, default "
                             "redis://127.0.0.1:6379/0, skipped when none answers); no ingest, alarm or DTDL rows")
    parser.add_argument("--ingest", type=int,
                        help=f"observations for the MQTT ingest benchmark, on PostgreSQL (default {FULL_INGEST}, "
                             f"{QUICK_INGEST} with --quick; 0 skips it)")
    parser.add_argument("--alarms", type=int,
                        help="observations for the alarm benchmark (10 rules per twin vs none, and publish -> "
                             f"alarm.raise latency), on PostgreSQL (default {FULL_ALARMS}, {QUICK_ALARMS} with "
                             "--quick; 0 skips it)")
    parser.add_argument("--dtdl", type=int,
                        help=f"DTDL v3 conformance cases for the validator against the npm reference parser "
                             f"(default all, {QUICK_DTDL} with --quick; 0 skips it)")
    parser.add_argument("--anomaly", type=int,
                        help="ticks of the fixed-seed fleet the anomaly detectors are scored on against the fault log "
                             "(default 4000 over 45 machines, 1500 over 15 with --quick; 0 skips it)")
    parser.add_argument("--no-series", action="store_true",
                        help="skip the series API benchmark (30 days of one signal written on each database)")
    parser.add_argument("--out", type=Path,
                        help="folder for latest.json and latest.md (default bench/results, or bench/results/quick "
                             "with --quick, so a quick run never replaces the full run's table)")
    args = parser.parse_args()
    if args.live_size is None:
        args.live_size = max(args.sizes) if args.sizes else (QUICK_LIVE if args.quick else FULL_LIVE)
    if args.fanout is None:
        args.fanout = QUICK_FANOUT if args.quick else FULL_FANOUT
    if args.out is None:
        args.out = REPO / "bench" / "results" / ("edits" if args.edits_only else "quick" if args.quick else "")
    if args.edits_only:
        args.ingest = args.alarms = args.dtdl = 0
    if args.ingest is None:
        args.ingest = QUICK_INGEST if args.quick else FULL_INGEST
    if args.alarms is None:
        args.alarms = QUICK_ALARMS if args.quick else FULL_ALARMS
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    rows: list[dict] = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="dtp-bench-db-") as folder:
            rows += _run("sqlite", f"sqlite:///{folder}/bench.sqlite3", args)
    if args.only:  # nothing but the rows asked for: no ingest, alarm or DTDL runs
        args.ingest = args.alarms = args.dtdl = 0
    if args.db in ("postgres", "both"):
        url, drop = _postgres_database(os.environ.get("DTP_BENCH_POSTGRES_URL",
                                                      "postgres://postgres@127.0.0.1:5432/postgres"))
        try:
            rows += _run("postgres", url, args)
        finally:
            drop()
        if args.ingest:  # the data plane: MQTT through the ingest into PostgreSQL, in a database of its own
            url, drop = _postgres_database(os.environ.get("DTP_BENCH_POSTGRES_URL",
                                                          "postgres://postgres@127.0.0.1:5432/postgres"))
            try:
                out = subprocess.run([sys.executable, "-m", "bench.ingest", "--messages", str(args.ingest)],
                                     cwd=REPO, env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.PIPE,
                                     text=True)
                if out.returncode != 0:
                    raise SystemExit(f"the ingest benchmark failed (exit {out.returncode}); see above")
                rows += json.loads(out.stdout)
            finally:
                drop()
        if args.alarms:  # alarm rules: ingest throughput with 10 rules per twin, publish -> alarm.raise latency
            url, drop = _postgres_database(os.environ.get("DTP_BENCH_POSTGRES_URL",
                                                          "postgres://postgres@127.0.0.1:5432/postgres"))
            try:
                out = subprocess.run([sys.executable, "-m", "bench.alarms", "--messages", str(args.alarms)],
                                     cwd=REPO, env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.PIPE,
                                     text=True)
                if out.returncode != 0:
                    raise SystemExit(f"the alarm benchmark failed (exit {out.returncode}); see above")
                rows += json.loads(out.stdout)
            finally:
                drop()
    if args.dtdl is None:
        args.dtdl = QUICK_DTDL if args.quick else -1
    if args.dtdl:  # no database: dtdl/ and the WebAssembly DTDLParser on the same documents
        argv = [sys.executable, "-m", "bench.dtdl"] + (["--cases", str(args.dtdl)] if args.dtdl > 0 else [])
        out = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, text=True)
        if out.returncode != 0:
            raise SystemExit(f"the DTDL benchmark failed (exit {out.returncode}); see above")
        rows += json.loads(out.stdout)
    if args.anomaly is None:
        args.anomaly = -1
    if args.anomaly:  # no database: detectors on a simulated fleet, scored against its fault log
        argv = [sys.executable, "-m", "bench.anomaly"] + (["--quick"] if args.quick else [])
        out = subprocess.run(argv + (["--ticks", str(args.anomaly)] if args.anomaly > 0 else []), cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
        if out.returncode != 0:
            raise SystemExit(f"the anomaly benchmark failed (exit {out.returncode}); see above")
        rows += json.loads(out.stdout)
    machine = _machine()
    table = Table(title=f"polyglot-dtp benchmarks (commit {machine['commit']})")
    for column in ("benchmark", "db", "size", "ours", "baseline", "ratio", "unit"):
        table.add_column(column, justify="right" if column in ("size", "ours", "baseline", "ratio") else "left")
    for r in rows:
        table.add_row(r["benchmark"], r["db"], str(r["size"]), _figure(r["ours"]), _figure(r["baseline"]),
                      f"{r['ratio']:.2f}", r["unit"])
    Console().print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))
    (args.out / "latest.md").write_text(_markdown(rows, machine))
    print(f"wrote {args.out / 'latest.json'} and {args.out / 'latest.md'}")


if __name__ == "__main__":
    main()
