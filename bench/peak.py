"""Peak resident memory of a cold scan against the parse-only pass over the same tree.

Each pass runs as a process of its own, so its peak (ru_maxrss from wait4) is its own:
ours is `manage.py scan_twins ROOT` into an empty registry; the baseline,
`python -m bench.peak ROOT`, starts Django the same way and only finds, hashes and
parses the files (registry.scanner.scan), which every scan has to do anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.servers import REPO


def peak_rss_mib(argv: list[str]) -> float:
    """Run `argv` to its end and return its peak RSS in MiB (Linux reports ru_maxrss in KiB)."""
    proc = subprocess.Popen(argv, cwd=REPO, env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # scan_twins exits 1 when a file has errors; the tree has none
        raise RuntimeError(f"{argv} failed: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return usage.ru_maxrss / 1024


def cold_scan_vs_parse(root: Path) -> tuple[float, float]:
    """(scan_twins peak MiB, parse-only peak MiB); the registry must be empty before."""
    parse = peak_rss_mib([sys.executable, "-m", "bench.peak", str(root)])
    scan = peak_rss_mib([sys.executable, "manage.py", "scan_twins", str(root)])
    return scan, parse


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    import django

    django.setup()
    from registry.scanner import scan

    found = scan([sys.argv[1]])
    assert all(f.parsed.ok for f in found.files)


if __name__ == "__main__":
    main()
