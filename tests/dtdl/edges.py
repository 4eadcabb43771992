"""Edge cases of the DTDL limits and rules, each with the verdict the reference parser gives.

Written for this project (not taken from the conformance suite); tests/test_dtdl.py checks
dtdl.parse against EXPECTED, tests/test_dtdl_oracle.py checks the reference parser still agrees.
"""

from __future__ import annotations

from typing import Any

QT = ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"]


def I(version: int, contents: list | None = None, **extra: Any) -> dict:  # noqa: E743
    """An Interface of DTDL `version`, @id dtmi:ex:A;1 unless `id=` says otherwise."""
    interface = {"@context": f"dtmi:dtdl:context;{version}", "@id": extra.pop("id", "dtmi:ex:A;1"), "@type": "Interface"}
    if contents is not None:
        interface["contents"] = contents
    interface.update(extra)
    return interface


def P(name: str, **extra: Any) -> dict:
    """A double Property."""
    return {"@type": "Property", "name": name, "schema": "double", **extra}


# fmt: off
EDGES = {
 "v2 301 contents": [I(2,[P(f"p{i}") for i in range(301)])],
 "v2 300 contents": [I(2,[P(f"p{i}") for i in range(300)])],
 "v3 301 contents": [I(3,[P(f"p{i}") for i in range(301)])],
 "v2 extends 3": [I(2,extends=["dtmi:ex:B;1","dtmi:ex:C;1","dtmi:ex:D;1"])]+[I(2,id=f"dtmi:ex:{x};1") for x in "BCD"],
 "id 128": [I(3,id="dtmi:ex:"+"a"*118+";1")], "id 129": [I(3,id="dtmi:ex:"+"a"*119+";1")],
 "v2 name 64": [I(2,[P("a"*64)])], "v2 name 65": [I(2,[P("a"*65)])], "v3 name 512": [I(3,[P("a"*512)])],
 "v2 dn 65": [I(2,displayName="a"*65)], "v3 dn 513": [I(3,displayName="a"*513)], "v3 desc 512": [I(3,description="a"*512)],
 "v2 maxMult 501": [I(2,[{"@type":"Relationship","name":"r","maxMultiplicity":501}])],
 "v3 maxMult 501": [I(3,[{"@type":"Relationship","name":"r","maxMultiplicity":501}])],
 "minMult 1": [I(3,[{"@type":"Relationship","name":"r","minMultiplicity":1}])],
 "enum dup value": [I(3,[P("e",schema={"@type":"Enum","valueSchema":"integer","enumValues":[{"name":"a","enumValue":1},{"name":"b","enumValue":1}]})])],
 "mapKey integer": [I(3,[P("m",schema={"@type":"Map","mapKey":{"name":"k","schema":"integer"},"mapValue":{"name":"v","schema":"double"}})])],
 "component with component": [I(3,[{"@type":"Component","name":"c","schema":"dtmi:ex:B;1"}]), I(3,[{"@type":"Component","name":"d","schema":"dtmi:ex:C;1"}],id="dtmi:ex:B;1"), I(3,id="dtmi:ex:C;1")],
 "component via extends has component": [I(3,[{"@type":"Component","name":"c","schema":"dtmi:ex:B;1"}]), I(3,extends="dtmi:ex:C;1",id="dtmi:ex:B;1"), I(3,[{"@type":"Component","name":"d","schema":"dtmi:ex:D;1"}],id="dtmi:ex:C;1"), I(3,id="dtmi:ex:D;1")],
 "writable telemetry": [I(3,[{"@type":"Telemetry","name":"t","schema":"double","writable":True}])],
 "v3 object 0 fields": [I(3,[P("o",schema={"@type":"Object","fields":[]})])],
 "v2 object 0 fields": [I(2,[P("o",schema={"@type":"Object","fields":[]})])],
 "v3 enum 0 values": [I(3,[P("e",schema={"@type":"Enum","valueSchema":"string","enumValues":[]})])],
 "v3 field semantic": [dict(I(3,[P("o",schema={"@type":"Object","fields":[{"@type":["Field","Temperature"],"name":"f","schema":"double","unit":"kelvin"}]})]),**{"@context":QT})],
 "v3 mapvalue semantic": [dict(I(3,[P("o",schema={"@type":"Map","mapKey":{"name":"k","schema":"string"},"mapValue":{"@type":["MapValue","Temperature"],"name":"f","schema":"double","unit":"kelvin"}})]),**{"@context":QT})],
 "v3 request semantic": [dict(I(3,[{"@type":"Command","name":"c","request":{"@type":["CommandRequest","Temperature"],"name":"f","schema":"double","unit":"kelvin"}}]),**{"@context":QT})],
 "v3 relationship semantic": [dict(I(3,[{"@type":["Relationship","Distance"],"name":"r","unit":"metre"}]),**{"@context":QT})],
 "v3 unit no semantic": [dict(I(3,[{"@type":"Telemetry","name":"t","schema":"double","unit":"kelvin"}]),**{"@context":QT})],
 "dup id across docs": [I(3), I(3)],
 "v3 extends v2": [I(3,extends="dtmi:ex:B;1"), I(2,id="dtmi:ex:B;1")],
 "v3 inline v2 content": [I(3,[dict(P("p"),**{"@context":"dtmi:dtdl:context;2"})])],
 "v3 schemas v2 elem": [I(3,schemas=[{"@context":"dtmi:dtdl:context;2","@id":"dtmi:ex:S;1","@type":"Enum","valueSchema":"string","enumValues":[{"name":"a","enumValue":"a"}]}])],
 "v3 extends 2 semantic v2 in v3": [dict(I(3,[P("t",**{"@type":["Property","Temperature"],"unit":"kelvin"})]),**{"@context":QT})],
 "v2 semantic no unit": [I(2,[{"@type":["Telemetry","Temperature"],"name":"t","schema":"double"}])],
 "v3 semantic no unit": [dict(I(3,[{"@type":["Telemetry","Temperature"],"name":"t","schema":"double"}]),**{"@context":QT})],
 "v3 semantic ratio unit": [dict(I(3,[{"@type":["Telemetry","RelativeHumidity"],"name":"t","schema":"double","unit":"percent"}]),**{"@context":QT})],
 "v3 Unitless": [dict(I(3,[{"@type":["Telemetry","Concentration"],"name":"t","schema":"double","unit":"partsPerMillion"}]),**{"@context":QT})],
 "v3 command v2 style commandType": [I(3,[{"@type":"Command","name":"c","commandType":"synchronous"}])],
 "v2 command commandType": [I(2,[{"@type":"Command","name":"c","commandType":"synchronous"}])],
 "v3 request nullable": [I(3,[{"@type":"Command","name":"c","request":{"name":"r","schema":"double","nullable":True}}])],
 "v3 schema interface as schema": [I(3,[P("p",schema="dtmi:ex:B;1")]), I(3,id="dtmi:ex:B;1")],
 "comp self": [I(3,[{"@type":"Component","name":"c","schema":"dtmi:ex:A;1"}])],
 "v3 no version id": [I(3,id="dtmi:ex:A")], "v2 no version id": [I(2,id="dtmi:ex:A")],
 "v3 minor version": [I(3,id="dtmi:ex:A;1.2")], "v2 minor version": [I(2,id="dtmi:ex:A;1.2")],
 "v3 nested id longer": [I(3,[dict(P("p"),**{"@id":"dtmi:ex:"+"a"*2030+";1"})])],
 "v3 nested id 2049": [I(3,[dict(P("p"),**{"@id":"dtmi:ex:"+"a"*2035+";1"})])],
}
# fmt: on

EXPECTED = {
    'v2 301 contents': False,
    'v2 300 contents': True,
    'v3 301 contents': True,
    'v2 extends 3': False,
    'id 128': True,
    'id 129': False,
    'v2 name 64': True,
    'v2 name 65': False,
    'v3 name 512': True,
    'v2 dn 65': False,
    'v3 dn 513': False,
    'v3 desc 512': True,
    'v2 maxMult 501': False,
    'v3 maxMult 501': True,
    'minMult 1': False,
    'enum dup value': False,
    'mapKey integer': False,
    'component with component': False,
    'component via extends has component': False,
    'writable telemetry': False,
    'v3 object 0 fields': True,
    'v2 object 0 fields': False,
    'v3 enum 0 values': True,
    'v3 field semantic': True,
    'v3 mapvalue semantic': True,
    'v3 request semantic': True,
    'v3 relationship semantic': False,
    'v3 unit no semantic': False,
    'dup id across docs': False,
    'v3 extends v2': True,
    'v3 inline v2 content': True,
    'v3 schemas v2 elem': False,
    'v3 extends 2 semantic v2 in v3': True,
    'v2 semantic no unit': False,
    'v3 semantic no unit': False,
    'v3 semantic ratio unit': True,
    'v3 Unitless': True,
    'v3 command v2 style commandType': True,
    'v2 command commandType': True,
    'v3 request nullable': False,
    'v3 schema interface as schema': False,
    'comp self': False,
    'v3 no version id': True,
    'v2 no version id': False,
    'v3 minor version': True,
    'v2 minor version': False,
    'v3 nested id longer': True,
    'v3 nested id 2049': True,
}
