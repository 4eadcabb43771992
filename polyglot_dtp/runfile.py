"""What a running `make run` tells the programs started beside it: its broker, its twins roots, its portal.

`make run` picks its broker at start (the embedded one, on 1883 or on a free
port when 1883 is taken), so a stack started by hand in another terminal
(`python -m twins.lift`, `python -m twins.fleet run`) cannot know where it
went. The supervisor writes this small file in the data folder while it runs
and removes it when it stops; the stacks read it when MQTT_URL is not set,
and `twins.fleet generate` writes where the running watcher looks. A file left
by a run that died is ignored (its process is gone). No Django here: the
stacks read it too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["RunInfo", "runfile_path", "write", "read", "remove", "fleet_root"]

NAME = "make-run.json"


@dataclass(frozen=True)
class RunInfo:
    pid: int
    mqtt_url: str
    portal_url: str
    twins_roots: list[str] = field(default_factory=list)


def runfile_path(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get("DTP_DATA_DIR", "").strip() or "var") / NAME


def fleet_root(data_dir: Path) -> Path:
    """Where `make run` watches for generated twins beside twins/: var/fleet."""
    return data_dir / "fleet"


def write(path: Path, info: RunInfo) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
    os.replace(tmp, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read(path: Path) -> RunInfo | None:
    """The running `make run`'s info, or None (no file, a broken one, or its process is gone)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = RunInfo(int(data["pid"]), str(data["mqtt_url"]), str(data["portal_url"]),
                       [str(r) for r in data.get("twins_roots", [])])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if _alive(info.pid) else None


def remove(path: Path, pid: int) -> None:
    """Remove the file if it is still this run's."""
    info = read(path)
    if info is not None and info.pid == pid:
        path.unlink(missing_ok=True)
