"""Small hand-written model sets, valid and not, that both this parser and the oracle judge."""

from __future__ import annotations

CTX3 = "dtmi:dtdl:context;3"
QT = ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"]

LIFT = {
    "@context": QT,
    "@id": "dtmi:example:building:Lift;1",
    "@type": "Interface",
    "displayName": "Lift",
    "extends": "dtmi:example:building:Asset;1",
    "contents": [
        {"@type": ["Telemetry", "Velocity"], "name": "vibration_rms", "schema": "double", "unit": "centimetrePerSecond"},
        {"@type": ["Telemetry", "Temperature"], "name": "motor_temp", "schema": "double", "unit": "degreeCelsius"},
        {"@type": "Property", "name": "floor", "schema": "integer", "writable": True},
        {"@type": "Relationship", "name": "serves", "target": "dtmi:example:building:Asset;1", "maxMultiplicity": 40},
        {"@type": "Command", "name": "stop", "request": {"name": "reason", "schema": "string"}},
        {"@type": "Property", "name": "mode", "schema": {
            "@type": "Enum", "valueSchema": "string",
            "enumValues": [{"name": "normal", "enumValue": "normal"}, {"name": "service", "enumValue": "service"}],
        }},
    ],
}
ASSET = {
    "@context": CTX3,
    "@id": "dtmi:example:building:Asset;1",
    "@type": "Interface",
    "contents": [{"@type": "Property", "name": "serial", "schema": "string"},
                 {"@type": "Telemetry", "name": "status", "schema": {"@type": "Map",
                  "mapKey": {"name": "part", "schema": "string"}, "mapValue": {"name": "ok", "schema": "boolean"}}}],
}

VALID = {
    "lift and asset": [LIFT, ASSET],
    "v2 sensor": [{"@context": "dtmi:dtdl:context;2", "@id": "dtmi:example:Sensor;1", "@type": "Interface",
                   "contents": [{"@type": ["Telemetry", "Temperature"], "name": "t", "schema": "double", "unit": "degreeCelsius"}]}],
}
INVALID = {
    "unit of another quantity": [dict(LIFT, contents=[{"@type": ["Telemetry", "Temperature"], "name": "t", "schema": "double", "unit": "metre"}]), ASSET],
    "extends a missing interface": [LIFT],
    "duplicate content names": [dict(ASSET, contents=[{"@type": "Property", "name": "a", "schema": "string"}] * 2)],
    "bad name": [dict(ASSET, contents=[{"@type": "Property", "name": "has space", "schema": "string"}])],
    "array in a v2 property": [{"@context": "dtmi:dtdl:context;2", "@id": "dtmi:example:P;1", "@type": "Interface",
                               "contents": [{"@type": "Property", "name": "p", "schema": {"@type": "Array", "elementSchema": "double"}}]}],
}
