"""Rules between the contents of one Interface (with what it inherits) that extensions add.

A ValueAnnotation names, in `annotates`, a Property or Telemetry beside it; an Override
(with its ValueAnnotation) replaces one extension property of that element, such as
`unit`, so its schema must be the matching unit type and no two may override the same
one. An Indexed element's `index` is unique among its siblings.
"""

from __future__ import annotations

from typing import Any

from . import units
from .elements import Elem, Reader
from .extensions import EXTENSIONS


def _prop(elem: Elem, name: str) -> Any:
    """The raw value of an extension property (they are not kept in `values`)."""
    for key, raw in elem.obj.items():
        if key == name or key.endswith(f":{name}"):
            return raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    return None


def _named(contents: list[Elem]) -> dict[str, Elem]:
    return {c.values["name"][0]: c for c in contents if c.values.get("name")}


def check_interface(reader: Reader, contents: list[Elem]) -> None:
    """`contents`: the Interface's own contents followed by the inherited ones."""
    by_name = _named(contents)
    overridden: dict[tuple[str, str], Elem] = {}
    for content in contents:
        if "ValueAnnotation" not in content.co_types or not _has_extension(content, "ValueAnnotation"):
            continue
        target = by_name.get(str(_prop(content, "annotates")))
        if target is None:
            continue
        where = (content.doc, content.ptr)
        if target.cls not in ("Property", "Telemetry"):
            reader.err(f"'annotates' names '{_prop(content, 'annotates')}', a {target.cls}; it must name a Property or Telemetry", *where)
            continue
        if "ValueAnnotation" in target.co_types:
            reader.err(f"'annotates' names '{_prop(content, 'annotates')}', which is itself a ValueAnnotation", *where)
            continue
        if "Override" in content.co_types:
            _override(reader, content, target, overridden)


def _has_extension(elem: Elem, cotype: str) -> bool:
    return any(cotype in EXTENSIONS.get(ext, {}) for ext in elem.ctx.extensions)


def _override(reader: Reader, content: Elem, target: Elem, overridden: dict[tuple[str, str], Elem]) -> None:
    where = (content.doc, content.ptr)
    prop = str(_prop(content, "overrides"))
    if prop != "unit":
        reader.err(f"'overrides' must name an extension property of '{target.values['name'][0]}' (such as 'unit'), not '{prop}'", *where)
        return
    if target.semantic is None or target.unit is None:
        reader.err(f"'{target.values['name'][0]}' has no '{prop}' to override", *where)
        return
    key = (target.values["name"][0], prop)
    if key in overridden and overridden[key] is not content:
        reader.err(f"'{key[1]}' of '{key[0]}' is overridden twice", *where)
        return
    overridden[key] = content
    unit_type = units.SEMANTIC_TYPES.get(target.semantic)
    schema = (content.values.get("schema") or [None])[0]
    schema = units.UNIT_TYPE_ALIASES.get(schema, schema) if isinstance(schema, str) else schema
    if schema != unit_type:
        reader.err(f"an override of the unit of a {target.semantic} must have the schema {unit_type}", *where)


def check_indexes(reader: Reader, siblings: list[Elem]) -> None:
    """Indexed elements side by side (contents, fields, enum values) need distinct `index` values."""
    seen: dict[Any, Elem] = {}
    for elem in siblings:
        if "Indexed" not in elem.co_types:
            continue
        index = _prop(elem, "index")
        if isinstance(index, int) and index in seen:
            reader.err(f"index {index} is used by two elements side by side", elem.doc, elem.ptr)
        seen[index] = elem
