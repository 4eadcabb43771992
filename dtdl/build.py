"""From checked elements to the public model objects (`model.Interface`, `Content`, `Schema`)."""

from __future__ import annotations

from typing import Any

from .checks import deref
from .elements import Elem, Reader, Ref
from .model import Content, Interface, ModelSet, Schema


def _one(elem: Elem, name: str) -> Any:
    values = elem.values.get(name) or [None]
    return values[0]


def _text(elem: Elem, name: str) -> str | None:
    value = _one(elem, name)
    if isinstance(value, dict):
        return value.get("en") or value.get("en-US") or next(iter(value.values()), None)
    return value


def schema_of(reader: Reader, value: Any, depth: int = 0) -> Schema | None:
    value = deref(reader, value)
    if isinstance(value, str):
        return Schema(kind=value)
    if isinstance(value, Ref) or not isinstance(value, Elem) or depth > 12:
        return None
    out = Schema(kind=value.cls, id=value.id, display_name=_one(value, "displayName") or {})
    if value.cls == "Array":
        out.element = schema_of(reader, _one(value, "elementSchema"), depth + 1)
    elif value.cls == "Enum":
        out.value_schema = _one(value, "valueSchema")
        for item in value.values.get("enumValues", []):
            if isinstance(item, Elem):
                out.values[_one(item, "name")] = _one(item, "enumValue")
    elif value.cls == "Map":
        key, val = deref(reader, _one(value, "mapKey")), deref(reader, _one(value, "mapValue"))
        out.key_name = _one(key, "name") if isinstance(key, Elem) else None
        out.value = schema_of(reader, _one(val, "schema"), depth + 1) if isinstance(val, Elem) else None
    elif value.cls == "Object":
        for field in value.values.get("fields", []):
            if isinstance(field, Elem):
                out.fields[_one(field, "name")] = schema_of(reader, _one(field, "schema"), depth + 1)
    return out


def _content(reader: Reader, elem: Elem, owner: str) -> Content:
    schema: Any = _one(elem, "schema")
    if elem.cls == "Component":
        target = deref(reader, schema)
        schema = target.id if isinstance(target, Elem) else getattr(schema, "dtmi", None)
    else:
        schema = schema_of(reader, schema)
    payload = {}
    for name in ("request", "response"):
        part = deref(reader, _one(elem, name))
        payload[name] = schema_of(reader, _one(part, "schema")) if isinstance(part, Elem) else None
    return Content(
        kind=elem.cls, name=_one(elem, "name"), id=elem.id, schema=schema, unit=elem.unit,
        semantic_type=elem.semantic, target=_one(elem, "target"), writable=bool(_one(elem, "writable")),
        display_name=_text(elem, "displayName"), description=_text(elem, "description"),
        comment=_one(elem, "comment"), min_multiplicity=_one(elem, "minMultiplicity"),
        max_multiplicity=_one(elem, "maxMultiplicity"), request=payload["request"],
        response=payload["response"], co_types=list(elem.co_types), defined_in=owner,
    )


def build(reader: Reader, documents: list[Any]) -> ModelSet:
    result = ModelSet(documents=documents)
    for elem in reader.all:
        if elem.cls != "Interface" or elem.id is None:
            continue
        interface = Interface(
            id=elem.id, version=elem.ctx.version, display_name=_text(elem, "displayName"),
            description=_text(elem, "description"), comment=_one(elem, "comment"),
            extends=[v.dtmi if isinstance(v, Ref) else v.id for v in elem.values.get("extends", [])],
            source=elem.obj, document=elem.doc, _model_set=result,
        )
        for item in elem.values.get("contents", []):
            item = deref(reader, item)
            if isinstance(item, Elem):
                content = _content(reader, item, elem.id)
                interface.contents[content.name] = content
        interface.schemas = [s for s in (schema_of(reader, v) for v in elem.values.get("schemas", [])) if s]
        result.interfaces[elem.id] = interface
    return result
