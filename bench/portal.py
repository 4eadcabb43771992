"""The portal's home page at the size of the run, against the REST API's list page in the same run.

Goal (issue 14): at 10,000 twins the home page's first response (the HTML a browser paints first)
takes under 200 ms and weighs under 500 KB. The baseline is what a script pays for one page of the
same twins: `GET /api/registry/twins` with its default page size.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from bench.servers import percentile

__all__ = ["measure_home"]

GOAL_MS = 200
GOAL_KB = 500


def _session_cookie(username: str) -> str:
    """A signed-in session for `username`, stored where the web server reads sessions (the database)."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _timed_gets(port: int, path: str, headers: dict[str, str], n: int) -> tuple[list[float], int]:
    """Latencies (ms, request sent to last byte read) of `n` GETs on one connection, and the body size."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    took, size = [], 0
    try:
        for _ in range(n):
            started = time.perf_counter()
            conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
            response = conn.getresponse()
            body = response.read()
            took.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            size = len(body)
    finally:
        conn.close()
    return took, size


def measure_home(url: str, username: str, token: str, quick: bool, row: Callable[..., None], size: int) -> None:
    """Rows: the home page's latency and size, each beside the API list page's."""
    port = urlsplit(url).port
    n = 10 if quick else 40
    page_headers = {"Cookie": _session_cookie(username), "Accept": "text/html"}
    api_headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    _timed_gets(port, "/", page_headers, 2)  # warm: imports, template loading
    _timed_gets(port, "/api/registry/twins", api_headers, 2)
    home, home_bytes = _timed_gets(port, "/", page_headers, n)
    table, table_bytes = _timed_gets(port, "/?view=table", page_headers, n)
    api, api_bytes = _timed_gets(port, "/api/registry/twins", api_headers, n)
    for q in (50, 99):
        row(f"portal home page p{q} (goal < {GOAL_MS} ms) vs API list page p{q}", size,
            percentile(home, q), percentile(api, q), "ms")
    row(f"portal home page p50, table view (goal < {GOAL_MS} ms) vs API list page p50", size,
        percentile(table, 50), percentile(api, 50), "ms")
    row(f"portal home page size (goal < {GOAL_KB} KB) vs API list page size", size, home_bytes / 1024,
        api_bytes / 1024, "KB")
    row(f"portal home page size, table view (goal < {GOAL_KB} KB) vs API list page size", size,
        table_bytes / 1024, api_bytes / 1024, "KB")
