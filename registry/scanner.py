"""Find twin.yaml files under the configured roots, hash them, and parse the changed ones.

The scanner reads the disk and nothing else. The caller tells it which
content hashes are already registered (`known`), so a rescan of an unchanged
tree reads and hashes every file but parses none of them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .spec import DEFAULT_MAX_BYTES, ParsedSpec, SpecError, parse_spec

__all__ = ["SPEC_NAMES", "ScanRootError", "ScannedFile", "Scan", "find_spec_files", "scan"]

SPEC_NAMES = ("twin.yaml", "twin.yml")
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages"}

Progress = Callable[[int, int], None]


class ScanRootError(Exception):
    """A configured root is missing; scanning it would wrongly retire every twin under it."""


@dataclass(frozen=True)
class ScannedFile:
    path: str
    sha256: str
    # None: the content hash is already registered, so the file was not parsed.
    parsed: ParsedSpec | None


@dataclass(frozen=True)
class Scan:
    """One pass over the roots: every spec file found, in path order."""

    roots: tuple[str, ...]
    files: tuple[ScannedFile, ...]

    @property
    def paths(self) -> set[str]:
        return {f.path for f in self.files}


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def find_spec_files(roots: Sequence[str]) -> Iterator[str]:
    """Yield absolute spec paths under `roots`, in a stable order.

    Symlinked folders are followed, but each real folder is entered once, so
    a link back up the tree cannot make the walk loop.
    """
    for root in roots:
        root = os.path.abspath(root)
        if not os.path.isdir(root):
            raise ScanRootError(f"twins root {root} does not exist or is not a folder; "
                                "fix DTP_TWINS_ROOTS or create the folder")
        visited: set[tuple[int, int]] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            try:
                st = os.stat(dirpath)
            except OSError:
                dirnames[:] = []
                continue
            if (st.st_dev, st.st_ino) in visited:
                dirnames[:] = []
                continue
            visited.add((st.st_dev, st.st_ino))
            dirnames[:] = sorted(
                d for d in dirnames
                if not d.startswith(".") and d not in _SKIP_DIRS
                and not _is_virtualenv(os.path.join(dirpath, d))
            )
            for name in sorted(filenames):
                if name in SPEC_NAMES:
                    yield os.path.join(dirpath, name)


def _read(path: str, max_bytes: int) -> bytes:
    # Read one byte past the limit: enough for the parser to report the size
    # without loading a huge file.
    with open(path, "rb") as fh:
        return fh.read(max_bytes + 1)


def scan(
    roots: Sequence[str],
    known: Mapping[str, str] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> Scan:
    """Hash every spec file under `roots` and parse those whose hash is not in `known`."""
    known = known or {}
    paths = list(find_spec_files(roots))
    files: list[ScannedFile] = []
    for n, path in enumerate(paths, 1):
        try:
            data = _read(path, max_bytes)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            error = SpecError(path, 1, 1, f"cannot read the file: {reason}; check its permissions and links")
            files.append(ScannedFile(path, "", ParsedSpec(path, None, (error,))))
            continue
        digest = hashlib.sha256(data).hexdigest()
        parsed = None if known.get(path) == digest else parse_spec(data, path, max_bytes=max_bytes)
        files.append(ScannedFile(path, digest, parsed))
        if progress is not None:
            progress(n, len(paths))
    return Scan(tuple(os.path.abspath(r) for r in roots), tuple(files))
