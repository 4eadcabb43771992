"""Real processes the live benchmarks talk to: the uvicorn web process and the watcher, as `make run` starts them.

Each runs on the database the measuring process was given (DATABASE_URL in its environment),
with the twin roots the benchmark names. Nothing here runs in the measuring process's interpreter.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from polyglot_dtp.supervisor import web_argv

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; with fewer than 100 samples p99 is the slowest one."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def proc_status_kib(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in KiB (VmRSS: resident now, VmHWM: the peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def server_env(**extra: str) -> dict[str, str]:
    """The measuring process's database, and a web process that does no work of its own between requests."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"DTP_SCAN_ON_START": "false", "REDIS_URL": "", "DTP_HEALTH_INTERVAL": "3600",
                "DTP_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout} s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class WebServer:
    """`python -m uvicorn polyglot_dtp.asgi:application --lifespan off`, the web process `make run` starts."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WebServer:
        self.proc = subprocess.Popen(web_argv("127.0.0.1", self.port, graceful_seconds=1),
                                     cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
        wait_port(self.port, self.proc, "the web server")
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)


@dataclass
class Watcher:
    """`manage.py scan_twins --watch ROOT`; each stdout line is kept with the time it arrived."""

    env: dict[str, str]
    root: Path
    proc: subprocess.Popen | None = None
    lines: queue.Queue = field(default_factory=queue.Queue)

    def __enter__(self) -> Watcher:
        self.proc = subprocess.Popen([sys.executable, "manage.py", "scan_twins", "--watch", str(self.root)],
                                     cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(lambda line: line.startswith("Watching"), timeout=120)
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put((time.time(), line.rstrip("\n")))

    def wait_for(self, match, timeout: float = 30.0) -> float:
        """The arrival time of the first line `match` accepts (earlier lines are consumed)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the watcher printed no matching line in time")
            try:
                at, line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if match(line):
                return at

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)


def shipped_mosquitto() -> tuple[str, subprocess.Popen, Path]:
    """A throwaway Mosquitto with the shipped configuration's limits (infrastructure/mosquitto), nothing kept.

    The shipped queue per client (max_queued_messages) holds a whole run, so the publisher need not wait
    for the subscriber, and its max_inflight_messages is the one the ingest is deployed against. (Debian's
    default of 1,000 queued messages drops QoS 1 messages beyond it: a benchmark publishing ahead of a
    slow subscriber measured the broker's limit, and lost messages, instead of the subscriber.)
    Returns (URL, process, folder to remove).
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="dtp-bench-mosquitto-"))
    shipped = (REPO / "infrastructure" / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    kept = [line for line in shipped if line.split(" ")[0] in ("protocol", "allow_anonymous", "max_queued_messages",
                                                                 "max_inflight_messages")]
    (folder / "mosquitto.conf").write_text("\n".join([f"listener {port} 127.0.0.1", *kept, "persistence false",
                                                        "log_dest none"]) + "\n")
    proc = subprocess.Popen(["mosquitto", "-c", str(folder / "mosquitto.conf")], stdout=subprocess.DEVNULL)
    wait_port(port, proc, "the benchmark's Mosquitto", timeout=20)
    return f"mqtt://127.0.0.1:{port}", proc, folder
