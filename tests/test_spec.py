"""The twin.yaml spec: what is accepted, and how each mistake is reported (file:line:column + a sentence)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from registry.spec import MAX_NODES, parse_spec, twin_schema

REPO = Path(__file__).resolve().parent.parent

GOOD = b"""\
id: lift-001
name: Lift 1
tenant: acme
metadata:
  domain: [lift]
  lift_id: L1
interfaces:
  api: http://localhost:3001/api
  data_streams:
    - mqtt://dtp/lift/lift-001/vibration
    - {uri: mqtt://dtp/lift/lift-001/load, signal: load, unit: kg, interval: 5}
dependencies:
  static: [hvac-1]
ui:
  url: http://localhost:3001/
  dtr_id: dtr:lift:1
"""


def only_error(text: bytes, **kw) -> str:
    result = parse_spec(text, "twins/x/twin.yaml", **kw)
    assert not result.ok, "expected the spec to be refused"
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    return str(result.errors[0])


def test_a_valid_spec_is_normalised_with_defaults_and_parsed_streams():
    result = parse_spec(GOOD, "twins/lift/twin.yaml")
    assert result.ok, result.errors
    spec = result.spec
    assert spec.id == "lift-001" and spec.tenant == "acme"
    assert spec.metadata == {"domain": ["lift"], "lift_id": "L1", "status": "active"}
    assert spec.dependencies == {"static": ["hvac-1"], "dynamic": []}
    assert spec.ui == {"name": "Lift 1", "url": "http://localhost:3001/", "dtr_id": "dtr:lift:1"}
    assert [(s.kind, s.topic, s.unit, s.interval) for s in spec.streams] == [
        ("mqtt", "dtp/lift/lift-001/vibration", "", None),
        ("mqtt", "dtp/lift/lift-001/load", "kg", 5),
    ]


def test_at_id_is_accepted_as_the_identity():
    result = parse_spec(b'"@id": dev-1\nname: D\ntenant: lab\n', "t.yaml")
    assert result.ok and result.spec.id == "dev-1"


def test_anchors_and_merge_keys_are_expanded():
    text = b"""\
id: a
name: A
tenant: acme
interfaces:
  data_streams:
    - &base {uri: "mqtt://dtp/a/temp", unit: C, interval: 5}
    - {<<: *base, uri: "mqtt://dtp/a/humidity", unit: "%"}
"""
    spec = parse_spec(text, "t.yaml").spec
    assert [(s.topic, s.unit, s.interval) for s in spec.streams] == [("dtp/a/temp", "C", 5), ("dtp/a/humidity", "%", 5)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"id: a\nname: A\ntenant: acme\ncolour: red\n",
         "twins/x/twin.yaml:4:1: unknown key 'colour' at the top level; allowed keys: @id, anomaly, dependencies, "
         "description, id, interfaces, metadata, model, name, rules, tenant, ui"),
        (b"id: a\nname: A\ntenant: Acme Corp\n",
         "twins/x/twin.yaml:3:9: tenant must be a lowercase slug"),
        (b"id: -bad id\nname: A\ntenant: acme\n",
         "twins/x/twin.yaml:1:5: id must start with a letter or digit"),
        (b"name: A\ntenant: acme\n", "twins/x/twin.yaml:1:1: missing required key 'id'"),
        (b"id: a\n'@id': a\nname: A\ntenant: acme\n",
         "twins/x/twin.yaml:2:1: give the twin's identity as 'id' or as '@id', not both"),
        (b"id: a\nname: A\n", "twins/x/twin.yaml:1:1: missing required key 'tenant' at the top level"),
        (b"id: a\nname: A\ntenant: acme\nmetadata:\n  domain: lift\n",
         "twins/x/twin.yaml:5:11: metadata.domain must be a list, got a string"),
        (b"id: a\nname: A\ntenant: acme\nmetadata: {status: broken}\n",
         "twins/x/twin.yaml:4:20: metadata.status must be one of: draft, active, maintenance, inactive, deprecated"),
        (b"id: a\nname: A\ntenant: acme\ndependencies:\n  static: [b, a]\n",
         "twins/x/twin.yaml:5:15: dependencies.static[1]: a twin cannot depend on itself ('a'); remove it"),
        (b"id: a\nname: A\ntenant: acme\ninterfaces:\n  data_streams: [not-a-uri]\n",
         "twins/x/twin.yaml:5:18: interfaces.data_streams[0] must be a stream URI"),
        (b"id: a\nname: A\ntenant: acme\ninterfaces:\n  data_streams: ['mqtt://dtp/#/x']\n",
         "twins/x/twin.yaml:5:18: interfaces.data_streams[0]: MQTT topic 'dtp/#/x': '#' may only stand alone"),
        (b"id: a\nname: A\ntenant: acme\ninterfaces:\n  api: ftp://x\n",
         "twins/x/twin.yaml:5:8: interfaces.api must be an http:// or https:// URL"),
        (b"id: a\nname: A\nname: B\ntenant: acme\n",
         "twins/x/twin.yaml:3:1: the key 'name' appears twice at the top level; keep only one"),
        (b"id: a\nname: [unclosed\ntenant: acme\n", "twins/x/twin.yaml:3:7: YAML syntax error"),
        (b"- a\n- b\n", "twins/x/twin.yaml:1:1: a twin spec must be a mapping"),
        (b"", "twins/x/twin.yaml:1:1: the file is empty"),
        (b"id: !!python/object/apply:os.system [ls]\nname: A\ntenant: acme\n",
         "twins/x/twin.yaml:1:5: the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not supported"),
        (b"id: a\nname: A\ntenant: acme\nmetadata: {level: .inf}\n",
         "twins/x/twin.yaml:4:19: '.inf' is not a finite number"),
        (b"id: a\nname: A\ntenant: acme\nmetadata:\n  'has space': 1\n",
         "twins/x/twin.yaml:5:3: metadata key 'has space': metadata keys start with a letter"),
    ],
)
def test_mistakes_are_reported_at_file_line_column_with_a_sentence(text, expected):
    assert only_error(text).startswith(expected)


def test_several_mistakes_are_all_reported_in_file_order():
    result = parse_spec(b"id: a\nname: 5\ntenant: ACME\nextra: 1\n", "t.yaml")
    assert [(e.line, e.column) for e in result.errors] == [(2, 7), (3, 9), (4, 1)]


def test_a_broken_file_still_tells_which_twin_and_tenant_it_meant():
    result = parse_spec(b"id: lift-9\ntenant: acme\nname: [\n", "t.yaml")
    assert not result.ok  # YAML error: identity unknown
    result = parse_spec(b"id: lift-9\ntenant: acme\nname: L\nbogus: 1\n", "t.yaml")
    assert (result.declared_id, result.declared_tenant) == ("lift-9", "acme")


def test_an_alias_bomb_is_refused_without_expanding_it():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 9) + "]")
    message = only_error("\n".join(lines).encode())
    assert f"expands to more than {MAX_NODES} values through aliases" in message


def test_a_recursive_alias_is_refused():
    assert "recursive alias" in only_error(b"id: a\nname: A\ntenant: acme\nmetadata: &m {self: *m}\n")


def test_non_utf8_bytes_are_refused_at_their_position():
    assert only_error(b"id: a\nname: Caf\xe9\ntenant: acme\n") == (
        "twins/x/twin.yaml:2:10: byte 0xe9 is not valid UTF-8; save the file as UTF-8")


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    message = only_error(b"id: a\n" + b"#" * 2000 + b"\n", max_bytes=1024)
    assert message.startswith("twins/x/twin.yaml:1:1: the file is 2,007 bytes; twin specs are limited to 1,024 bytes")


def test_dates_stay_text_so_the_document_is_plain_json():
    spec = parse_spec(b"id: a\nname: A\ntenant: acme\nmetadata: {installed: 2024-01-02}\n", "t.yaml").spec
    assert spec.metadata["installed"] == "2024-01-02"
    json.dumps(spec.document())


def test_the_shipped_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(twin_schema())


def test_the_sample_twins_and_the_documented_example_validate():
    docs = (REPO / "docs" / "twin-spec.md").read_text()
    example = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    sources = [(p, p.read_bytes()) for p in sorted((REPO / "twins").glob("*/twin.yaml"))]
    sources.append((Path("docs/twin-spec.md"), example.encode()))
    assert len(sources) >= 5
    for path, data in sources:
        result = parse_spec(data, str(path))
        assert result.ok, [str(e) for e in result.errors]
        # The schema alone (as an editor applies it) accepts them too.
        jsonschema.validate(yaml.load(data, Loader=yaml.CSafeLoader), twin_schema())
