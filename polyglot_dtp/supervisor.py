"""`python -m polyglot_dtp.supervisor`: the process group `make run` starts.

The web server (uvicorn, ASGI), the twin watcher, the MQTT ingest, the sample
twin stacks' generators and, when MQTT_URL is unset, an embedded MQTT broker
run as child processes; Ctrl-C or
SIGTERM stops them all, and if one dies the others are stopped too, so nothing
is left running behind the terminal.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from polyglot_dtp import runfile

__all__ = ["Child", "default_children", "supervise", "web_argv", "broker_url"]

STOP_GRACE_SECONDS = 10


@dataclass(frozen=True)
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None  # added to the supervisor's environment


def web_argv(host: str, port: int, graceful_seconds: int = 5, trusted_proxies: Sequence[str] = ()) -> list[str]:
    """The web process: uvicorn serving the ASGI app (also what the tests, benchmarks and containers start).

    X-Forwarded-For and -Proto are believed only from `trusted_proxies` (DTP_TRUSTED_PROXIES): uvicorn's
    own default trusts 127.0.0.1, so without this a forged header from any local peer chose the client
    address that sign-in limits count.
    """
    proxies = ["--forwarded-allow-ips", ",".join(trusted_proxies)] if trusted_proxies else ["--no-proxy-headers"]
    return [sys.executable, "-m", "uvicorn", "polyglot_dtp.asgi:application", "--host", host, "--port", str(port),
            "--no-access-log", "--lifespan", "off", "--timeout-graceful-shutdown", str(graceful_seconds), *proxies]


def broker_url(mqtt_url: str, embedded_port: int) -> tuple[str, int | None, str]:
    """The broker the children use, the port of an embedded broker to start (None: none), and a note.

    With MQTT_URL set, that broker. Without it, an embedded broker on
    `embedded_port`; when that port is taken (machines running Mosquitto hold
    1883) the embedded broker moves to a free port and the note says how to
    use the broker that holds it instead.
    """
    from dataplane.broker import port_is_free

    if mqtt_url:
        return mqtt_url, None, ""
    port, note = embedded_port, ""
    if not port_is_free("127.0.0.1", port):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        note = (f"MQTT port 127.0.0.1:{embedded_port} is taken (another broker, e.g. Mosquitto?); the embedded "
                f"broker uses 127.0.0.1:{port}. To use the broker on {embedded_port} instead, set "
                f"MQTT_URL=mqtt://127.0.0.1:{embedded_port}")
    return f"mqtt://127.0.0.1:{port}", port, note


def _ingest_client_id(port: int) -> str:
    """DTP_INGEST_CLIENT_ID if set, else one per web port: stable across restarts, distinct per checkout run."""
    from django.conf import settings

    return settings.DTP_INGEST_CLIENT_ID or f"dtp-ingest-make-run-{port}"


def default_children(host: str, port: int, mqtt_url: str, embedded_port: int | None,
                     trusted_proxies: Sequence[str] = ()) -> list[Child]:
    py = sys.executable
    data_env = {"MQTT_URL": mqtt_url}
    children = []
    if embedded_port is not None:
        children.append(Child("broker", [py, "-m", "dataplane.broker", "--port", str(embedded_port)]))
    children += [
        Child("web", web_argv(host, port, trusted_proxies=trusted_proxies), data_env),
        Child("watcher", [py, "manage.py", "scan_twins", "--watch"]),
        # A fixed client id, so a restarted `make run` resumes the broker's session and its queued messages.
        Child("ingest", [py, "manage.py", "ingest"], {**data_env, "DTP_INGEST_CLIENT_ID": _ingest_client_id(port)}),
        # Alarm webhooks: the outbox follower and delivery worker (docs/webhooks.md).
        Child("webhooks", [py, "manage.py", "webhooks"]),
        # The sample twin stacks: generators on the declared topics, the lift and HVAC UIs (3001, 3002).
        Child("stacks", [py, "-m", "twins.stacks"], data_env),
    ]
    return children


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    """SIGTERM everything but the broker, wait, then the broker: the others flush and disconnect first."""
    waves = [{n: p for n, p in procs.items() if n != "broker"}, {n: p for n, p in procs.items() if n == "broker"}]
    for wave in waves:
        for proc in wave.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in wave.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def supervise(children: list[Child]) -> int:
    """Run `children` until a signal or until one of them exits; return an exit code."""
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    procs: dict[str, subprocess.Popen] = {}
    try:
        for child in children:
            # Children ignore the terminal's Ctrl-C; the supervisor stops them in order.
            env = {**os.environ, **child.env} if child.env else None
            procs[child.name] = subprocess.Popen(child.argv, env=env, preexec_fn=lambda: signal.signal(
                signal.SIGINT, signal.SIG_IGN))
            if child.name == "broker":  # the others connect to it: wait until it listens
                _wait_for_port(child.argv[-1], procs[child.name])
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"supervisor: {name} exited with code {proc.returncode}; stopping the others",
                          file=sys.stderr)
                    return proc.returncode or 1
            time.sleep(0.2)
        return 0
    finally:
        _stop(procs)


def _wait_for_port(port: str, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Until the broker listens; probing by bind, so no half-open connection troubles the broker's log."""
    from dataplane.broker import port_is_free

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and port_is_free("127.0.0.1", int(port)):
        time.sleep(0.05)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    import django

    django.setup()
    from django.conf import settings

    host, port = settings.DTP_HOST, settings.DTP_PORT
    mqtt_url, embedded_port, note = broker_url(settings.MQTT_URL, settings.DTP_MQTT_EMBEDDED_PORT)
    if note:
        print(note, flush=True)
    print(f"polyglot-dtp: portal on http://localhost:{port}/, MQTT on {mqtt_url} (Ctrl-C stops everything)",
          flush=True)
    # Generated fleets (`python -m twins.fleet generate`) land in var/fleet: watched beside the twins roots.
    fleet = runfile.fleet_root(settings.DATA_DIR)
    fleet.mkdir(parents=True, exist_ok=True)
    roots = list(dict.fromkeys([*settings.DTP_TWINS_ROOTS, str(fleet.resolve())]))
    os.environ["DTP_TWINS_ROOTS"] = os.pathsep.join(roots)
    info_path = settings.DATA_DIR / runfile.NAME
    runfile.write(info_path, runfile.RunInfo(os.getpid(), mqtt_url, f"http://localhost:{port}/", roots))
    try:
        code = supervise(default_children(host, port, mqtt_url, embedded_port, settings.DTP_TRUSTED_PROXIES))
    finally:
        runfile.remove(info_path, os.getpid())
    sys.exit(code)


if __name__ == "__main__":
    main()
