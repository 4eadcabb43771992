"""What the registry agrees to store: one check for every value that arrives, from a file or over HTTP.

SQLite and PostgreSQL refuse different things (PostgreSQL: NUL in text, NaN in
jsonb; SQLite stores a lone surrogate and then cannot read it back), and a value
that is refused after a write has begun, or stored and never readable again,
breaks a twin for good. So everything is checked before anything is written,
the same way for both databases: strings are valid Unicode without NUL,
numbers are finite and within 64 bits, nesting and sizes are bounded. A problem
is a (field path, sentence) pair; the sentence quotes at most a short prefix of
the input.

This module knows nothing of Django, YAML or HTTP: data in, problems out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_VALUES", "MAX_STRING_CHARS", "MAX_KEY_CHARS", "MAX_INTEGER", "Problem",
           "Unstorable", "problems", "require_storable", "text_problem", "quote", "dotted"]

# Nesting levels below the top of a document: a twin needs a handful, 64 leaves room for any real runtime state.
MAX_DEPTH = 64
# Values (strings, numbers, items, keys...) in one document.
MAX_VALUES = 20_000
MAX_STRING_CHARS = 65_536
MAX_KEY_CHARS = 256
# A signed 64-bit integer: what every store and every JSON client after us can hold.
MAX_INTEGER = 2**63 - 1
# At most this many problems are reported for one document: the first ones say what to fix.
MAX_PROBLEMS = 20
QUOTE_CHARS = 40
# A key longer than this is shown in a field path by its prefix, like any other long input.
PATH_KEY_CHARS = 64

_Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    path: tuple[str | int, ...] = ()


class Unstorable(Exception):
    """A value the registry will not store; `problems` name each field."""

    def __init__(self, found: list[Problem]) -> None:
        self.problems = found
        super().__init__("; ".join(f"{p.field or 'body'}: {p.message}" for p in found))


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """A short, printable rendering of user input for a message: never the whole of a long value."""
    text = value if isinstance(value, str) else repr(value)
    shown = text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")
    shown = repr(shown)
    return shown + (f" (and {len(text) - limit:,} more characters)" if len(text) > limit else "")


# A path deeper than this is shown by its first and last levels.
PATH_PARTS = 12


def dotted(path: _Path) -> str:
    """metadata.domain[0]; keys that are not safe to print are shown escaped and shortened, deep paths elided."""
    if len(path) > PATH_PARTS:
        head, tail = dotted(path[:6]), dotted(("",) + path[-3:])
        return f"{head}…({len(path) - 9} levels)…{tail}"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if text_problem(part) is None and len(part) <= PATH_KEY_CHARS else quote(part)
        out += f".{name}" if out else name
    return out


def text_problem(text: str, limit: int = MAX_STRING_CHARS) -> str | None:
    """Why a string cannot be stored, or None. Checked: NUL, lone surrogates, length."""
    if "\x00" in text:
        return f"contains a NUL character (\\u0000) at position {text.index(chr(0))}; remove it"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"is not valid Unicode: a lone surrogate {text[exc.start]!a} at position {exc.start}; "
                "send text as UTF-8 characters")
    if len(text) > limit:
        return f"is {len(text):,} characters long; at most {limit:,} are stored"
    return None


def _number_problem(value: int | float) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value!r}, not a finite number (numbers beyond ±1.8e308 are not stored)"
    if isinstance(value, int) and not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
        return "is a whole number outside the signed 64-bit range (±9.2e18)"
    return None


def _walk(value: Any, root: _Path) -> Iterator[tuple[_Path, str]]:
    """Depth-first over the value, without recursion, so no depth can exhaust the stack."""
    stack: list[tuple[Any, _Path, int]] = [(value, root, 0)]
    budget = MAX_VALUES
    while stack:
        item, path, depth = stack.pop()
        budget -= 1
        if budget < 0:
            yield root, f"holds more than {MAX_VALUES:,} values; store bulky content elsewhere"
            return
        if isinstance(item, (dict, list)) and depth >= MAX_DEPTH:
            yield path, f"nests deeper than {MAX_DEPTH} levels; flatten it"
            continue
        if isinstance(item, str):
            problem = text_problem(item)
        elif isinstance(item, bool) or item is None:
            problem = None
        elif isinstance(item, (int, float)):
            problem = _number_problem(item)
        elif isinstance(item, dict):
            problem = None
            for key, child in reversed(list(item.items())):
                if not isinstance(key, str):
                    yield path, f"has the key {quote(key)}; keys must be strings"
                    continue
                key_problem = text_problem(key, MAX_KEY_CHARS)
                if key_problem:
                    yield path + (key,), f"(a key) {key_problem}"
                    continue
                stack.append((child, path + (key,), depth + 1))
        elif isinstance(item, (list, tuple)):
            problem = None
            stack.extend((child, path + (i,), depth + 1) for i, child in reversed(list(enumerate(item))))
        else:
            problem = f"is a {type(item).__name__}, which JSON cannot hold"
        if problem:
            yield path, problem


def problems(value: Any, root: _Path = ()) -> list[Problem]:
    """Every reason (up to MAX_PROBLEMS) why `value` cannot be stored, each placed by field path."""
    found: list[Problem] = []
    for path, message in _walk(value, root):
        where = dotted(path)
        found.append(Problem(where, f"{where or 'the body'} {message}", path))
        if len(found) >= MAX_PROBLEMS:
            break
    return found


def require_storable(value: Any, root: _Path = ()) -> None:
    """Raise Unstorable unless `value` may be stored: called before a write begins."""
    found = problems(value, root)
    if found:
        raise Unstorable(found)
