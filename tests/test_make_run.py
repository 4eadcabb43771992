"""What `make run` starts: the portal with the sample twins, as one process group that Ctrl-C stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 60  # seconds; generous for a loaded machine, not a performance claim


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None


def test_the_portal_serves_the_sample_twins_and_ctrl_c_stops_every_process(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DTP_DATA_DIR": str(tmp_path), "DTP_PORT": str(port), "PYTHONUNBUFFERED": "1"})
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    group = subprocess.Popen([sys.executable, "-m", "polyglot_dtp.supervisor"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        end = time.monotonic() + DEADLINE
        page = None
        while time.monotonic() < end and group.poll() is None:
            page = fetch(f"http://127.0.0.1:{port}/")
            if page and "Lift 001" in page:
                break
            time.sleep(0.2)
        assert page is not None and group.poll() is None, group.stdout.read() if group.poll() is not None else ""
        for name in ("Lift 001", "HVAC plant A", "Room 1 temperature", "M5Core2 (lab bench)"):
            assert name in page
        children = children_of(group.pid)
        assert len(children) >= 2  # at least the web server and the watcher

        group.send_signal(signal.SIGINT)
        assert group.wait(timeout=30) == 0
        assert [pid for pid in children if alive(pid)] == []
    finally:
        if group.poll() is None:
            group.kill()
        group.stdout.close()
