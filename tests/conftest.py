"""Shared fixtures: a database of the run's own, twin trees on disk, the scan command."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("DTP_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Give this run a database nobody else uses.

    SQLite goes to a file (not memory) so that commands run as subprocesses
    and concurrent threads see the same data; PostgreSQL gets a unique name,
    so parallel runs on one server never drop each other's database.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    test = db.setdefault("TEST", {})
    if db["ENGINE"].endswith("sqlite3"):
        folder = tempfile.mkdtemp(prefix="dtp-test-")
        test["NAME"] = os.path.join(folder, "test.sqlite3")
    else:
        test["NAME"] = f"test_dtp_{os.getpid()}_{secrets.token_hex(3)}"


def require_service(reason: str) -> None:
    """Skip outside CI, fail in CI: a missing service there hides a broken part."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable (DTP_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@dataclass
class TwinTree:
    """A folder of twin stacks on disk that tests arrange and edit."""

    root: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def twin(self, folder: str, twin_id: str, *, tenant: str = "acme", name: str | None = None,
             extra: str = "", filename: str = "twin.yaml") -> Path:
        body = f"id: {twin_id}\nname: {name or twin_id.title()}\ntenant: {tenant}\n"
        return self.write(f"{folder}/{filename}", body + textwrap.dedent(extra).lstrip("\n"))

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()


@pytest.fixture
def tree(tmp_path: Path) -> TwinTree:
    root = tmp_path / "twins"
    root.mkdir()
    return TwinTree(root)


@dataclass
class CommandResult:
    code: int
    out: str
    err: str


@pytest.fixture
def scan_cmd() -> Callable[..., CommandResult]:
    """Run `manage.py scan_twins` in-process, as an operator would, and capture what it says."""

    def run(*args: str) -> CommandResult:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("scan_twins", *args, stdout=out, stderr=err)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return CommandResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def db_env() -> dict[str, str]:
    """Environment for a subprocess that must use this test's database."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{s['NAME']}"
    else:
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def manage(db_env: dict[str, str]) -> Callable[..., subprocess.Popen]:
    """Start `manage.py <args>` as a real process on the test database."""
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, str(REPO / "manage.py"), *args], cwd=REPO, env=db_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


# Throwaway store servers for the data-plane tests (victoria-metrics, moto S3, FalkorDB, Mosquitto).
from tests.stores import falkordb_server, mosquitto, s3_server, victoria_metrics  # noqa: E402,F401


@pytest.fixture
def staff_client(django_user_model):
    """A signed-in staff user: sees every tenant (tenant scoping has tests of its own)."""
    from django.test import Client

    client = Client()
    client.force_login(django_user_model.objects.create_superuser("staff", password="x"))
    return client


@pytest.fixture
def two_tenant_server(db_env, tree, scan_cmd):
    """A real web server over lift-a and pump-a (tenant-a) and lift-b (tenant-b), for stream-access tests."""
    from tests.browser.server import AsgiServer

    tree.twin("a", "lift-a", tenant="tenant-a")
    tree.twin("a2", "pump-a", tenant="tenant-a")
    tree.twin("b", "lift-b", tenant="tenant-b")
    scan_cmd(str(tree.root))
    env = {**db_env, "DTP_SCAN_ON_START": "false", "DTP_TWINS_ROOTS": str(tree.root), "REDIS_URL": "",
           "DTP_HEALTH_INTERVAL": "3600"}
    srv = AsgiServer(env).start()
    yield srv
    srv.stop()
