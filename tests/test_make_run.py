"""What `make run` starts: the portal with the sample twins, as one process group that Ctrl-C stops."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.browser.server import free_port

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 90  # seconds; generous for a loaded machine, not a performance claim


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Browser:
    """Just enough of a browser to sign in: cookies, and the CSRF token from the form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str | None:
        try:
            with self.opener.open(self.base + path, timeout=2) as response:
                return response.read().decode()
        except OSError:
            return None

    def sign_in(self, username: str, password: str) -> str:
        form = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode({"username": username, "password": password, "next": "/",
                                       "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + "/accounts/login/", data=data,
                                         headers={"Referer": self.base + "/accounts/login/"})
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()


def started_beside(env: dict[str, str], browser: Browser, end: float) -> None:
    """A user's fleet, generated and run by hand in another terminal: no MQTT_URL, no twins roots given."""
    by_hand = {k: v for k, v in env.items() if k not in ("MQTT_URL", "DTP_TWINS_ROOTS")}
    generated = subprocess.run([sys.executable, "-m", "twins.fleet", "generate", "--machines", "2",
                                "--interval", "0.5"], cwd=REPO, env=by_hand, capture_output=True, text=True,
                               timeout=60)
    assert generated.returncode == 0, generated.stderr
    fleet = subprocess.Popen([sys.executable, "-m", "twins.fleet", "run", "--seed", "1"], cwd=REPO, env=by_hand,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def receiving() -> list[str]:
            body = browser.get("/api/registry/twins?tenant=acme-factory")
            rows = json.loads(body)["results"] if body else []
            return [t["id"] for t in rows if t["runtime"].get("liveness") == "receiving"]
        while time.monotonic() < end and fleet.poll() is None and len(receiving()) < 2:
            time.sleep(0.2)
        assert len(receiving()) == 2, fleet.stderr.read() if fleet.poll() is not None else "fleet not received"
    finally:
        fleet.terminate()
        fleet.wait(timeout=30)


def test_the_portal_serves_the_sample_twins_and_ctrl_c_stops_every_process(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MQTT_URL")}
    env.update({"DTP_DATA_DIR": str(tmp_path), "DTP_PORT": str(port), "PYTHONUNBUFFERED": "1",
                # the stacks' UIs on free ports (other runs may hold 3001/3002), and a quick tick
                "LIFT_UI_PORT": "0", "ENERGY_UI_PORT": "0", "PUBLISH_INTERVAL_SEC": "0.5"})
    # The steps of `make run`: migrate, create the admin account (its password is printed), supervise.
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    bootstrap = subprocess.run([sys.executable, "manage.py", "bootstrap_admin"], cwd=REPO, env=env, check=True,
                               capture_output=True, text=True).stdout
    username, password = re.search(r"as '(\w+)' with password: (\S+)", bootstrap).groups()
    log_path = tmp_path / "make-run.log"
    with open(log_path, "w") as log:  # a file, not a pipe nobody reads: the group may say a lot
        group = subprocess.Popen([sys.executable, "-m", "polyglot_dtp.supervisor"], cwd=REPO, env=env,
                                 stdout=log, stderr=subprocess.STDOUT, text=True)
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        end = time.monotonic() + DEADLINE
        page = None
        while time.monotonic() < end and group.poll() is None and page is None:
            page = browser.get("/")
            time.sleep(0.2)
        assert page is not None and group.poll() is None, log_path.read_text()
        assert "Sign in" in page and "Lift 001" not in page  # nothing is shown before signing in
        page = browser.sign_in(username, password)
        # Cards are titled with each twin's `name`; ui.name labels the link to the twin's own UI.
        for name in ("Lift 001 (Building A)", "Energy &amp; HVAC plant (Building A)", "Room 1 temperature",
                     "M5Core2 bench device", "HVAC plant A dashboard →"):
            assert name in page
        # Live numbers: the stacks publish, the ingest stores, the twin pages chart them.
        for twin_id in ("lift-001", "energy-hvac-001", "room-sensor-001", "m5core2-001"):
            def charted(twin_id=twin_id):
                body = browser.get(f"/twins/{twin_id}/observations.json")
                return body and json.loads(body)["charts"]
            charts = None
            while time.monotonic() < end and group.poll() is None and not charts:
                charts = charted()
                time.sleep(0.2)
            assert charts and all(c["count"] > 0 for c in charts), (twin_id, log_path.read_text())
        def liveness() -> str | None:
            body = browser.get("/api/registry/twins/lift-001")
            return body and json.loads(body)["runtime"].get("liveness")
        while time.monotonic() < end and liveness() != "receiving":
            time.sleep(0.2)
        assert liveness() == "receiving"
        children = children_of(group.pid)
        assert len(children) == 6, log_path.read_text()  # embedded broker, web, watcher, ingest, webhooks, stacks
        started_beside(env, browser, end)
        output = log_path.read_text()
        assert "MQTT on mqtt://127.0.0.1:" in output and "Traceback" not in output

        group.send_signal(signal.SIGINT)
        assert group.wait(timeout=30) == 0
        assert [pid for pid in children if alive(pid)] == []
        assert not (tmp_path / "make-run.json").exists()  # what the stacks started beside it read is gone
    except Exception:
        print(log_path.read_text())  # what the process group said, for the failure report
        raise
    finally:
        if group.poll() is None:
            group.kill()
