"""The DTDL element classes and their properties, for language versions 2 and 3.

This is the table the parser interprets: for each class, its superclass and the
properties it declares, with the constraints of DTDL.v3.md / DTDL.v2.md (counts,
lengths, patterns, which classes a value may be). Keeping the rules as data, not
as code per class, is what makes the two versions one parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

PRIMITIVE_SCHEMAS = ("boolean", "date", "dateTime", "double", "duration", "float", "integer", "long", "string", "time")
PRIMITIVE_CLASS = {
    "boolean": "Boolean", "date": "Date", "dateTime": "DateTime", "double": "Double", "duration": "Duration",
    "float": "Float", "integer": "Integer", "long": "Long", "string": "String", "time": "Time",
}  # fmt: skip
COMMAND_TYPES = ("asynchronous", "synchronous")
#: the standard geospatial schemas (GeoJSON shapes), Objects that DTDL predefines
GEOSPATIAL = ("point", "multiPoint", "lineString", "multiLineString", "polygon", "multiPolygon")
INSTANCE_CLASS = {
    **PRIMITIVE_CLASS, **{n: "CommandType" for n in COMMAND_TYPES}, **{n: "Object" for n in GEOSPATIAL},
    "vector": "Object", "geopoint": "Object",  # IoT Central's schemas
}  # fmt: skip
NAME_PATTERN = r"^[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?$"
_SEG = r"[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?"
DTMI_PATTERN = {
    3: rf"^dtmi:{_SEG}(?::{_SEG})*(?:;[1-9][0-9]{{0,8}}(?:\.[1-9][0-9]{{0,5}})?)?$",
    2: rf"^dtmi:{_SEG}(?::{_SEG})*;[1-9][0-9]{{0,8}}$",
}
#: any syntactically DTMI-looking string, the test for "is this meant as a DTMI" (then it must be valid)
LOOSE_DTMI = r"^dtmi:"
RESERVED_PREFIXES = ("dtmi:dtdl:", "dtmi:standard:")


@dataclass(frozen=True)
class Prop:
    """One property of a class: what its values may be."""

    kind: str  # "lang" | "string" | "bool" | "int" | "literal" | "element" | "iri" | "never"
    min: int = 0
    max: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    classes: tuple[str, ...] = ()  # for element/iri: the class (or a superclass) each value must be
    infer: str | None = None  # the class of a value written without @type
    allowed: tuple[str, ...] = ()  # for iri values restricted to instances (valueSchema, commandType)
    unique: tuple[str, ...] = ()  # sub-properties that must be unique among the values
    minimum: int | None = None
    maximum: int | None = None
    older_ok: bool = False  # a value may be an element of an older DTDL version (v2 inside v3)


@dataclass(frozen=True)
class Klass:
    """One element class: its superclass, whether it can be a @type, its own properties."""

    parent: str | None
    abstract: bool = False
    props: dict[str, Prop] = field(default_factory=dict)


def _v3() -> dict[str, Klass]:
    schema = Prop("element", 1, 1, classes=("Schema",), older_ok=True)
    return {
        "Entity": Klass(None, True, {
            "displayName": Prop("lang", max_length=512),
            "description": Prop("lang", max_length=512),
            "comment": Prop("string", 0, 1, max_length=512),
            "languageMajorVersion": Prop("never"),
        }),
        "Interface": Klass("Entity", props={
            "contents": Prop("element", classes=("Content",), unique=("name",), older_ok=True),
            "extends": Prop("iri", classes=("Interface",), older_ok=True),
            "schemas": Prop("iri", classes=("ComplexSchema",)),
        }),
        "NamedEntity": Klass("Entity", True, {
            "name": Prop("string", 1, 1, max_length=512, pattern=NAME_PATTERN),
        }),
        "SchemaField": Klass("NamedEntity", True, {"schema": schema}),
        "Schema": Klass("Entity", True),
        "PrimitiveSchema": Klass("Schema", True),
        "NumericSchema": Klass("PrimitiveSchema", True),
        "TemporalSchema": Klass("PrimitiveSchema", True),
        "Boolean": Klass("PrimitiveSchema", True), "String": Klass("PrimitiveSchema", True),
        "Double": Klass("NumericSchema", True), "Float": Klass("NumericSchema", True),
        "Integer": Klass("NumericSchema", True), "Long": Klass("NumericSchema", True),
        "Date": Klass("TemporalSchema", True), "DateTime": Klass("TemporalSchema", True),
        "Duration": Klass("TemporalSchema", True), "Time": Klass("TemporalSchema", True),
        "ComplexSchema": Klass("Schema", True),
        "Array": Klass("ComplexSchema", props={"elementSchema": Prop("element", 1, 1, classes=("Schema",), older_ok=True)}),
        "Enum": Klass("ComplexSchema", props={
            "valueSchema": Prop("iri", 1, 1, classes=("PrimitiveSchema",), allowed=("integer", "string")),
            "enumValues": Prop("element", classes=("EnumValue",), infer="EnumValue", unique=("name", "enumValue")),
        }),
        "EnumValue": Klass("NamedEntity", props={"enumValue": Prop("literal", 1, 1)}),
        "Map": Klass("ComplexSchema", props={
            "mapKey": Prop("element", 1, 1, classes=("MapKey",), infer="MapKey"),
            "mapValue": Prop("element", 1, 1, classes=("MapValue",), infer="MapValue"),
        }),
        "MapKey": Klass("NamedEntity", props={
            "schema": Prop("iri", 1, 1, classes=("String",), allowed=("string",)),
        }),
        "MapValue": Klass("SchemaField"),
        "Object": Klass("ComplexSchema", props={
            "fields": Prop("element", classes=("Field",), infer="Field", unique=("name",)),
        }),
        "Field": Klass("SchemaField"),
        "Content": Klass("NamedEntity", True),
        "Component": Klass("Content", props={"schema": Prop("iri", 1, 1, classes=("Interface",), older_ok=True)}),
        "Property": Klass("Content", props={"schema": schema, "writable": Prop("bool", 0, 1)}),
        "Telemetry": Klass("Content", props={"schema": schema}),
        "Command": Klass("Content", props={
            "request": Prop("element", 0, 1, classes=("CommandRequest",), infer="CommandRequest"),
            "response": Prop("element", 0, 1, classes=("CommandResponse",), infer="CommandResponse"),
            "commandType": Prop("iri", 0, 1, classes=("CommandType",), allowed=COMMAND_TYPES),
        }),
        "CommandPayload": Klass("SchemaField", True),
        "CommandRequest": Klass("CommandPayload"),
        "CommandResponse": Klass("CommandPayload"),
        "CommandType": Klass("Entity", True),
        "Relationship": Klass("Content", props={
            "maxMultiplicity": Prop("int", 0, 1, minimum=1),
            "minMultiplicity": Prop("int", 0, 1, minimum=0, maximum=0),
            "target": Prop("iri", 0, 1, classes=("Interface",), max_length=2048),
            "properties": Prop("element", classes=("Property",), unique=("name",), older_ok=True),
            "writable": Prop("bool", 0, 1),
        }),
        "Unit": Klass("Entity", True),
    }  # fmt: skip


def _v2() -> dict[str, Klass]:
    classes = _v3()

    def patch(name: str, prop: str, **changes: object) -> None:
        klass = classes[name]
        props = dict(klass.props)
        props[prop] = replace(props[prop], **changes)
        classes[name] = replace(klass, props=props)

    patch("Entity", "displayName", max_length=64)
    patch("NamedEntity", "name", max_length=64)
    patch("Interface", "contents", max=300)
    patch("Interface", "extends", max=2)
    patch("Enum", "enumValues", min=1, max=100)
    patch("Object", "fields", min=1, max=30)
    patch("Relationship", "properties", max=300)
    patch("Relationship", "maxMultiplicity", maximum=500)
    patch("Command", "request", classes=("CommandPayload",), infer="CommandPayload")
    patch("Command", "response", classes=("CommandPayload",), infer="CommandPayload")
    classes["CommandPayload"] = replace(classes["CommandPayload"], abstract=False)
    del classes["CommandRequest"], classes["CommandResponse"]
    return classes


CLASSES: dict[int, dict[str, Klass]] = {3: _v3(), 2: _v2()}

#: limits that are not per-property counts
LIMITS: dict[int, dict[str, int]] = {
    3: {"extends_depth": 10, "extends_total": 1024, "schema_depth": 5, "contents_total": 100000,
        "interface_id_length": 128, "id_length": 2048},
    2: {"extends_depth": 10, "extends_total": 1 << 30, "schema_depth": 5, "contents_total": 1 << 30,
        "interface_id_length": 128, "id_length": 2048},
}  # fmt: skip


def is_subclass(version: int, name: str, ancestor: str) -> bool:
    """Whether class `name` is `ancestor` or derives from it."""
    table = CLASSES[version]
    current: str | None = name
    while current is not None:
        if current == ancestor:
            return True
        klass = table.get(current)
        current = klass.parent if klass else None
    return False


def properties(version: int, name: str) -> dict[str, Prop]:
    """All properties of class `name`, its own overriding inherited ones."""
    table = CLASSES[version]
    chain: list[Klass] = []
    current: str | None = name
    while current is not None:
        klass = table[current]
        chain.append(klass)
        current = klass.parent
    out: dict[str, Prop] = {}
    for klass in reversed(chain):
        out.update(klass.props)
    return out


def class_iri(version: int, name: str) -> str:
    return f"dtmi:dtdl:class:{name};{version}"


def property_iri(version: int, name: str) -> str:
    return f"dtmi:dtdl:property:{name};{version}"
