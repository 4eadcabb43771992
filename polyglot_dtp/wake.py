"""Wake the web processes when another process commits portal events on SQLite, without a server.

PostgreSQL has LISTEN/NOTIFY and Redis has its own pub/sub; a SQLite
deployment (`make run`: the web process, the watcher and the ingest are
separate processes writing one file) has neither. Here each web process binds
a Unix datagram socket in a folder that belongs to the database file
(`<db folder>/run/wake-<hash>/<pid>.sock`), and every process that commits
events sends one byte to each socket it finds there (`ring`). A socket nobody
holds any more (its process died) refuses the byte and is removed; a full
receive buffer means that process is being woken already. The byte carries
nothing: the receiver reads the PortalEvent table, which stays the truth, and
its poll (DTP_EVENT_POLL_SECONDS) remains the fallback for a missed byte.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import logging
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["wake_folder", "database_folder", "ring", "listen", "Listener"]

log = logging.getLogger(__name__)
# sockaddr_un holds 108 bytes with the terminating NUL; a longer folder moves to the temp dir.
_MAX_SOCKET_PATH = 100


def wake_folder(database: str) -> Path:
    """The folder of wake sockets for the SQLite file `database`: beside it, unless that path is too long to bind."""
    real = os.path.realpath(database)
    tag = hashlib.sha256(real.encode()).hexdigest()[:12]
    folder = Path(os.path.dirname(real)) / "run" / f"wake-{tag}"
    if len(str(folder)) + len(f"/{2**22}.sock") > _MAX_SOCKET_PATH:
        folder = Path(tempfile.gettempdir()) / f"dtp-wake-{os.getuid()}-{tag}"
    return folder


def database_folder() -> Path | None:
    """The wake folder of the default database when it is SQLite; None on PostgreSQL (it NOTIFYs instead)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    return wake_folder(str(connection.settings_dict["NAME"]))


def ring(folder: Path) -> int:
    """Send one byte to every wake socket in `folder`; returns how many took it. Stale sockets are removed."""
    try:
        entries = [e.path for e in os.scandir(folder) if e.name.endswith(".sock")]
    except FileNotFoundError:
        return 0  # no web process has listened on this database yet
    rung = 0
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for path in entries:
            try:
                sender.sendto(b"\0", path)
                rung += 1
            except OSError as exc:
                if exc.errno in (errno.ECONNREFUSED, errno.ENOTSOCK):
                    _remove(path)  # its process is gone
                elif exc.errno not in (errno.EAGAIN, errno.ENOENT):  # EAGAIN: that one is awake already
                    log.warning("wake socket %s: %s", path, exc)
    return rung


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class Listener(threading.Thread):
    """Holds this process's wake socket and calls `on_wake` for each burst of bytes received."""

    def __init__(self, folder: Path, on_wake: Callable[[], None]) -> None:
        super().__init__(name="wake-listener", daemon=True)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = str(folder / f"{os.getpid()}.sock")
        _remove(self.path)  # left by an earlier process with this pid
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o600)
        self.on_wake = on_wake
        atexit.register(self.close)

    def run(self) -> None:
        while True:
            try:
                self.sock.recv(64)
                self.sock.setblocking(False)
                try:
                    while self.sock.recv(64):  # a burst of commits is one wake-up
                        pass
                except BlockingIOError:
                    pass
                finally:
                    self.sock.setblocking(True)
            except OSError:
                return  # closed
            self.on_wake()

    def close(self) -> None:
        if os.path.exists(self.path) and self.sock.fileno() != -1:
            _remove(self.path)
        self.sock.close()


def listen(folder: Path, on_wake: Callable[[], None]) -> Listener:
    """Bind this process's wake socket in `folder` and call `on_wake` whenever another process rings."""
    listener = Listener(folder, on_wake)
    listener.start()
    return listener
