"""Reading one JSON object as a DTDL element: its context, type, identifier and properties.

Each element is checked against the class table in `metamodel` (counts, lengths,
patterns, which classes its values may be); references to other elements are only
recorded here and resolved once the whole model set has been read (`checks`).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from . import metamodel as mm
from . import units
from .context import IOTCENTRAL, QUANTITATIVE, Context, expand, is_term, lookup, read_context
from .extensions import EXTENSIONS, ExtProp, Feature, check_value
from .jsonpos import escape
from .nodes import Elem, Ref
from .values import ValueReader, _flatten

_KEYWORDS = ("@context", "@id", "@type")


def features(ctx: Context, co_types: list[str]) -> dict[str, Feature]:
    """The extension co-types among `co_types`, with their definitions."""
    out: dict[str, Feature] = {}
    for ext in ctx.extensions:
        for name, feature in EXTENSIONS.get(ext, {}).items():
            if name in co_types:
                out[name] = feature
    return out


def _hint(ctx: Context, name: str) -> str:
    """What to change when a name is undefined: usually a missing extension context."""
    if name == "unit" and (ctx.version == 2 or QUANTITATIVE in ctx.extensions):
        return 'a unit needs a semantic type in @type, such as ["Telemetry", "Temperature"]'
    if ctx.version == 3 and (name in units.SEMANTIC_TYPES or name == "unit" or name in units.UNIT_TO_TYPES):
        return "add 'dtmi:dtdl:extension:quantitativeTypes;1' to the @context for semantic types and units"
    for ext, cotypes in EXTENSIONS.items():
        if name in cotypes or any(name in f.props for f in cotypes.values()):
            return f"add '{ext}' to the @context"
    return "declare its extension context or parse with allow_undefined_extensions"


def _did_you_mean(text: str, prop: mm.Prop) -> str:
    """A close schema name, for a typo such as 'doubel'."""
    if "Schema" not in prop.classes:
        return ""
    close = difflib.get_close_matches(text, mm.PRIMITIVE_SCHEMAS + mm.GEOSPATIAL, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


class Reader(ValueReader):
    """Reads the documents of one model set, collecting elements, references and errors."""

    def __init__(self, allow_undefined: bool | None) -> None:
        self.allow_undefined = allow_undefined  # None: DTDL's default (v2 accepts undefined contexts)
        self.errors: list[tuple[str, int, str, str | None]] = []  # message, doc, pointer, dtmi
        self.elements: dict[str, Elem] = {}
        self.all: list[Elem] = []
        self.refs: list[Ref] = []
        self.tops: list[Elem] = []

    def err(self, message: str, doc: int, ptr: str, dtmi: str | None = None) -> None:
        self.errors.append((message, doc, ptr, dtmi))

    def _allows(self, version: int) -> bool:
        """Whether undefined co-types and properties are accepted (DTDL's default is no, in v2 too,
        beyond the undefined terms v2 always tolerates; its default leniency is for contexts)."""
        return bool(self.allow_undefined)

    # -- documents -------------------------------------------------------------------------------
    def document(self, value: Any, doc: int) -> None:
        for item, ptr in _flatten(value, ""):
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
            return cls in ("Property", "Telemetry")
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
        self._check_features(ctx, cls, co_types, doc, where)
        return cls, co_types, semantic, undefined

    def _check_features(self, ctx: Context, cls: str, co_types: list[str], doc: int, where: str) -> None:
        """Each extension co-type goes only on its classes, beside the co-type it needs."""
        for cotype, feature in features(ctx, co_types).items():
            if not any(mm.is_subclass(ctx.version, cls, c) for c in feature.cotypes):
                self.err(f"the co-type {cotype} can only be applied to {' or '.join(feature.cotypes)}, not a {cls}", doc, where)
            if feature.needs and feature.needs not in co_types:
                self.err(f"the co-type {cotype} needs the co-type {feature.needs} beside it", doc, where)

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
        if self._allows(ctx.version) or (ctx.version == 2 and not as_cotype):
            return True
        if ctx.version == 2 and is_term(name) and lookup(ctx, name) is None:
            return True  # DTDL v2 accepts an undefined term as a co-type
        self.err(f"'{name}' is not defined by DTDL or a known extension; {_hint(ctx, name)}", *where)
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
        reserved = mm.RESERVED_PREFIXES + (("dtmi:iotcentral:",) if IOTCENTRAL in elem.ctx.extensions else ())
        if raw.startswith(reserved):
            self.err(f"@id '{raw}' uses a reserved prefix ({' or '.join(reserved)})", elem.doc, where)
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
                problem = check_value(self._feature_props(elem)[term.name], raw)
                if problem:
                    self.err(f"'{key}' {problem}", elem.doc, where)
            elif elem.undefined_cotype and self._undefined_ok(elem.ctx, key, False, (elem.doc, where)):
                continue
            elif not elem.undefined_cotype:
                known = ", ".join(sorted(props))
                hint = _hint(elem.ctx, key) if key == "unit" else f"its properties: {known}"
                self.err(f"a {elem.cls} has no property '{key}' ({hint})", elem.doc, where)
        for name, prop in props.items():
            if prop.min and name not in seen:
                self.err(f"a {elem.cls} needs '{name}'", elem.doc, elem.ptr)
        for name, ext_prop in self._feature_props(elem).items():
            if ext_prop.required and name not in seen:
                self.err(f"its co-type needs the property '{name}'", elem.doc, elem.ptr)

    @staticmethod
    def _feature_props(elem: Elem) -> dict[str, ExtProp]:
        out: dict[str, ExtProp] = {}
        for feature in features(elem.ctx, elem.co_types).values():
            out.update(feature.props)
        return out

    def _reference_or_element(self, elem: Elem, name: str, prop: mm.Prop, item: Any, at: str) -> Any:
        doc, version = elem.doc, elem.ctx.version
        if name == "target":
            if isinstance(item, str) and is_term(item):
                item = expand(elem.ctx, item) or item  # a term stands for its DTMI here
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
        if term is not None and term.kind == "class" and version == 3 and (
            term.name in units.UNIT_TYPES or term.name in units.UNIT_TYPE_ALIASES
        ):
            term = None if "Schema" not in prop.classes else term  # a unit type is an Enum of its units
            if term is not None:
                return term.name
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
            self.err(f"{item!r} is not a valid DTMI, nor a term that '{name}' accepts{_did_you_mean(item, prop)}", doc, at)
            return None
        ref = Ref(item, prop.classes, doc, at, elem)
        self.refs.append(ref)
        return ref

