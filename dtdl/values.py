"""The values of an element's properties: literals, localizable strings, JSON-LD value objects.

DTDL is JSON-LD, so a value may be written plainly (`"writable": true`), as an array of one,
or as a value object (`{"@value": true, "@type": "xsd:boolean"}`), and a localizable string
as a string, a language map or an array of language-tagged values. These methods turn all
of them into plain values, with an error at the right pointer for anything else.
"""

from __future__ import annotations

import re
from typing import Any

from . import metamodel as mm
from . import units
from .context import IOTCENTRAL_SEMANTIC, lookup
from .jsonpos import escape
from .nodes import Elem

_LANG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATATYPES = {"string": "string", "bool": "boolean", "int": "integer", "literal": None}
_BAD = object()


def _flatten(value: Any, ptr: str) -> list[tuple[Any, str]]:
    """JSON-LD reads nested arrays as one flat set of values; keep each value's pointer."""
    if not isinstance(value, list):
        return [(value, ptr)]
    out: list[tuple[Any, str]] = []
    for index, item in enumerate(value):
        out.extend(_flatten(item, f"{ptr}/{index}"))
    return out


def _extra_ok(extra: set[str], lenient: bool) -> bool:
    """Members of a value object beside @value/@type/@language: none in v3; in v2 only (ignored) keywords."""
    if not extra:
        return True
    return lenient and all(k.startswith("@") for k in extra) and not extra & {"@id", "@context", "@graph"}


class ValueReader:
    """Property values of one element; `Reader` adds elements and references."""

    def err(self, message: str, doc: int, ptr: str, dtmi: str | None = None) -> None:
        raise NotImplementedError

    def _reference_or_element(self, elem: Elem, name: str, prop: mm.Prop, item: Any, at: str) -> Any:
        raise NotImplementedError

    def _unit(self, elem: Elem, raw: Any, where: str) -> None:
        allowed = units.units_for(elem.semantic or "", elem.ctx.version)
        if elem.semantic in IOTCENTRAL_SEMANTIC:
            unit_type = IOTCENTRAL_SEMANTIC[elem.semantic][0]
            allowed = tuple(u for u in units.UNIT_TYPES.get(unit_type or "", ()) if u not in units.V3_ONLY_UNITS)
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        term = lookup(elem.ctx, raw) if isinstance(raw, str) else None
        if term is None or term.kind != "unit" or term.name not in allowed:
            self.err(f"unit {raw!r} does not fit {elem.semantic}; use one of: {', '.join(allowed)}", elem.doc, where)
            return
        elem.unit = term.name

    def _values(self, elem: Elem, name: str, prop: mm.Prop, raw: Any, where: str) -> None:
        if prop.kind == "never":
            self.err(f"'{name}' may not be written in a model", elem.doc, where)
            return
        if prop.kind == "lang":
            self._lang(elem, name, prop, raw, where)
            return
        pairs = list(_flatten(raw, where))
        items = [item for item, _ in pairs]
        if prop.max is not None and len(items) > prop.max:
            self.err(f"'{name}' may have at most {prop.max} value(s); it has {len(items)}", elem.doc, where)
        if len(items) < prop.min:
            self.err(f"'{name}' needs at least {prop.min} value(s)", elem.doc, where)
        out: list[Any] = []
        for item, at in pairs:
            value = self._value(elem, name, prop, item, at)
            if value is not None:
                out.append(value)
        elem.values[name] = out
        if prop.unique:
            self._unique(elem, name, prop, out, where)

    def _value(self, elem: Elem, name: str, prop: mm.Prop, item: Any, at: str) -> Any:
        doc = elem.doc
        if prop.kind in _DATATYPES and isinstance(item, dict):
            item = self._value_object(elem, name, prop.kind, item, at)
            if item is _BAD:
                return None
        if prop.kind == "string":
            if not isinstance(item, str):
                self.err(f"'{name}' must be a string", doc, at)
            elif prop.max_length and len(item) > prop.max_length:
                self.err(f"'{name}' is {len(item)} characters long; at most {prop.max_length} are allowed", doc, at)
            elif prop.pattern and not re.match(prop.pattern, item):
                self.err(
                    f"'{name}' {item!r} must contain only letters, digits and '_', start with a letter "
                    "and end with a letter or digit", doc, at,
                )  # fmt: skip
            else:
                return item
            return None
        if prop.kind == "bool":
            if not isinstance(item, bool):
                self.err(f"'{name}' must be true or false", doc, at)
                return None
            return item
        if prop.kind == "int":
            if not isinstance(item, int) or isinstance(item, bool):
                self.err(f"'{name}' must be an integer", doc, at)
            elif prop.minimum is not None and item < prop.minimum:
                self.err(f"'{name}' must be at least {prop.minimum}", doc, at)
            elif prop.maximum is not None and item > prop.maximum:
                self.err(f"'{name}' must be at most {prop.maximum}", doc, at)
            else:
                return item
            return None
        if prop.kind == "literal":
            if not isinstance(item, (str, int)):  # bool is an int too
                self.err(f"'{name}' must be a string, an integer or a boolean", doc, at)
                return None
            return item
        return self._reference_or_element(elem, name, prop, item, at)

    def _value_object(self, elem: Elem, name: str, kind: str, item: dict[str, Any], at: str) -> Any:
        """A JSON-LD value object `{"@value": v, "@type": "xsd:..."}`: its value, or _BAD."""
        lenient = elem.ctx.version == 2  # DTDL v2 ignores other members of a value object
        extra = set(item) - {"@value", "@type", "@language"}
        if "@value" not in item or not _extra_ok(extra, lenient):
            self.err(f"'{name}' must be a literal value, not an object", elem.doc, at)
            return _BAD
        types = item.get("@type", [])
        types = types if isinstance(types, list) else [types]
        expected = _DATATYPES[kind]
        if "@language" in item and not lenient:
            self.err(f"'{name}' cannot have a language", elem.doc, at)
            return _BAD
        if len(types) > 1 or any(not isinstance(t, str) for t in types):
            self.err(f"'{name}' may have one datatype in @type", elem.doc, at)
            return _BAD
        if types and expected and types[0] not in (f"xsd:{expected}", _XSD + expected):
            self.err(f"'{name}' must be an xsd:{expected}, not {types[0]}", elem.doc, at)
            return _BAD
        value = item["@value"]
        if types and not expected:  # a literal of any type: the datatype must say what the value is
            actual = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else "string"
            if types[0] not in (f"xsd:{actual}", _XSD + actual):
                self.err(f"'{name}' is {value!r}, which is not an {types[0]}", elem.doc, at)
                return _BAD
        return value

    def _lang(self, elem: Elem, name: str, prop: mm.Prop, raw: Any, where: str) -> None:
        """A localizable string: a string, a language map, or an array of strings and value objects."""
        pairs: list[tuple[str | None, Any, str]] = []
        if isinstance(raw, dict) and "@value" in raw:
            self.err(f"'{name}' is a string, a language map or an array; not a single value object", elem.doc, where)
            return
        if isinstance(raw, dict):
            pairs = [(lang, text, f"{where}/{escape(lang)}") for lang, text in raw.items()]
            if any(lang is None or lang.startswith("@") for lang, _, _ in pairs):
                self.err(f"'{name}' has a key that is not a language code", elem.doc, where)
                return
        else:
            for index, item in enumerate(raw if isinstance(raw, list) else [raw]):
                at = f"{where}/{index}" if isinstance(raw, list) else where
                if isinstance(item, dict):
                    extra = set(item) - {"@value", "@language"}
                    if "@value" not in item or not _extra_ok(extra, elem.ctx.version == 2):
                        self.err(f"'{name}' values are strings or {{\"@value\", \"@language\"}} objects", elem.doc, at)
                        return
                    pairs.append((item.get("@language"), item["@value"], at))
                else:
                    pairs.append((None, item, at))
        out: dict[str, str] = {}
        for lang, text, at in pairs:
            key = lang if lang is not None else "en"
            if lang is not None and (not isinstance(lang, str) or not _LANG.match(lang)):
                self.err(f"{lang!r} is not a language code (such as 'en' or 'en-US')", elem.doc, at)
            elif not isinstance(text, str):
                self.err(f"'{name}' must be a string", elem.doc, at)
            elif prop.max_length and len(text) > prop.max_length:
                self.err(f"'{name}' is {len(text)} characters long; at most {prop.max_length} are allowed", elem.doc, at)
            elif key.lower() in {k.lower() for k in out} or (lang is None and "" in out):
                self.err(f"'{name}' has two values for the language {key!r}", elem.doc, at)
            else:
                out[key] = text
                if lang is None:
                    out[""] = text
        out.pop("", None)
        elem.values[name] = [out]

    def _unique(self, elem: Elem, name: str, prop: mm.Prop, values: list[Any], where: str) -> None:
        for sub in prop.unique:
            seen: set[Any] = set()
            for value in values:
                if not isinstance(value, Elem):
                    continue
                for item in value.values.get(sub, []):
                    key = (type(item).__name__, item) if not isinstance(item, (dict, list)) else None
                    if key is None:
                        continue
                    if key in seen:
                        self.err(f"two items of '{name}' have the same {sub} {item!r}", elem.doc, value.ptr)
                    seen.add(key)
