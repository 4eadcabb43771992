"""The DTDL v3 feature extensions: historization, annotation, overriding, mqtt, requirement.

Each extension context defines adjunct types, co-types that add meaning to an element
(`Historized` on a Property, `Mqtt` on an Interface), and the properties they bring.
The table says, for each context, which co-types it defines, which element classes each
may be applied to, which other co-type it needs beside it, and its properties.
Sources: DTDL.historization.v1.md, DTDL.annotation.v1.md, DTDL.overriding.v1.md,
DTDL.mqtt.v1.md and their later versions, as DTDLParser implements them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOPIC = (
    r"^(?:(?:[!%-*,-.0-z|~][!$-*,-.0-z|~]*)|(?:{(?:[A-Za-z]+:)?[A-Za-z]+}))"
    r"(?:\/(?:(?:[!$-*,-.0-z|~]+)|(?:{(?:[A-Za-z]+:)?[A-Za-z]+})))*$"
)
_GROUP = r"^[!$-*,-.0-z|~]+$"
_DURATION = re.compile(
    r"^P(?!$)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?!$)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$"
)


@dataclass(frozen=True)
class ExtProp:
    kind: str  # "string" | "integer" | "duration" | "iri"
    required: bool = False
    pattern: str | None = None
    minimum: int | None = None


@dataclass(frozen=True)
class Feature:
    """One adjunct type: the classes it may co-type, the co-type it needs, its properties."""

    cotypes: tuple[str, ...]
    props: dict[str, ExtProp] = field(default_factory=dict)
    needs: str | None = None


_HISTORIZED = {"Historized": Feature(("Property", "Telemetry"))}
_ANNOTATION = {"ValueAnnotation": Feature(("Property", "Telemetry"), {"annotates": ExtProp("string", True)})}
_OVERRIDE = {"Override": Feature(("Property",), {"overrides": ExtProp("iri", True)}, needs="ValueAnnotation")}
_MQTT_TOPICS = {
    "telemetryTopic": ExtProp("string", pattern=_TOPIC),
    "commandTopic": ExtProp("string", pattern=_TOPIC),
    "payloadFormat": ExtProp("string", True),
}
_MQTT_GROUPS = {"telemServiceGroupId": ExtProp("string", pattern=_GROUP), "cmdServiceGroupId": ExtProp("string", pattern=_GROUP)}
_MQTT_COMMON = {
    "Idempotent": Feature(("Command",)),
    "Cacheable": Feature(("Command",), {"ttl": ExtProp("duration", True)}, needs="Idempotent"),
    "Indexed": Feature(("EnumValue", "Field", "Telemetry"), {"index": ExtProp("integer", True, minimum=1)}),
}
_MQTT3 = {
    **_MQTT_COMMON, "Mqtt": Feature(("Interface",), {**_MQTT_TOPICS, **_MQTT_GROUPS}),
    "Transparent": Feature(("CommandRequest", "CommandResponse")), "Result": Feature(("Object",)),
    "Error": Feature(("Object",)), "NormalResult": Feature(("Field",)), "ErrorResult": Feature(("Field",)),
    "ErrorMessage": Feature(("Field",)),
}  # fmt: skip
_MQTT4 = {
    **_MQTT3,
    "Mqtt": Feature(("Interface",), {**_MQTT_TOPICS, **_MQTT_GROUPS, "propertyTopic": ExtProp("string", pattern=_TOPIC)}),
    "Indexed": Feature(("EnumValue", "Field", "Property", "Telemetry"), {"index": ExtProp("integer", True, minimum=1)}),
    "ErrorCode": Feature(("Field",)), "ErrorInfo": Feature(("Field",)), "Fragmented": Feature(("Property",)),
    "Indirect": Feature(("Field",)), "PropertyResult": Feature(("Object",)), "PropertyValue": Feature(("Field",)),
    "ReadError": Feature(("Field",)), "WriteError": Feature(("Field",)),
}  # fmt: skip

EXTENSIONS: dict[str, dict[str, Feature]] = {
    "dtmi:dtdl:extension:historization;1": _HISTORIZED,
    "dtmi:dtdl:extension:historization;2": _HISTORIZED,
    "dtmi:dtdl:extension:annotation;1": _ANNOTATION,
    "dtmi:dtdl:extension:annotation;2": _ANNOTATION,
    "dtmi:dtdl:extension:overriding;1": _OVERRIDE,
    "dtmi:dtdl:extension:overriding;2": _OVERRIDE,
    "dtmi:dtdl:extension:mqtt;1": {**_MQTT_COMMON, "Mqtt": Feature(("Interface",), _MQTT_TOPICS)},
    "dtmi:dtdl:extension:mqtt;2": {**_MQTT_COMMON, "Mqtt": Feature(("Interface",), {**_MQTT_TOPICS, **_MQTT_GROUPS}),
                                   "Transparent": Feature(("CommandRequest", "CommandResponse"))},
    "dtmi:dtdl:extension:mqtt;3": _MQTT3,
    "dtmi:dtdl:extension:mqtt;4": _MQTT4,
    "dtmi:dtdl:extension:requirement;1": {"Required": Feature(("Field",))},
    "dtmi:dtdl:extension:requirement;2": {"Required": Feature(("Field", "Property"))},
}  # fmt: skip


def base(context: str) -> tuple[str, int]:
    """'dtmi:dtdl:extension:mqtt;2' -> ('mqtt', 2)."""
    name, _, version = context.removeprefix("dtmi:dtdl:extension:").partition(";")
    return name, int(version)


def cotype_iri(context: str, name: str) -> str:
    ext, version = base(context)
    return f"dtmi:dtdl:extension:{ext}:v{version}:{name}"


def property_iri(context: str, cotype: str, prop: str) -> str:
    return f"{cotype_iri(context, cotype)}:{prop}"


def check_value(prop: ExtProp, value: Any) -> str | None:
    """Why `value` does not fit `prop`, or None."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if prop.kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be an integer"
        if prop.minimum is not None and value < prop.minimum:
            return f"must be at least {prop.minimum}"
        return None
    if not isinstance(value, str):
        return "must be a string"
    if prop.kind == "duration" and not _DURATION.match(value):
        return "must be an ISO 8601 duration such as 'PT10S'"
    if prop.pattern and not re.match(prop.pattern, value):
        return "does not have the required form"
    return None
