"""Parse and validate one twin.yaml into a `TwinSpec`, or say precisely why not.

This step knows nothing of Django or the database: bytes in, a value out.
YAML is composed with libyaml (`CSafeLoader`) into nodes that keep their
line and column, and turned into plain data here, so that every error can
point at the exact place in the file, and so that alias bombs, recursive
aliases, duplicate keys and exotic tags are refused instead of expanded.

The happy path records no positions: spec_fast reads libyaml's node tree
into data as the builder here does (aliases, merge keys), checking on the
way what values.problems would, and gives up, rather than guess, on
anything the builder would refuse or word (recursive aliases, duplicate or
non-string keys, other tags, values the registry does not store). A file that gives it up, fails validation or
names a DTDL model (whose checks need positions) is parsed again the
composed way, which places every error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs
import yaml

from . import spec_fast, values

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_NODES",
    "SpecError",
    "StreamSpec",
    "TwinSpec",
    "ParsedSpec",
    "parse_spec",
    "FieldError",
    "validate_document",
    "parse_stream_uri",
    "twin_schema",
]

DEFAULT_MAX_BYTES = 256 * 1024
# A real twin.yaml has a few hundred nodes; anchors may repeat some, but a
# document that expands past this is an alias bomb, not a twin.
MAX_NODES = 20_000
MAX_DEPTH = values.MAX_DEPTH
STATUSES = ("draft", "active", "maintenance", "inactive", "deprecated")

_Path = tuple[str | int, ...]


@dataclass(frozen=True)
class SpecError:
    """One problem in one file, placed where the user has to look."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class StreamSpec:
    uri: str
    kind: str
    topic: str
    signal: str = ""
    unit: str = ""
    interval: float | None = None


@dataclass(frozen=True)
class TwinSpec:
    """A valid twin spec, normalised: defaults filled, `@id` folded into `id`."""

    id: str
    name: str
    tenant: str
    description: str
    metadata: dict[str, Any]
    interfaces: dict[str, Any]
    dependencies: dict[str, list[str]]
    ui: dict[str, str]
    streams: tuple[StreamSpec, ...]
    # The DTDL Interface (a DTMI) the twin is an instance of; "" for an untyped twin.
    model: str = ""
    # Alarm rules as written (validated by alarms.rules); stored apart from the document (alarms.TwinRules).
    rules: tuple[dict[str, Any], ...] = ()
    # Anomaly detectors as written (validated by alarms.anomaly_config); stored with the rules (alarms.TwinRules).
    anomaly: tuple[dict[str, Any], ...] = ()

    @property
    def status(self) -> str:
        return self.metadata["status"]

    def document(self) -> dict[str, Any]:
        """The canonical JSON form; what the registry stores and diffs."""
        return {
            "id": self.id,
            "name": self.name,
            "tenant": self.tenant,
            "description": self.description,
            "metadata": self.metadata,
            "interfaces": self.interfaces,
            "dependencies": self.dependencies,
            "ui": self.ui,
            # Only typed twins carry the key, so untyped twins' documents and history stay as they were.
            **({"model": self.model} if self.model else {}),
        }


@dataclass(frozen=True)
class ParsedSpec:
    """What one file yielded: a spec, or errors plus whatever identity could be read.

    `declared_id` and `declared_tenant` survive a broken file so that its
    error can be shown to the tenant it belongs to.
    """

    path: str
    spec: TwinSpec | None
    errors: tuple[SpecError, ...] = ()
    declared_id: str = ""
    declared_tenant: str = ""
    # (line, column) by dotted data path ("model", "interfaces.data_streams[0].unit", ...), so
    # checks made later (against the twin's DTDL model) can point into the file.
    places: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.spec is not None


@lru_cache(maxsize=1)
def twin_schema() -> dict[str, Any]:
    """The twin JSON Schema that ships in the package (also served to editors)."""
    text = resources.files("registry").joinpath("schema/twin.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    """The validator that words errors (paths, messages); run only on a document the fast one refused."""
    return jsonschema.Draft202012Validator(twin_schema())


@lru_cache(maxsize=1)
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    """The compiled validator for the happy path: the same schema, tens of times faster than jsonschema."""
    return jsonschema_rs.Draft202012Validator(twin_schema(), validate_formats=False)


def _schema_valid(data: dict[str, Any]) -> bool:
    """True when the compiled validator accepts `data`; anything it cannot judge goes to jsonschema."""
    try:
        return _fast_validator().is_valid(data)
    except (ValueError, TypeError, OverflowError):
        return False


def parse_stream_uri(uri: str) -> tuple[str, str]:
    """Split ``kind://topic``; raise ValueError with a sentence for the user."""
    kind, sep, topic = uri.partition("://")
    if not sep or not kind or not topic:
        raise ValueError(f"stream {values.quote(uri)} must look like kind://topic, e.g. mqtt://dtp/lift/lift-001/vibration")
    if kind == "mqtt":
        levels = topic.split("/")
        for i, level in enumerate(levels):
            if "#" in level and (level != "#" or i != len(levels) - 1):
                raise ValueError(f"MQTT topic {values.quote(topic)}: '#' may only stand alone as the last level")
            if "+" in level and level != "+":
                raise ValueError(f"MQTT topic {values.quote(topic)}: '+' must stand alone as a whole level")
        if topic.startswith("$"):
            raise ValueError(f"MQTT topic {values.quote(topic)}: topics starting with '$' are reserved by brokers")
    return kind, topic


# --- YAML nodes to plain data, keeping positions --------------------------------


class _Refused(Exception):
    def __init__(self, node: yaml.Node | None, message: str, mark: yaml.Mark | None = None):
        super().__init__(message)
        self.mark = mark or (node.start_mark if node is not None else None)
        self.message = message


_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}


_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


class _Builder:
    """Turns a composed node tree into JSON-compatible data.

    Positions are recorded by data path so validation errors can be placed.
    Aliased nodes are expanded (anchors are fine in a twin.yaml) within a
    node budget, which is what stops "billion laughs" documents.
    """

    def __init__(self) -> None:
        self.values: dict[_Path, yaml.Mark] = {}
        self.keys: dict[_Path, yaml.Mark] = {}
        self.budget = MAX_NODES
        self._constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: _Path = ()) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _Refused(node, f"the document expands to more than {MAX_NODES} values through aliases; "
                                 "this looks like an alias bomb, write the values out instead")
        if len(path) > MAX_DEPTH:
            raise _Refused(node, f"nesting is deeper than {MAX_DEPTH} levels")
        self.values.setdefault(path, node.start_mark)
        if id(node) in self._active:
            raise _Refused(node, "an alias refers to the node that contains it (a recursive alias); remove the loop")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if node.tag not in _COLLECTION_TAGS:
            raise _Refused(node, f"the YAML tag {node.tag!r} is not supported; use plain strings, numbers, "
                                 "booleans, lists and mappings")
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise _Refused(node, f"the YAML tag {node.tag!r} is not supported; use plain strings, numbers, "
                                 "booleans, lists and mappings")
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay as written; JSON has no date type
        value = self._constructor.construct_object(node)
        if isinstance(value, float) and not math.isfinite(value):
            raise _Refused(node, f"{values.quote(node.value)} is not a finite number")
        return value

    def _mapping(self, node: yaml.MappingNode, path: _Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        explicit: set[str] = set()
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                for source in self._merge_sources(value_node):
                    for k, v in self.build(source, path).items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise _Refused(key_node, f"keys must be plain strings; found {_kind_of_node(key_node)} "
                                         f"as a key {_in(path)} (quote it if it is meant as text)")
            key = key_node.value
            if key in explicit:
                raise _Refused(key_node, f"the key {values.quote(key)} appears twice {_in(path)}; "
                                         "keep only one")
            explicit.add(key)
            self.keys.setdefault(path + (key,), key_node.start_mark)
            result[key] = self.build(value_node, path + (key,))
        for k, v in merged.items():
            result.setdefault(k, v)
        return result

    @staticmethod
    def _merge_sources(node: yaml.Node) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.MappingNode) for n in node.value):
            return list(node.value)
        raise _Refused(node, "a merge key '<<' takes a mapping or a list of mappings")


def _kind_of_node(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the value {values.quote(node.value)}"


def _dotted(path: _Path) -> str:
    return values.dotted(path)


def _in(path: _Path) -> str:
    return f"in {_dotted(path)}" if path else "at the top level"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


# --- Schema errors as sentences ---------------------------------------------------

_TYPE_WORDS = {"string": "a string", "array": "a list", "object": "a mapping", "number": "a number",
               "integer": "a whole number", "boolean": "true or false", "null": "null"}


def _translate(error: jsonschema.ValidationError, data: Any) -> tuple[_Path, str, bool]:
    """Return (path, sentence, point_at_key) for one schema error."""
    path: _Path = tuple(error.absolute_path)
    where = _dotted(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    v = error.validator
    inst = error.instance

    if v in ("anyOf", "oneOf") and path == ():  # id / @id
        if "id" in inst and "@id" in inst:
            return ("@id",), "give the twin's identity as 'id' or as '@id', not both", True
        return (), "missing required key 'id' (the twin's identity, e.g. id: lift-001)", False
    if v == "anyOf" and error.context:
        # A stream: explain against the branch that matches what was written.
        wanted = "object" if isinstance(inst, dict) else "string"
        for sub in sorted(error.context, key=lambda e: len(e.absolute_path)):
            if sub.schema.get("type") == wanted or wanted == "string" and "pattern" in sub.schema:
                return _translate(sub, data)
        return path, (f"{where}: must be a stream URI string (kind://topic) or a mapping with 'uri', "
                      f"got {_json_kind(inst)}"), False
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        return path, f"missing required key {missing!r} {_in(path)}", False
    if v == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(k for k in inst if k not in schema.get("properties", {}))
        key = extra[0]
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return path + (key,), f"unknown key {values.quote(key)} {_in(path)}{hint}", True
    if "propertyNames" in error.schema_path:
        # jsonschema reports the failing key itself as the instance.
        return path + (inst,), f"{where} key {values.quote(inst)}: {schema.get('errorMessage', 'is not allowed')}", True
    if v == "type":
        expected = error.validator_value
        expected_words = " or ".join(_TYPE_WORDS.get(t, t) for t in ([expected] if isinstance(expected, str) else expected))
        return path, f"{where or 'the document'} must be {expected_words}, got {_json_kind(inst)}", False
    if v == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return path, f"{where} must be one of: {choices}; got {values.quote(inst)}", False
    if v == "pattern" or "errorMessage" in schema:
        return path, f"{where} {schema.get('errorMessage', 'has the wrong form')}; got {values.quote(inst)}", False
    if v == "uniqueItems":
        seen: set[str] = set()
        dup = next((x for x in inst if json.dumps(x, sort_keys=True) in seen or seen.add(json.dumps(x, sort_keys=True))), None)
        return path, f"{where} lists {values.quote(dup)} more than once; list each entry once", False
    if v in ("minLength", "maxLength", "maxItems", "minItems"):
        return path, f"{where} {error.message.split(' is ', 1)[-1]}", False
    if v in ("exclusiveMinimum", "minimum", "maximum"):
        return path, f"{where} must be greater than {error.validator_value}; got {values.quote(inst)}", False
    return path, f"{where or 'the document'}: {error.message}", False


# --- The public entry -------------------------------------------------------------


def _fast_parse(text: str, path: str) -> ParsedSpec | None:
    """The spec of a valid, untyped file, read by spec_fast; None for anything the composed path must judge."""
    try:
        data = spec_fast.load(text)
    except (spec_fast.GiveUp, yaml.YAMLError, ValueError, TypeError):
        return None
    # spec_fast gives up on any value values.problems would refuse, so only the schema and what it cannot say remain.
    if not isinstance(data, dict) or "model" in data or not _schema_valid(data) or _semantic_problems(data):
        return None
    spec = _normalise(data)
    return ParsedSpec(path, spec, (), spec.id, spec.tenant)


def parse_spec(data: bytes, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSpec:
    """Parse and validate one twin.yaml's bytes; `path` is only used in messages."""

    def fail(line: int, column: int, message: str) -> ParsedSpec:
        return ParsedSpec(path, None, (SpecError(path, line, column, message),))

    if len(data) > max_bytes:
        return fail(1, 1, f"the file is {len(data):,} bytes; twin specs are limited to {max_bytes:,} bytes "
                          "(DTP_SPEC_MAX_BYTES); move bulky content elsewhere")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return fail(line, column, f"byte 0x{data[exc.start]:02x} is not valid UTF-8; save the file as UTF-8")
    text = text.removeprefix("\ufeff")
    fast = _fast_parse(text, path)
    if fast is not None:
        return fast

    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        return fail(mark.line + 1 if mark else 1, mark.column + 1 if mark else 1, f"YAML syntax error: {problem}")
    except yaml.YAMLError as exc:
        return fail(1, 1, f"YAML error: {exc}")
    if root is None:
        return fail(1, 1, "the file is empty; a twin spec is a mapping with at least id, name and tenant")

    builder = _Builder()
    try:
        data_obj = builder.build(root)
    except _Refused as exc:
        mark = exc.mark
        return fail(mark.line + 1 if mark else 1, mark.column + 1 if mark else 1, exc.message)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        # A scalar the constructor cannot read, such as an out-of-range timestamp.
        return fail(1, 1, f"YAML error: {exc}")

    if not isinstance(data_obj, dict):
        return fail(root.start_mark.line + 1, root.start_mark.column + 1,
                    f"a twin spec must be a mapping of keys (id, name, tenant, ...), got {_json_kind(data_obj)}")
    declared_id, declared_tenant = _declared_identity(data_obj)
    problems = _problems(data_obj)
    if problems:
        errors = sorted({_place(path, builder, p, msg, at_key) for p, msg, at_key in problems},
                        key=lambda e: (e.line, e.column, e.message))
        return ParsedSpec(path, None, tuple(errors), declared_id, declared_tenant)
    spec = _normalise(data_obj)
    return ParsedSpec(path, spec, (), spec.id, spec.tenant, _places(builder))


def _problems(data: dict[str, Any]) -> list[tuple[_Path, str, bool]]:
    """Values no store can hold, then schema errors, then (once the shape is right) what the schema cannot say."""
    unstorable = values.problems(data)
    if unstorable:
        return [(p.path, p.message, False) for p in unstorable]
    if _schema_valid(data):
        return _semantic_problems(data)
    problems = [_translate(error, data) for error in _validator().iter_errors(data)]
    return problems or _semantic_problems(data)


@dataclass(frozen=True)
class FieldError:
    """A problem in a document that did not come from a file: placed by field path."""

    field: str
    message: str


def validate_document(data: Any) -> TwinSpec | list[FieldError]:
    """Validate a twin document given as data (a REST API body) exactly as a twin.yaml is validated."""
    if not isinstance(data, dict):
        return [FieldError("", f"a twin must be a JSON object (id, name, tenant, ...), got {_json_kind(data)}")]
    problems = _problems(data)
    if problems:
        return sorted({FieldError(_dotted(path), message) for path, message, _ in problems},
                      key=lambda e: (e.field, e.message))
    return _normalise(data)


def _declared_identity(data: dict[str, Any]) -> tuple[str, str]:
    twin_id = data.get("id", data.get("@id", ""))
    tenant = data.get("tenant", "")
    return (twin_id if isinstance(twin_id, str) else ""), (tenant if isinstance(tenant, str) else "")


def _place(file: str, builder: _Builder, path: _Path, message: str, at_key: bool) -> SpecError:
    """Find the closest recorded position for a data path."""
    probe = path
    while True:
        mark = (builder.keys.get(probe) if at_key else None) or builder.values.get(probe)
        if mark is not None or not probe:
            break
        probe = probe[:-1]
    if mark is None:
        return SpecError(file, 1, 1, message)
    return SpecError(file, mark.line + 1, mark.column + 1, message)


_PLACED = ("model", "interfaces", "dependencies")


def _places(builder: _Builder) -> dict[str, tuple[int, int]]:
    """Positions of the parts a model check can complain about: values, and keys where a value has none."""
    places: dict[str, tuple[int, int]] = {}
    for marks in (builder.keys, builder.values):
        for path, mark in marks.items():
            if path and path[0] in _PLACED:
                places[_dotted(path)] = (mark.line + 1, mark.column + 1)
    return places


def _semantic_problems(data: dict[str, Any]) -> list[tuple[_Path, str, bool]]:
    """What the schema cannot say: self-dependencies and stream URIs per kind."""
    problems: list[tuple[_Path, str, bool]] = []
    twin_id = data.get("id", data.get("@id"))
    deps = data.get("dependencies", {})
    for kind in ("static", "dynamic"):
        for i, dep in enumerate(deps.get(kind, [])):
            if dep == twin_id:
                problems.append((("dependencies", kind, i),
                                 f"dependencies.{kind}[{i}]: a twin cannot depend on itself ({dep!r}); remove it",
                                 False))
    seen: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(data.get("interfaces", {}).get("data_streams", [])):
        uri = entry if isinstance(entry, str) else entry["uri"]
        try:
            key = parse_stream_uri(uri)
        except ValueError as exc:
            problems.append((("interfaces", "data_streams", i), f"interfaces.data_streams[{i}]: {exc}", False))
            continue
        if key in seen:
            problems.append((("interfaces", "data_streams", i),
                             f"interfaces.data_streams[{i}]: {values.quote(uri)} is already listed at "
                             f"data_streams[{seen[key]}]; list each stream once", False))
        seen.setdefault(key, i)
    if "rules" in data:
        from alarms.rules import problems as rule_problems  # Django-free, like this module

        problems += [(path, f"{_dotted(path)}: {message}", False) for path, message in rule_problems(data["rules"])]
    if "anomaly" in data:
        from alarms.anomaly_config import problems as detector_problems  # Django-free, like this module

        problems += [(path, f"{_dotted(path)}: {message}", False)
                     for path, message in detector_problems(data["anomaly"])]
    return problems


def _normalise(data: dict[str, Any]) -> TwinSpec:
    twin_id = data.get("id", data.get("@id"))
    metadata = dict(data.get("metadata", {}))
    metadata.setdefault("domain", [])
    metadata.setdefault("status", "active")
    interfaces = dict(data.get("interfaces", {}))
    interfaces.setdefault("data_streams", [])
    deps = data.get("dependencies", {})
    dependencies = {"static": list(deps.get("static", [])), "dynamic": list(deps.get("dynamic", []))}
    ui_in = data.get("ui", {})
    ui = {"name": ui_in.get("name", data["name"]), "url": ui_in.get("url", ""), "dtr_id": ui_in.get("dtr_id", "")}
    streams = []
    for entry in interfaces["data_streams"]:
        item = {"uri": entry} if isinstance(entry, str) else entry
        kind, topic = parse_stream_uri(item["uri"])
        streams.append(StreamSpec(uri=item["uri"], kind=kind, topic=topic, signal=item.get("signal", ""),
                                  unit=item.get("unit", ""), interval=item.get("interval")))
    return TwinSpec(
        id=twin_id,
        name=data["name"],
        tenant=data["tenant"],
        description=data.get("description", ""),
        metadata=metadata,
        interfaces=interfaces,
        dependencies=dependencies,
        ui=ui,
        streams=tuple(streams),
        model=data.get("model", ""),
        rules=tuple(data.get("rules", [])),
        anomaly=tuple(data.get("anomaly", [])),
    )
