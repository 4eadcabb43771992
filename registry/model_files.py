"""Find and read the DTDL model files (*.json) under the model roots: disk in, bytes out.

Models live beside the twins (a top-level `models/` folder, or
DTP_MODELS_ROOTS). Each file holds one Interface or a JSON array of them.
This module only reads; `registry.model_set` parses the files together and
`registry.reconcile.models` writes what they define.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .scanner import FileRules, ScanRootError, UnreadableFile, read_regular_file, walk_folders

__all__ = ["MODEL_SUFFIX", "MAX_MODEL_BYTES", "ModelFile", "ModelRootError", "find_model_files", "read_model_files",
           "model_roots_beside"]

MODEL_SUFFIX = ".json"
# Azure Digital Twins accepts model uploads up to 1 MiB; a file past that is not a model.
MAX_MODEL_BYTES = 1024 * 1024
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages"}


class ModelRootError(ScanRootError):
    """A configured model root is missing; scanning it would wrongly remove every model under it.

    A ScanRootError, so whoever handles a missing twin root (the start-up scan, the command) handles it too."""


@dataclass(frozen=True)
class ModelFile:
    path: str
    sha256: str
    data: bytes
    # A sentence when the file could not be read; data is then b"".
    unreadable: str = ""


def model_roots_beside(twin_roots: Sequence[str]) -> list[str]:
    """The `models` folders that sit beside the given twin roots (for explicit roots on the command line)."""
    found = []
    for root in twin_roots:
        candidate = os.path.join(os.path.dirname(os.path.abspath(root)), "models")
        if os.path.isdir(candidate) and candidate not in found:
            found.append(candidate)
    return found


def find_model_files(roots: Sequence[str]) -> Iterator[str]:
    """Yield absolute paths of *.json files under `roots`, in a stable order, each real folder once."""
    for root in roots:
        for dirpath, dirnames, filenames in walk_folders(root, "models root", "DTP_MODELS_ROOTS", ModelRootError):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith(MODEL_SUFFIX) and not name.startswith("."):
                    yield os.path.join(dirpath, name)


MODEL_FILES = FileRules(
    noun="model file", roots="model roots", roots_setting="DTP_MODELS_ROOTS",
    limit_hint="Azure Digital Twins accepts model files of at most {max_bytes:,} bytes; split it into several files")


def read_model_files(roots: Sequence[str], *, max_bytes: int = MAX_MODEL_BYTES) -> list[ModelFile]:
    """Every model file under `roots` with its content hash; unreadable or oversized ones say why."""
    files = []
    for path in find_model_files(roots):
        try:
            data = read_regular_file(path, roots, max_bytes, MODEL_FILES)
        except UnreadableFile as exc:
            files.append(ModelFile(path, "", b"", str(exc)))
            continue
        files.append(ModelFile(path, hashlib.sha256(data).hexdigest(), data))
    return files
