"""`python -m polyglot_dtp.supervisor`: the process group `make run` starts.

The web server (uvicorn, ASGI) and the twin watcher run as child processes;
Ctrl-C or SIGTERM stops them all, and if one dies the others are stopped too,
so nothing is left running behind the terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

__all__ = ["Child", "default_children", "supervise"]

STOP_GRACE_SECONDS = 10


@dataclass(frozen=True)
class Child:
    name: str
    argv: list[str]


def default_children(host: str, port: int) -> list[Child]:
    py = sys.executable
    return [
        Child("web", [py, "-m", "uvicorn", "polyglot_dtp.asgi:application", "--host", host, "--port", str(port),
                      "--no-access-log", "--lifespan", "off", "--timeout-graceful-shutdown", "5"]),
        Child("watcher", [py, "manage.py", "scan_twins", "--watch"]),
    ]


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def supervise(children: list[Child]) -> int:
    """Run `children` until a signal or until one of them exits; return an exit code."""
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    procs: dict[str, subprocess.Popen] = {}
    try:
        for child in children:
            # Children ignore the terminal's Ctrl-C; the supervisor stops them in order.
            procs[child.name] = subprocess.Popen(child.argv, preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                                              signal.SIG_IGN))
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"supervisor: {name} exited with code {proc.returncode}; stopping the others",
                          file=sys.stderr)
                    return proc.returncode or 1
            time.sleep(0.2)
        return 0
    finally:
        _stop(procs)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    from django.conf import settings

    host, port = settings.DTP_HOST, settings.DTP_PORT
    print(f"polyglot-dtp: portal on http://localhost:{port}/ (Ctrl-C stops everything)", flush=True)
    sys.exit(supervise(default_children(host, port)))


if __name__ == "__main__":
    main()
