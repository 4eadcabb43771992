"""The element and reference records that reading a model set produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .context import Context


@dataclass
class Ref:
    """A reference to an element by DTMI, resolved after reading (`checks.resolve`)."""

    dtmi: str
    classes: tuple[str, ...]
    doc: int
    ptr: str
    holder: Any = None  # the Elem whose property holds the reference


@dataclass
class Elem:
    """One element as read: its class and the values of its properties."""

    cls: str
    ctx: Context
    doc: int
    ptr: str
    obj: dict[str, Any]
    id: str | None = None
    values: dict[str, list[Any]] = field(default_factory=dict)  # property -> [Elem | Ref | str | literal]
    semantic: str | None = None
    unit: str | None = None
    co_types: list[str] = field(default_factory=list)
    undefined_cotype: bool = False
    parent: Elem | None = None
    via: str | None = None  # the property of the parent that holds this element
