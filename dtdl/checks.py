"""Rules over the whole model set, once every document is read.

References are resolved here (an `extends` or `schema` may name an element of another
document), and the rules that need the resolved graph are applied: `extends` cycles,
depth and count, content names unique across inheritance, no Component inside a
Component's Interface, complex-schema depth, enum value types.
"""

from __future__ import annotations

from typing import Any

from . import metamodel as mm
from .elements import Elem, Reader, Ref


def resolve(reader: Reader) -> None:
    """Check every reference; record the unresolved ones with their DTMI."""
    for ref in reader.refs:
        target = reader.elements.get(ref.dtmi)
        if target is None:
            reader.err(f"unresolved reference '{ref.dtmi}': no element of the model set has this @id", ref.doc, ref.ptr, ref.dtmi)
            continue
        version = target.ctx.version
        if target.cls != "Interface" and target.via != "schemas" and partition(target) is not partition(ref.holder):
            reader.err(f"'{ref.dtmi}' is defined inside another element, so it cannot be referenced", ref.doc, ref.ptr)
            continue
        if ref.classes and not any(mm.is_subclass(version, target.cls, c) for c in ref.classes):
            reader.err(f"'{ref.dtmi}' is a {target.cls}, but a {' or '.join(ref.classes)} is needed here", ref.doc, ref.ptr)


def partition(elem: Elem | None) -> Elem | None:
    """The top-level element (Interface) that an element is written in."""
    while elem is not None and elem.parent is not None:
        elem = elem.parent
    return elem


def deref(reader: Reader, value: Any) -> Any:
    """An Elem for a Ref that resolves, the value itself otherwise."""
    if isinstance(value, Ref):
        return reader.elements.get(value.dtmi, value)
    return value


def parents(reader: Reader, elem: Elem) -> list[Elem]:
    return [p for p in (deref(reader, v) for v in elem.values.get("extends", [])) if isinstance(p, Elem)]


def check_all(reader: Reader) -> None:
    for elem in reader.all:
        if elem.cls == "Interface":
            _extends(reader, elem)
    for elem in reader.all:
        if elem.cls == "Interface":
            _names(reader, elem)
        elif elem.cls == "Component":
            _component(reader, elem)
        elif elem.cls == "Enum":
            _enum(reader, elem)
        if mm.is_subclass(elem.ctx.version, elem.cls, "ComplexSchema") and _depth(reader, elem, 0, set()) > mm.LIMITS[elem.ctx.version]["schema_depth"]:
            reader.err("complex schemas are nested more than 5 deep here", elem.doc, elem.ptr)
        if elem.semantic and elem.cls != "Relationship":
            _numeric(reader, elem)
        if elem.ctx.version == 2 and elem.cls == "Property" and _has_array(reader, elem, set()):
            reader.err("in DTDL v2 a Property's schema may not be or contain an Array (nor a geospatial schema)", elem.doc, f"{elem.ptr}/schema")


def _extends(reader: Reader, elem: Elem) -> None:
    limits = mm.LIMITS[elem.ctx.version]
    seen: set[int] = set()
    frontier = [(elem, 0)]
    total = 0
    while frontier:
        current, depth = frontier.pop()
        for parent in parents(reader, current):
            if parent is elem:
                reader.err(f"'{elem.id}' extends itself (through extends)", elem.doc, f"{elem.ptr}/extends")
                return
            if depth + 1 > limits["extends_depth"]:
                reader.err(f"extends is nested more than {limits['extends_depth']} levels deep", elem.doc, f"{elem.ptr}/extends")
                return
            if id(parent) not in seen:
                seen.add(id(parent))
                total += 1
                frontier.append((parent, depth + 1))
    if total > limits["extends_total"]:
        reader.err(f"'{elem.id}' extends {total} Interfaces; at most {limits['extends_total']} are allowed", elem.doc, elem.ptr)


def ancestry(reader: Reader, elem: Elem) -> list[Elem]:
    """The Interface and every Interface it extends, each once (cycles are cut)."""
    out: list[Elem] = []
    stack = [elem]
    while stack:
        current = stack.pop()
        if any(current is e for e in out):
            continue
        out.append(current)
        stack.extend(parents(reader, current))
    return out


def contents_of(reader: Reader, elem: Elem) -> list[Elem]:
    return [c for c in (deref(reader, v) for v in elem.values.get("contents", [])) if isinstance(c, Elem)]


def _names(reader: Reader, elem: Elem) -> None:
    seen: dict[str, Elem] = {}
    for interface in ancestry(reader, elem):
        for content in contents_of(reader, interface):
            for name in content.values.get("name", []):
                other = seen.get(name)
                if other is not None and other is not content:
                    reader.err(f"the name '{name}' is used twice in the contents of '{elem.id}' (with what it extends)", content.doc, content.ptr)
                seen[name] = content


def _component(reader: Reader, elem: Elem) -> None:
    for schema in (deref(reader, v) for v in elem.values.get("schema", [])):
        if not isinstance(schema, Elem):
            continue
        for interface in ancestry(reader, schema):
            if any(c.cls == "Component" for c in contents_of(reader, interface)):
                reader.err("a Component's Interface may not itself contain a Component", elem.doc, f"{elem.ptr}/schema")
                return


def _enum(reader: Reader, elem: Elem) -> None:
    value_schema = (elem.values.get("valueSchema") or [None])[0]
    for value in elem.values.get("enumValues", []):
        if not isinstance(value, Elem):
            continue
        for literal in value.values.get("enumValue", []):
            ok = isinstance(literal, str) if value_schema == "string" else (
                isinstance(literal, int) and not isinstance(literal, bool) and -(2**31) <= literal < 2**31)
            if value_schema in ("string", "integer") and not ok:
                reader.err(f"enumValue {literal!r} is not a {value_schema}, the Enum's valueSchema", value.doc, f"{value.ptr}/enumValue")


_CHILDREN = ("elementSchema", "schema", "fields", "mapValue", "enumValues", "mapKey")


def _depth(reader: Reader, elem: Elem, level: int, path: set[int]) -> int:
    if id(elem) in path:
        reader.err(f"the schema '{elem.id}' contains itself", elem.doc, elem.ptr)
        return level
    # An Enum holds no schema, so like a primitive it ends a hierarchy without adding a level.
    complex_ = mm.is_subclass(elem.ctx.version, elem.cls, "ComplexSchema") and elem.cls != "Enum"
    here = level + 1 if complex_ else level
    best = here
    for name in _CHILDREN:
        for child in (deref(reader, v) for v in elem.values.get(name, [])):
            if isinstance(child, Elem):
                best = max(best, _depth(reader, child, here, path | {id(elem)}))
    return best


_SCHEMA_RULES = {
    "numeric": (("double", "float", "integer", "long"), (), "a numeric schema (double, float, integer or long)"),
    "numeric-or-string": (("double", "float", "integer", "long", "string"), (), "a numeric schema or string"),
    "enum": ((), ("Enum",), "an Enum schema"),
    "geospatial": ((*mm.GEOSPATIAL, "geopoint"), (), "a geospatial schema (point, lineString, ... or geopoint)"),
    "vector": (("vector",), (), "the schema 'vector'"),
}


def _numeric(reader: Reader, elem: Elem) -> None:
    """A semantic type constrains the schema: a quantity is numeric; IoT Central's types have their own."""
    from .context import IOTCENTRAL_SEMANTIC

    rule = IOTCENTRAL_SEMANTIC[elem.semantic][1] if elem.semantic in IOTCENTRAL_SEMANTIC else "numeric"
    names, classes, wanted = _SCHEMA_RULES[rule]
    for schema in (deref(reader, v) for v in elem.values.get("schema", [])):
        ok = schema in names if isinstance(schema, str) else isinstance(schema, Elem) and schema.cls in classes
        if not ok:
            reader.err(f"a {elem.semantic} must have {wanted}", elem.doc, f"{elem.ptr}/schema")


def _has_array(reader: Reader, elem: Elem, seen: set[int]) -> bool:
    """DTDL v2 forbids an Array anywhere in a Property's schema; geospatial schemas hold Arrays."""
    for name in ("schema", "elementSchema", "fields", "mapValue"):
        for child in (deref(reader, v) for v in elem.values.get(name, [])):
            if isinstance(child, str) and child in mm.GEOSPATIAL:
                return True
            if isinstance(child, Elem) and id(child) not in seen:
                seen.add(id(child))
                if child.cls == "Array" or _has_array(reader, child, seen):
                    return True
    return False
