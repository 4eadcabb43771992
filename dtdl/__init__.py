"""A DTDL (Digital Twins Definition Language) v3 and v2 validator, in plain Python.

`parse(documents)` reads a model set (JSON text or parsed objects) and returns its
Interfaces, or raises `DtdlError` with every problem found, each with a JSON pointer
and, for text, a line and column. No Django here: the registry, the CLI and the
tests all use this package the same way.
"""

from __future__ import annotations

from typing import Any

from . import units
from .build import build
from .checks import check_all, resolve
from .elements import Reader
from .errors import DtdlError, Issue
from .jsonpos import JsonSyntaxError, loads
from .model import Content, Interface, ModelSet, Schema

__all__ = ["Content", "DtdlError", "Interface", "Issue", "ModelSet", "Schema", "parse", "units"]


def _position(positions: dict[str, tuple[int, int]], pointer: str) -> tuple[int, int] | tuple[None, None]:
    while True:
        if pointer in positions:
            return positions[pointer]
        if not pointer:
            return None, None
        pointer = pointer.rsplit("/", 1)[0]


def _owner(document: Any, pointer: str) -> str | None:
    """The @id of the top-level Interface that `pointer` points into (to tell which model is broken)."""
    top = document
    if isinstance(document, list):
        index = pointer.split("/")[1] if pointer.count("/") >= 1 else ""
        top = document[int(index)] if index.isdigit() and int(index) < len(document) else None
    found = top.get("@id") if isinstance(top, dict) else None
    return found if isinstance(found, str) else None


def parse(documents: list[Any], *, allow_undefined_extensions: bool | None = False) -> ModelSet:
    """Parse and validate one model set; raise DtdlError listing every problem.

    Each item of `documents` is JSON text (str or bytes) or an already-parsed object
    or array. References (`extends`, `schema`, ...) may cross documents.
    `allow_undefined_extensions=None` applies DTDL's own default, as Azure does: a v2 model
    may name contexts this parser does not know (their terms still count as undefined).
    """
    reader = Reader(allow_undefined_extensions)
    values: list[Any] = []
    positions: list[dict[str, tuple[int, int]]] = []
    syntax: list[Issue] = []
    for index, document in enumerate(documents):
        if isinstance(document, (str, bytes)):
            try:
                value, where = loads(document)
            except JsonSyntaxError as exc:
                syntax.append(Issue(exc.message, "", index, exc.line, exc.column))
                values.append(None)
                positions.append({})
                continue
        else:
            value, where = document, {}
        values.append(value)
        positions.append(where)
        reader.document(value, index)
    resolve(reader)
    check_all(reader)
    issues = list(syntax)
    for message, doc, pointer, dtmi in reader.errors:
        line, column = _position(positions[doc], pointer) if doc < len(positions) else (None, None)
        issues.append(Issue(message, pointer, doc, line, column, dtmi, _owner(values[doc], pointer)))
    if issues:
        issues.sort(key=lambda i: (i.document, i.line or 0, i.column or 0))
        raise DtdlError(issues)
    return build(reader, values)
