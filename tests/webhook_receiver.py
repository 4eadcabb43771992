"""A webhook receiver for the tests: http.server on 127.0.0.1 in a thread, verifying every request's
Standard Webhooks signature with the standardwebhooks library before it counts as received."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Receiver:
    secret: str
    port: int = field(default_factory=free_port)
    # Statuses to answer, in turn; once used up, `then`.
    script: list[int] = field(default_factory=list)
    then: int = 204
    received: list[dict[str, Any]] = field(default_factory=list)  # verified requests: headers and body
    forged: int = 0
    calls: int = 0
    _server: ThreadingHTTPServer | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks?token=abc"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except Exception:
                    verified = False
                with receiver._changed:
                    receiver.calls += 1
                    code = receiver.script.pop(0) if receiver.script else receiver.then
                    if not verified:
                        receiver.forged += 1
                        code = 401
                    elif 200 <= code < 300:
                        receiver.received.append({"headers": headers, "body": json.loads(body)})
                    receiver._changed.notify_all()
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Until `count` verified deliveries have arrived; then all of them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} of {count} deliveries arrived "
                                     f"({self.calls} requests, {self.forged} with a bad signature)")
            return list(self.received)
