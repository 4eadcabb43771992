"""Reading one JSON object as a DTDL element: its context, type, identifier and properties.

Each element is checked against the class table in `metamodel` (counts, lengths,
patterns, which classes its values may be); references to other elements are only
recorded here and resolved once the whole model set has been read (`checks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import metamodel as mm
from . import units
from .context import IOTCENTRAL_SEMANTIC, Context, is_term, lookup, read_context
from .jsonpos import escape

_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_KEYWORDS = ("@context", "@id", "@type")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATATYPES = {"string": "string", "bool": "boolean", "int": "integer", "literal": None}
_BAD = object()


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


class Reader:
    """Reads the documents of one model set, collecting elements, references and errors."""

    def __init__(self, allow_undefined: bool) -> None:
        self.allow_undefined = allow_undefined
        self.errors: list[tuple[str, int, str, str | None]] = []  # message, doc, pointer, dtmi
        self.elements: dict[str, Elem] = {}
        self.all: list[Elem] = []
        self.refs: list[Ref] = []
        self.tops: list[Elem] = []

    def err(self, message: str, doc: int, ptr: str, dtmi: str | None = None) -> None:
        self.errors.append((message, doc, ptr, dtmi))

    # -- documents -------------------------------------------------------------------------------
    def document(self, value: Any, doc: int) -> None:
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            ptr = f"/{index}" if isinstance(value, list) else ""
            if not isinstance(item, dict):
                self.err("a DTDL document is an Interface object or an array of them", doc, ptr)
                continue
            if "@context" not in item:
                self.err("a top-level element needs an @context, such as \"dtmi:dtdl:context;3\"", doc, ptr)
                continue
            elem = self.element(item, doc, ptr, None, ("Interface",), None, top=True)
            if elem is not None:
                self.tops.append(elem)

    # -- one element -----------------------------------------------------------------------------
    def element(
        self, obj: dict[str, Any], doc: int, ptr: str, ctx: Context | None,
        classes: tuple[str, ...], infer: str | None, top: bool = False, parent: Elem | None = None,
        need_id: bool = False, via: str | None = None, older_ok: bool = True,
    ) -> Elem | None:  # fmt: skip
        if "@context" in obj:
            outer = ctx
            new, problems = read_context(obj["@context"], ctx, self.allow_undefined)
            for problem in problems:
                self.err(problem, doc, f"{ptr}/@context")
            if new is None:
                return None
            ctx = new
            if outer is not None and new.version != outer.version and not older_ok:
                self.err(f"'{via}' cannot hold a DTDL v{new.version} element in a v{outer.version} model", doc, f"{ptr}/@context")
                return None
        assert ctx is not None
        cls, co_types, semantic, undefined = self._types(obj, doc, ptr, ctx, classes, infer)
        if cls is None:
            return None
        elem = Elem(cls, ctx, doc, ptr, obj, co_types=co_types, semantic=semantic, undefined_cotype=undefined)
        elem.parent = parent
        elem.via = via
        self._identifier(elem, need_id or top or cls == "Interface")
        if semantic and not self._semantic_allowed(ctx.version, cls):
            self.err(f"the semantic type '{semantic}' cannot be a co-type of a {cls}", doc, f"{ptr}/@type")
        self._properties(elem)
        if semantic in units.SEMANTIC_TYPES and elem.unit is None:
            self.err(f"a {semantic} needs a 'unit', one of: {', '.join(units.units_for(semantic, ctx.version))}", doc, ptr)
        self.all.append(elem)
        return elem

    @staticmethod
    def _semantic_allowed(version: int, cls: str) -> bool:
        if version == 2:
            return cls in ("Property", "Telemetry", "Relationship")
        return cls in ("Property", "Telemetry") or mm.is_subclass(version, cls, "SchemaField")

    def _types(
        self, obj: dict[str, Any], doc: int, ptr: str, ctx: Context, classes: tuple[str, ...], infer: str | None
    ) -> tuple[str | None, list[str], str | None, bool]:
        raw = obj.get("@type")
        where = f"{ptr}/@type"
        if raw is None and "@type" in obj:
            self.err("@type must be a string or an array of strings, not null", doc, where)
            return None, [], None, False
        if raw is None:
            if infer:
                return infer, [], None, False
            self.err(f"this element needs an @type ({' or '.join(self._concrete(ctx.version, classes))})", doc, ptr)
            return None, [], None, False
        names = raw if isinstance(raw, list) else [raw]
        if not names or not all(isinstance(n, str) for n in names):
            self.err("@type must be a string or an array of strings", doc, where)
            return None, [], None, False
        material: set[str] = set()
        semantic: str | None = None
        co_types: list[str] = []
        undefined = False
        for name in names:
            term = lookup(ctx, name)
            if term and term.kind == "class":
                klass = mm.CLASSES[ctx.version].get(term.name)
                if klass is None or klass.abstract:
                    self.err(f"'{name}' is an abstract class and cannot be an @type", doc, where)
                    return None, [], None, False
                material.add(term.name)
            elif term and term.kind == "semantic":
                if semantic and semantic != term.name:
                    self.err(f"an element may have one semantic type; it has '{semantic}' and '{term.name}'", doc, where)
                semantic = term.name
                co_types.append(term.name)
            elif term and term.kind == "feature":
                co_types.append(term.name)
            elif not self._undefined_ok(ctx, name, as_cotype=True, where=(doc, where)):
                return None, [], None, False
            else:
                co_types.append(name)
                undefined = True
        if len(material) != 1:
            self.err(
                "@type must include exactly one element class "
                f"({' or '.join(self._concrete(ctx.version, classes))}); it has {len(material) or 'none'}",
                doc, where,
            )  # fmt: skip
            return None, [], None, False
        cls = material.pop()
        if classes and not any(mm.is_subclass(ctx.version, cls, c) for c in classes):
            allowed = " or ".join(self._concrete(ctx.version, classes))
            self.err(f"a {cls} is not allowed here; expected {allowed}", doc, where)
            return None, [], None, False
        return cls, co_types, semantic, undefined

    @staticmethod
    def _concrete(version: int, classes: tuple[str, ...]) -> list[str]:
        table = mm.CLASSES[version]
        out = [n for n, k in table.items() if not k.abstract and any(mm.is_subclass(version, n, c) for c in classes)]
        return out or list(classes)

    def _undefined_ok(self, ctx: Context, name: str, as_cotype: bool, where: tuple[int, str]) -> bool:
        """The undefined-extension rules, for a co-type or property key nobody defines here."""
        what = "co-type" if as_cotype else "property"
        if name.startswith("dtmi:") and not re.match(mm.DTMI_PATTERN[3], name):
            if ctx.version == 2 and not as_cotype:
                return True
            self.err(f"'{name}' is not a valid DTMI", *where)
            return False
        if not name.startswith("dtmi:") and not is_term(name):
            if ctx.version == 2:
                return True
            self.err(f"'{name}' is neither a DTMI nor a term, so it cannot be a {what}", *where)
            return False
        if self.allow_undefined or (ctx.version == 2 and not as_cotype):
            return True
        if ctx.version == 2 and is_term(name) and lookup(ctx, name) is None:
            return True  # DTDL v2 accepts an undefined term as a co-type
        self.err(
            f"'{name}' is not defined by DTDL or a known extension; "
            "declare its extension or parse with allow_undefined_extensions", *where,
        )  # fmt: skip
        return False

    def _identifier(self, elem: Elem, required: bool) -> None:
        raw = elem.obj.get("@id")
        where = f"{elem.ptr}/@id"
        if raw is None and "@id" in elem.obj:
            self.err("@id must be a DTMI, not null", elem.doc, where)
            return
        if raw is None:
            if required:
                self.err(f"a {elem.cls} needs an @id (a DTMI such as 'dtmi:com:example:Thing;1')", elem.doc, elem.ptr)
            return
        if not isinstance(raw, str):
            self.err("@id must be a single string (a DTMI)", elem.doc, where)
            return
        version = elem.ctx.version
        limits = mm.LIMITS[version]
        if not re.match(mm.DTMI_PATTERN[version], raw):
            hint = " with a version (';1')" if version == 2 else ""
            self.err(f"@id '{raw}' is not a valid DTMI{hint}", elem.doc, where)
            return
        if raw.startswith(mm.RESERVED_PREFIXES):
            self.err(f"@id '{raw}' uses a reserved prefix ({' or '.join(mm.RESERVED_PREFIXES)})", elem.doc, where)
            return
        limit = limits["interface_id_length"] if elem.cls == "Interface" else limits["id_length"]
        if len(raw) > limit:
            self.err(f"@id is {len(raw)} characters long; a {elem.cls}'s may be at most {limit}", elem.doc, where)
            return
        if raw in self.elements:
            self.err(f"@id '{raw}' is already defined by another element", elem.doc, where, raw)
            return
        elem.id = raw
        self.elements[raw] = elem

    # -- properties ------------------------------------------------------------------------------
    def _properties(self, elem: Elem) -> None:
        props = mm.properties(elem.ctx.version, elem.cls)
        seen: dict[str, str] = {}
        for key, raw in elem.obj.items():
            where = f"{elem.ptr}/{escape(key)}"
            if key in _KEYWORDS:
                continue
            if key.startswith("@"):
                if elem.ctx.version == 2 and key != "@graph":
                    continue  # DTDL v2 does not restrict JSON-LD keywords (but a graph is not a model)
                self.err(f"the JSON-LD keyword '{key}' is not allowed in DTDL", elem.doc, where)
                continue
            term = lookup(elem.ctx, key)
            name = term.name if term and term.kind in ("property", "unitprop", "featureprop") else None
            if name is not None and name in seen:
                self.err(f"'{key}' and '{seen[name]}' are the same property; write it once", elem.doc, where)
                continue
            if name in props:
                seen[name] = key
                self._values(elem, name, props[name], raw, where)
            elif name == "unit" and elem.semantic:
                seen[name] = key
                self._unit(elem, raw, where)
            elif term and term.kind == "featureprop" and term.name in self._feature_props(elem):
                seen[name] = key
            elif elem.undefined_cotype and self._undefined_ok(elem.ctx, key, False, (elem.doc, where)):
                continue
            elif not elem.undefined_cotype:
                known = ", ".join(sorted(props))
                self.err(f"a {elem.cls} has no property '{key}' (its properties: {known})", elem.doc, where)
        for name, prop in props.items():
            if prop.min and name not in seen:
                self.err(f"a {elem.cls} needs '{name}'", elem.doc, elem.ptr)

    @staticmethod
    def _v2_strict(key: str) -> bool:
        """DTDL v2 ignores a key that is not a DTMI nor a term, but rejects an unknown term or DTMI."""
        return key.startswith("dtmi:") or is_term(key)

    @staticmethod
    def _feature_props(elem: Elem) -> set[str]:
        from .context import FEATURE_EXTENSIONS

        out: set[str] = set()
        for ext in elem.ctx.extensions:
            for cotype, props in FEATURE_EXTENSIONS.get(ext, {}).items():
                if cotype in elem.co_types:
                    out.update(props)
        return out

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
        items = raw if isinstance(raw, list) else [raw]
        if prop.max is not None and len(items) > prop.max:
            self.err(f"'{name}' may have at most {prop.max} value(s); it has {len(items)}", elem.doc, where)
        if len(items) < prop.min:
            self.err(f"'{name}' needs at least {prop.min} value(s)", elem.doc, where)
        out: list[Any] = []
        for index, item in enumerate(items):
            at = f"{where}/{index}" if isinstance(raw, list) else where
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
            if isinstance(item, (dict, list)) or item is None:
                self.err(f"'{name}' must be a string or a number", doc, at)
                return None
            return item
        return self._reference_or_element(elem, name, prop, item, at)

    def _value_object(self, elem: Elem, name: str, kind: str, item: dict[str, Any], at: str) -> Any:
        """A JSON-LD value object `{"@value": v, "@type": "xsd:..."}`: its value, or _BAD."""
        lenient = elem.ctx.version == 2  # DTDL v2 ignores other members of a value object
        extra = set(item) - {"@value", "@type", "@language"}
        if "@value" not in item or (extra and not lenient) or extra & {"@id", "@context", "@graph"}:
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
        return item["@value"]

    def _reference_or_element(self, elem: Elem, name: str, prop: mm.Prop, item: Any, at: str) -> Any:
        doc, version = elem.doc, elem.ctx.version
        if name == "target":
            if not isinstance(item, str) or not re.match(mm.DTMI_PATTERN[version], item):
                self.err("'target' must be the DTMI of an Interface", doc, at)
                return None
            if prop.max_length and len(item) > prop.max_length:
                self.err(f"'target' may be at most {prop.max_length} characters", doc, at)
                return None
            return item
        if isinstance(item, dict):
            if prop.allowed:
                self.err(f"'{name}' must be one of: {', '.join(prop.allowed)}", doc, at)
                return None
            return self.element(
                item, doc, at, elem.ctx, prop.classes, prop.infer, parent=elem, need_id=prop.kind == "iri", via=name,
                older_ok=prop.older_ok,
            )
        if not isinstance(item, str):
            self.err(f"'{name}' must be a DTMI, a term or an element object", doc, at)
            return None
        term = lookup(elem.ctx, item)
        if term is not None and term.kind == "instance":
            klass = mm.INSTANCE_CLASS[term.name]
            if prop.allowed and term.name not in prop.allowed:
                self.err(f"'{name}' must be one of: {', '.join(prop.allowed)}; not {item!r}", doc, at)
                return None
            if not any(mm.is_subclass(version, klass, c) for c in prop.classes):
                self.err(f"{item!r} is not allowed as '{name}'", doc, at)
                return None
            return term.name
        if prop.allowed:
            self.err(f"'{name}' must be one of: {', '.join(prop.allowed)}; not {item!r}", doc, at)
            return None
        if not re.match(mm.DTMI_PATTERN[version], item):
            self.err(f"{item!r} is not a valid DTMI, nor a term that '{name}' accepts", doc, at)
            return None
        ref = Ref(item, prop.classes, doc, at, elem)
        self.refs.append(ref)
        return ref

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
                    if "@value" not in item or (extra and elem.ctx.version != 2) or extra & {"@id", "@context", "@graph"}:
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
