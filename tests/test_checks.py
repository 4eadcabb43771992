"""One set of health checks (polyglot_dtp.checks) behind /readyz, the CLI probes and the badges: each
speaks the service's protocol with the configured credentials, so a refused login is "down", never "ok"."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from polyglot_dtp import checks
from portal import health
from tests.browser.server import accepts, free_port, wait_until
from tests.conftest import REPO, require_service


@pytest.fixture
def mosquitto_with_password(tmp_path: Path) -> Iterator[int]:
    """A throwaway Mosquitto that lets in only user `dtp` with password `s3cret`."""
    if not (shutil.which("mosquitto") and shutil.which("mosquitto_passwd")):
        require_service("mosquitto is not installed (apt-get install mosquitto)")
    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "dtp", "s3cret"], check=True, timeout=30)
    port = free_port()
    (tmp_path / "m.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\n"
                                     f"password_file {passwords}\npersistence false\n"
                                     "user root\n")  # as root it would drop to `mosquitto`, who cannot read tmp_path
    broker = subprocess.Popen(["mosquitto", "-c", str(tmp_path / "m.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: broker.poll() is not None or accepts(port), timeout=10, what="mosquitto")
        assert broker.poll() is None, "mosquitto did not start"
        yield port
    finally:
        broker.terminate()
        broker.wait(timeout=10)


@pytest.fixture
def redis_with_password() -> Iterator[int]:
    if not shutil.which("redis-server"):
        require_service("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--requirepass", "s3cret"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: server.poll() is not None or accepts(port), timeout=10, what="redis-server")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_mqtt_is_ok_only_with_the_credentials_of_the_url(mosquitto_with_password):
    port = mosquitto_with_password
    assert checks.mqtt(f"mqtt://dtp:s3cret@127.0.0.1:{port}", timeout=5).state == "ok"
    refused = checks.mqtt(f"mqtt://127.0.0.1:{port}", timeout=5)
    assert refused.state == "down" and "refused" in refused.detail
    wrong = checks.mqtt(f"mqtt://dtp:nope@127.0.0.1:{port}", timeout=5)
    assert wrong.state == "down" and "nope" not in wrong.detail  # never echo a password


def test_mqtt_on_a_port_that_only_accepts_tcp_is_down_not_ok():
    with socket.socket() as listener:  # accepts connections, never speaks MQTT
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        result = checks.mqtt(f"mqtt://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
    assert result.state == "down" and "no CONNACK" in result.detail


def test_an_mqtts_url_without_a_port_is_checked_on_8883():
    result = checks.mqtt("mqtts://127.0.0.1", timeout=0.5)
    assert result.state == "down" and ":8883" in result.detail


def test_redis_noauth_is_down_and_the_password_of_the_url_makes_it_ok(redis_with_password):
    port = redis_with_password
    refused = checks.redis(f"redis://127.0.0.1:{port}/0", timeout=2)
    assert refused.state == "down" and "refused the credentials" in refused.detail
    assert checks.redis(f"redis://:s3cret@127.0.0.1:{port}/0", timeout=2).state == "ok"
    assert checks.redis(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5).state == "down"


@pytest.mark.django_db
def test_the_badges_use_the_same_checks(mosquitto_with_password, redis_with_password):
    with override_settings(MQTT_URL=f"mqtt://127.0.0.1:{mosquitto_with_password}",
                           REDIS_URL=f"redis://127.0.0.1:{redis_with_password}/0", DTP_HEALTH_TIMEOUT=2):
        badges = {b.key: b for b in health.check_all() if b.key in ("mqtt", "redis")}
    assert badges["mqtt"].state == badges["redis"].state == "down"


@pytest.mark.django_db
def test_the_scanner_badge_warns_while_any_file_has_errors(tree, scan_cmd, settings):
    tree.twin("good", "good-1")
    tree.write("bad/twin.yaml", "id: bad-1\nname: [unclosed\n")
    scan_cmd(str(tree.root))
    assert checks.scanner().state == "warn"
    tree.write("other/twin.yaml", "id: other-1\nname: Other\ntenant: acme\n")
    scan_cmd(str(tree.root))  # a later scan that parses only the new file: the broken one still shows
    warn = checks.scanner()
    assert warn.state == "warn" and "1 file has errors" in warn.detail
    tree.write("bad/twin.yaml", "id: bad-1\nname: Fixed\ntenant: acme\n")
    scan_cmd(str(tree.root))
    assert checks.scanner().state == "ok"


def test_the_mqtt_probe_command_logs_in_with_the_url(mosquitto_with_password, tmp_path):
    def probe(url: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "polyglot_dtp.probes", "mqtt"], cwd=REPO,
                              env={**os.environ, "DJANGO_SECRET_KEY": "probe-test", "DTP_DATA_DIR": str(tmp_path),
                                   "MQTT_URL": url}, capture_output=True, text=True, timeout=60)

    port = mosquitto_with_password
    good = probe(f"mqtt://dtp:s3cret@127.0.0.1:{port}")
    assert good.returncode == 0, good.stdout + good.stderr
    bad = probe(f"mqtt://127.0.0.1:{port}")
    assert bad.returncode == 1 and json.loads(bad.stdout)["status"] == "down"
