"""A throwaway ASGI server (uvicorn, as `make run` serves) on the test database, and an SSE reader."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import free_port, stop
from polyglot_dtp.supervisor import web_argv

__all__ = ["AsgiServer", "SseClient", "SseEvent", "accepts", "free_port", "stop", "wait_until"]

REPO = Path(__file__).resolve().parents[2]


def accepts(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether something listens on the port (a server a test started is up)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class AsgiServer:
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    trusted_proxies: tuple[str, ...] = ()  # DTP_TRUSTED_PROXIES, as supervisor.main passes it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AsgiServer:
        # The browser tests lift Django's async guard in the test process; the server keeps it.
        env = {k: v for k, v in self.env.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        self.proc = subprocess.Popen(web_argv("127.0.0.1", self.port, graceful_seconds=1,
                                              trusted_proxies=self.trusted_proxies),
                                     cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                return False

        wait_until(up, what="the ASGI server to listen")
        return self

    def stop(self) -> None:
        stop(self.proc)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()


@dataclass
class SseEvent:
    type: str
    id: str
    data: str

    def json(self) -> dict:
        return json.loads(self.data)


class SseClient:
    """Reads the stream the way a browser's EventSource does, one event at a time."""

    def __init__(self, server: AsgiServer, path: str, last_event_id: str | None = None,
                 headers: dict[str, str] | None = None, expect: int = 200) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Accept": "text/event-stream", **(headers or {})}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", path, headers=headers)
        self.resp = self.conn.getresponse()
        assert self.resp.status == expect, self.resp.status
        if expect != 200:
            return
        assert self.resp.getheader("Content-Type", "").startswith("text/event-stream")
        self.last_id = last_event_id or ""

    def next(self, skip: tuple[str, ...] = ("keep-alive", "health.update"), within: float = 30.0) -> SseEvent:
        """The next event not in `skip`; fails after `within` seconds (keep-alives do not count)."""
        deadline = time.monotonic() + within
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"no event other than {skip} within {within} s")
            etype, eid, data = "message", "", []
            while True:
                line = self.resp.readline()
                if not line:
                    raise EOFError("stream closed")
                line = line.decode().rstrip("\n")
                if line == "":
                    break
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if key == "event":
                    etype = value
                elif key == "id":
                    eid = value
                elif key == "data":
                    data.append(value)
            if eid:
                self.last_id = eid
            if etype == "message" and not data:
                continue
            if etype not in skip:
                return SseEvent(etype, eid, "\n".join(data))

    def close(self) -> None:
        self.conn.close()
