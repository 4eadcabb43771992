"""Find twin.yaml files under the configured roots, hash them, and parse the changed ones.

The scanner reads the disk and nothing else. The caller tells it which
content hashes are already registered (`known`), so a rescan of an unchanged
tree reads and hashes every file but parses none of them.

Nothing on disk may hang it or leak through it: only regular files inside the
roots are read (`read_regular_file`), a FIFO, socket, device or folder named
twin.yaml is an error, and a link that leads outside the roots is refused
without opening, let alone quoting, what it points at.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .spec import DEFAULT_MAX_BYTES, ParsedSpec, SpecError, parse_spec

__all__ = ["FileRules", "TWIN_SPECS", "SPEC_NAMES", "ScanRootError", "UnreadableFile", "ScannedFile", "Scan", "find_spec_files",
           "folder_links", "read_regular_file", "root_of", "scan", "scan_folders", "walk_folders", "walked"]

SPEC_NAMES = ("twin.yaml", "twin.yml")
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages"}

Progress = Callable[[int, int], None]


class ScanRootError(Exception):
    """A configured root is missing; scanning it would wrongly retire every twin under it."""


class UnreadableFile(Exception):
    """A path the scanner refuses to read; the message names the path and says what to change."""


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


def _inside(real: str, real_roots: Sequence[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in real_roots)


def find_spec_files(roots: Sequence[str]) -> Iterator[str]:
    """Yield absolute spec paths under `roots`, in a stable order.

    Symlinked folders inside the roots are followed, but each real folder is
    entered once, so a link back up the tree cannot make the walk loop. A
    folder link leading outside the roots is not entered: it is yielded, so
    that reading it reports the refusal. A folder named twin.yaml is yielded
    too (and not entered), so that it is an error rather than a silent skip.
    """
    real_roots = [os.path.realpath(r) for r in roots]
    for root in roots:
        yield from _specs_under(root, real_roots)


def _specs_under(folder: str, real_roots: Sequence[str]) -> Iterator[str]:
    for dirpath, dirnames, filenames in walk_folders(folder, "twins root", "DTP_TWINS_ROOTS"):
        yield from sorted(os.path.join(dirpath, n) for n in filenames if n in SPEC_NAMES)
        keep = []
        for d in sorted(dirnames):
            path = os.path.join(dirpath, d)
            if d in SPEC_NAMES:
                yield path
            elif _skipped(d):
                continue
            elif os.path.islink(path) and not _inside(os.path.realpath(path), real_roots):
                yield path
            elif not _is_virtualenv(path):
                keep.append(d)
        dirnames[:] = keep


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in _SKIP_DIRS


def root_of(roots: Sequence[str], path: str) -> str | None:
    """The root `path` lies strictly inside, if any."""
    for root in roots:
        if path.startswith(os.path.abspath(root).rstrip(os.sep) + os.sep):
            return os.path.abspath(root)
    return None


def walked(roots: Sequence[str], folder: str) -> bool:
    """Whether a full scan's walk would enter `folder` (which need not exist any more).

    No folder on the way from its root down to it may be hidden, a skipped name
    (node_modules, ...), a virtualenv or a link: folders behind links are
    reached under another path, which only the full walk can tell.
    """
    root = root_of(roots, folder)
    if root is None:
        return False
    path = root
    for part in os.path.relpath(folder, root).split(os.sep):
        path = os.path.join(path, part)
        if _skipped(part) or os.path.islink(path) or _is_virtualenv(path):
            return False
    return True


def folder_links(roots: Sequence[str]) -> list[str]:
    """Links to folders that the full walk would follow under `roots` (the watcher's subset scans need none)."""
    found: list[str] = []
    stack = [os.path.abspath(r) for r in roots if os.path.isdir(r)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if _skipped(entry.name) or entry.name in SPEC_NAMES:
                continue
            if entry.is_symlink():
                if os.path.isdir(entry.path):
                    found.append(entry.path)
            elif entry.is_dir(follow_symlinks=False) and not _is_virtualenv(entry.path):
                stack.append(entry.path)
    return sorted(found)


def walk_folders(root: str, what: str, setting: str,
                 error: type[ScanRootError] = ScanRootError) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk of a root, following folder links but entering each real folder once (no loops).

    The caller prunes `dirnames` in place as with os.walk. A missing root is a
    ScanRootError (or `error`) naming `setting`: scanning it would wrongly retire all it held.
    """
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise error(f"{what} {root} does not exist or is not a folder; fix {setting} or create the folder")
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
        yield dirpath, dirnames, filenames


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


@dataclass(frozen=True)
class FileRules:
    """How refusals name what was read: a twin spec under DTP_TWINS_ROOTS, or a model under DTP_MODELS_ROOTS."""

    noun: str = "twin spec"
    roots: str = "twins roots"
    roots_setting: str = "DTP_TWINS_ROOTS"
    limit_hint: str = "twin specs are limited to {max_bytes:,} bytes (DTP_SPEC_MAX_BYTES); move bulky content elsewhere"


TWIN_SPECS = FileRules()


def _not_regular(path: str, mode: int, rules: FileRules) -> UnreadableFile:
    return UnreadableFile(f"{os.path.basename(path)} is {_kind(mode)}, not a regular file; "
                          f"a {rules.noun} must be a regular file (remove or rename this one)")


def _outside(path: str, rules: FileRules) -> UnreadableFile:
    return UnreadableFile(f"{path} is a link that leads outside the {rules.roots}; links are only followed inside "
                          f"{rules.roots_setting}: copy the file into the tree or add its folder to the roots")


def _opened_path(fd: int) -> str | None:
    """Where an open descriptor really points (Linux /proc), so a path swapped after the checks is caught."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def read_regular_file(path: str, roots: Sequence[str], max_bytes: int, rules: FileRules = TWIN_SPECS) -> bytes:
    """The bytes of `path`, if it is a regular file inside `roots` of at most `max_bytes` bytes.

    Anything else raises UnreadableFile with a message for the user, and
    nothing outside the roots is ever read. The checks are made before the
    open (so a FIFO, device or outside file is not even opened) and again on
    the open descriptor (so a path swapped for a pipe or an outside link in
    between is still refused before a byte is read); the open never blocks
    and never follows a last-component link, and the read itself stops one
    byte past the limit. Other scanners (the models folder) use it too.
    """
    real = os.path.realpath(path)
    real_roots = [os.path.realpath(r) for r in roots]
    if not _inside(real, real_roots):
        raise _outside(path, rules)
    try:
        st = os.stat(real)
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}; check its permissions and links") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode, rules)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(real, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the last component became a link after realpath
            raise _outside(path, rules) from None
        raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}; check its permissions and links") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(path, st.st_mode, rules)
        opened = _opened_path(fd)
        if opened is not None and not _inside(opened, real_roots):
            raise _outside(path, rules)
        if st.st_size > max_bytes:
            raise _too_big(st.st_size, max_bytes, rules)
        return _read_capped(fd, max_bytes, rules)
    finally:
        os.close(fd)


def _read_capped(fd: int, max_bytes: int, rules: FileRules) -> bytes:
    """At most `max_bytes`; a file that grew past them since the fstat is refused, not truncated."""
    chunks, size = [], 0
    while size <= max_bytes:
        chunk = os.read(fd, max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise _too_big(size, max_bytes, rules)
    return b"".join(chunks)


def _too_big(size: int, max_bytes: int, rules: FileRules) -> UnreadableFile:
    return UnreadableFile(f"the file is {size:,} bytes; " + rules.limit_hint.format(max_bytes=max_bytes))


def scan(
    roots: Sequence[str],
    known: Mapping[str, str] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> Scan:
    """Hash every spec file under `roots` and parse those whose hash is not in `known`."""
    files = _read_specs(list(find_spec_files(roots)), roots, known or {}, max_bytes, progress)
    return Scan(tuple(os.path.abspath(r) for r in roots), files)


def scan_folders(
    roots: Sequence[str],
    folders: Sequence[str],
    known: Mapping[str, str] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Scan:
    """The spec files under `folders` only (each inside one of `roots`, as `walked` allows): the watcher's pass.

    The Scan's roots are the folders, so reconciling it decides only the twins
    whose files lie under them: a file found is applied, a twin whose file
    under them is gone is released (a folder that no longer exists holds
    nothing), and files elsewhere keep their twins. Files are read under the
    rules of the whole `roots` (a link may lead anywhere inside them).
    """
    real_roots = [os.path.realpath(r) for r in roots]
    paths = [p for folder in folders if os.path.isdir(folder) for p in _specs_under(folder, real_roots)]
    files = _read_specs(paths, roots, known or {}, max_bytes, None)
    return Scan(tuple(os.path.abspath(f) for f in folders), files)


def _read_specs(paths: Sequence[str], roots: Sequence[str], known: Mapping[str, str], max_bytes: int,
                progress: Progress | None) -> tuple[ScannedFile, ...]:
    files: list[ScannedFile] = []
    for n, path in enumerate(paths, 1):
        try:
            data = read_regular_file(path, roots, max_bytes)
        except UnreadableFile as exc:
            files.append(ScannedFile(path, "", ParsedSpec(path, None, (SpecError(path, 1, 1, str(exc)),))))
        else:
            digest = hashlib.sha256(data).hexdigest()
            parsed = None if known.get(path) == digest else parse_spec(data, path, max_bytes=max_bytes)
            files.append(ScannedFile(path, digest, parsed))
        if progress is not None:
            progress(n, len(paths))
    return tuple(files)
