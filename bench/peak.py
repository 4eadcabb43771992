"""Peak resident memory of a cold scan against the parse-only pass over the same tree.

Each pass runs as a process of its own and reports its own peak, VmHWM from /proc/self/status,
as it ends. (ru_maxrss from wait4 would not do: Linux carries the forking parent's high-water
mark over exec, so every child of a measuring process that holds a scanned tree reports at least
that process's size.) Ours is the `scan_twins` command into an empty registry; the baseline
starts Django the same way and only finds, hashes and parses the files (registry.scanner.scan,
keeping every parsed spec), which every scan has to do anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.servers import REPO


def peak_rss_mib(mode: str, root: Path) -> float:
    out = subprocess.run([sys.executable, "-m", "bench.peak", mode, str(root)], cwd=REPO, env=os.environ,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.peak {mode} failed: {out.stderr[-2000:]}")
    return int(out.stdout.split()[-1]) / 1024


def cold_scan_vs_parse(root: Path) -> tuple[float, float]:
    """(scan_twins peak MiB, parse-only peak MiB); the registry must be empty before."""
    parse = peak_rss_mib("parse", root)
    scan = peak_rss_mib("scan", root)
    return scan, parse


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    import django

    django.setup()
    mode, root = sys.argv[1], sys.argv[2]
    if mode == "scan":
        from io import StringIO

        from django.core.management import call_command

        call_command("scan_twins", root, stdout=StringIO())  # exits 1 (SystemExit) only on spec errors
    else:
        from registry.scanner import scan

        found = scan([root])
        assert all(f.parsed.ok for f in found.files)
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    print(hwm.split()[1])  # KiB


if __name__ == "__main__":
    main()
