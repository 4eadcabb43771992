"""The REST API under load: list and detail reads against a real uvicorn process, beside a plain-SQL floor.

Ours: `GET /api/registry/twins?tenant=T` (the first page, 100 twins) and `GET /api/registry/twins/{id}`
over HTTP with an API token from `manage.py create_token`, from 1 and 16 client threads, each with
its own keep-alive connection. Baseline: the same rows (twin, card, streams; for the detail also its
dependents) read with one plain SQL query and turned into JSON with json.dumps, in this process, from
the same number of threads. The ratio is what HTTP, uvicorn, Django, token auth, tenant scoping and
the serializers add on top of reading and encoding the data.

Queries per request are counted in this process with Django's test client and CaptureQueriesContext
(the same views and middleware, without the socket), at page sizes 10, 100 and 1000.
"""

from __future__ import annotations

import http.client
import io
import json
import random
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from bench.servers import percentile

PAGE = 100


def make_token(username: str, tenants: list[str], role: str = "operator") -> str:
    """A user with `role` on `tenants` and an API token, made with the project's own commands."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    User.objects.get_or_create(username=username)
    for tenant in tenants:
        call_command("grant", username, tenant, role, stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_token", username, stdout=out)
    return out.getvalue().split()[-1]


def _run_clients(clients: int, per_client: int, one: Callable[[random.Random, object], None],
                 open_conn: Callable[[], object]) -> list[float]:
    """Each client thread runs `one` `per_client` times on its own connection; returns latencies (ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients)

    def client(n: int) -> None:
        rng = random.Random(n)
        conn = open_conn()
        mine = []
        try:
            barrier.wait()
            for _ in range(per_client):
                started = time.perf_counter()
                one(rng, conn)
                mine.append((time.perf_counter() - started) * 1000)
        except BaseException as exc:  # reported below, in the measuring thread
            errors.append(exc)
        finally:
            close = getattr(conn, "close", None)
            if close:
                close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return latencies


def _http_get(token: str, paths: Callable[[random.Random], str]) -> Callable[[random.Random, object], None]:
    """One API request on the client's keep-alive connection, to a path drawn from `paths`."""

    def one(rng: random.Random, conn: http.client.HTTPConnection) -> None:
        conn.request("GET", paths(rng), headers={"Authorization": f"Token {token}"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"API answered {resp.status}: {body[:300]!r}")

    return one


class PlainRows:
    """The baseline reader: one SQL query per request, rows grouped in Python, json.dumps."""

    def __init__(self) -> None:
        from django.db import connection
        from django.db.models import JSONField

        from registry.models import Dependency, Stream, Twin, TwinUI

        q = connection.ops.quote_name
        self.twin_cols = [f.column for f in Twin._meta.concrete_fields]
        self.json_cols = {f.column for f in Twin._meta.concrete_fields if isinstance(f, JSONField)}
        self.ui_cols = ["name", "ui_url", "dtr_id"]
        self.stream_cols = ["uri", "kind", "topic", "signal", "unit", "interval"]
        agg = ("group_concat(d.{tw} || ':' || d.{kind}, ',')" if connection.vendor == "sqlite"
               else "string_agg(d.{tw} || ':' || d.{kind}, ',')").format(tw=q("twin_id"), kind=q("kind"))
        select = ", ".join([f"t.{q(c)}" for c in self.twin_cols] + [f"u.{q(c)}" for c in self.ui_cols]
                           + [f"s.{q(c)}" for c in self.stream_cols])
        joins = (f"FROM {q(Twin._meta.db_table)} t LEFT JOIN {q(TwinUI._meta.db_table)} u ON u.{q('twin_id')} = t.{q('id')} "
                 f"LEFT JOIN {q(Stream._meta.db_table)} s ON s.{q('twin_id')} = t.{q('id')}")
        self.list_sql = (f"SELECT {select} {joins} WHERE t.{q('id')} IN (SELECT {q('id')} FROM "
                         f"{q(Twin._meta.db_table)} WHERE {q('tenant')} = %s ORDER BY {q('id')} LIMIT {PAGE}) "
                         f"ORDER BY t.{q('id')}, s.{q('id')}")
        dependents = (f"(SELECT {agg} FROM {q(Dependency._meta.db_table)} d "
                      f"WHERE d.{q('target')} = t.{q('id')})")
        self.detail_sql = (f"SELECT {select}, {dependents} {joins} WHERE t.{q('id')} = %s ORDER BY s.{q('id')}")

    def _twins(self, rows: list[tuple]) -> list[dict]:
        twins: dict[str, dict] = {}
        nt, nu = len(self.twin_cols), len(self.ui_cols)
        for row in rows:
            twin = twins.get(row[0])
            if twin is None:
                twin = {c: (json.loads(v) if c in self.json_cols and isinstance(v, str) else v)
                        for c, v in zip(self.twin_cols, row[:nt])}
                twin["ui"] = dict(zip(self.ui_cols, row[nt:nt + nu]))
                twin["streams"] = []
                if len(row) > nt + nu + len(self.stream_cols):
                    twin["dependents"] = [dict(zip(("id", "kind"), d.split(":"))) for d in (row[-1] or "").split(",")
                                          if d]
                twins[row[0]] = twin
            stream = row[nt + nu:nt + nu + len(self.stream_cols)]
            if stream[0] is not None:
                twin["streams"].append(dict(zip(self.stream_cols, stream)))
        return list(twins.values())

    def list_json(self, tenant: str) -> str:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(self.list_sql, [tenant])
            return json.dumps({"results": self._twins(cur.fetchall())}, default=str)

    def detail_json(self, twin_id: str) -> str:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(self.detail_sql, [twin_id])
            return json.dumps(self._twins(cur.fetchall())[0], default=str)


def _close_db() -> object:
    """A per-thread "connection" for the baseline: Django opens one per thread; close it when done."""
    from django.db import connection

    class Closer:
        def close(self) -> None:
            connection.close()

    return Closer()


def queries_per_request(token: str, path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    client.get(path)  # warm: first-request imports and caches are not what is counted
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return len(ctx)


def measure_api(url: str, token: str, tenants: list[str], twin_ids: list[str], quick: bool,
                row: Callable[..., None], size: int) -> None:
    """Add the API rows (latency at 1 and 16 clients, queries per request) to the table."""
    port = urlsplit(url).port
    per_client = {1: 40 if quick else 200, 16: 5 if quick else 25}
    plain = PlainRows()
    endpoints = {
        "list": (lambda rng: f"/api/registry/twins?tenant={rng.choice(tenants)}",
                 lambda rng, _c: plain.list_json(rng.choice(tenants))),
        "detail": (lambda rng: f"/api/registry/twins/{rng.choice(twin_ids)}",
                   lambda rng, _c: plain.detail_json(rng.choice(twin_ids))),
    }
    for name, (paths, baseline) in endpoints.items():
        ours_one = _http_get(token, paths)
        _run_clients(1, 5, ours_one, lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=60))  # warm-up
        for clients, n in per_client.items():
            ours = _run_clients(clients, n, ours_one,
                                lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=60))
            base = _run_clients(clients, n, baseline, _close_db)
            label = f"{clients} client" + ("s" if clients > 1 else "")
            for q in (50, 99):
                row(f"API {name} p{q}, {label} vs one SQL query + json.dumps", size,
                    percentile(ours, q), percentile(base, q), "ms")
    for limit in (10, PAGE, 1000):
        count = queries_per_request(token, f"/api/registry/twins?tenant={tenants[0]}&limit={limit}")
        row(f"API list SQL queries per request, {limit}/page vs one query", size, count, 1, "queries")
    count = queries_per_request(token, f"/api/registry/twins/{twin_ids[0]}")
    row("API detail SQL queries per request vs one query", size, count, 1, "queries")
