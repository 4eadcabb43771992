"""JSON text -> value plus the line and column of every value, keyed by JSON pointer.

The standard library's decoder gives no positions, and an error that says only
"the schema is wrong" is not enough: the user needs `file:line:column`. This small
recursive-descent reader keeps the position of each value (and of each object
key, under the pointer of its value with a trailing "#key").
"""

from __future__ import annotations

import json
import re
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_LITERALS = {"true": True, "false": False, "null": None}


class JsonSyntaxError(ValueError):
    """A document that is not JSON; `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def escape(token: str) -> str:
    """One JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.positions: dict[str, tuple[int, int]] = {}
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def where(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self._line_starts[lo] + 1

    def fail(self, message: str) -> JsonSyntaxError:
        line, column = self.where(self.pos)
        return JsonSyntaxError(message, line, column)

    def skip(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()

    def value(self, pointer: str) -> Any:
        self.skip()
        self.positions[pointer] = self.where(self.pos)
        ch = self.text[self.pos : self.pos + 1]
        if ch == "{":
            return self.obj(pointer)
        if ch == "[":
            return self.arr(pointer)
        if ch == '"':
            return self.string()
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return json.loads(match.group())
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return literal
        raise self.fail("expected a JSON value here" if ch else "the document ends where a value was expected")

    def string(self) -> str:
        match = _STRING.match(self.text, self.pos)
        if not match:
            raise self.fail("this string is not closed or has an invalid escape")
        self.pos = match.end()
        return json.loads(match.group())

    def obj(self, pointer: str) -> dict[str, Any]:
        self.pos += 1
        out: dict[str, Any] = {}
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return out
        while True:
            self.skip()
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a quoted property name")
            key_at = self.where(self.pos)
            key = self.string()
            child = f"{pointer}/{escape(key)}"
            if key in out:
                raise self.fail(f"the property {key!r} appears twice in this object; keep one")
            self.positions[child + "#key"] = key_at
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':' after the property name")
            self.pos += 1
            out[key] = self.value(child)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return out
            raise self.fail("expected ',' or '}' after this property")

    def arr(self, pointer: str) -> list[Any]:
        self.pos += 1
        out: list[Any] = []
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return out
        while True:
            out.append(self.value(f"{pointer}/{len(out)}"))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return out
            raise self.fail("expected ',' or ']' after this item")


def loads(text: str | bytes) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Parse JSON text; return the value and {pointer: (line, column)}."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    elif text.startswith("\ufeff"):
        text = text[1:]
    reader = _Reader(text)
    value = reader.value("")
    reader.skip()
    if reader.pos != len(text):
        raise reader.fail("unexpected text after the end of the JSON document")
    return value, reader.positions
