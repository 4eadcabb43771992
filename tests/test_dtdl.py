"""The dtdl package through its public entries: dtdl.parse and `python -m dtdl validate`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dtdl
from tests.dtdl.edges import EDGES, EXPECTED
from tests.dtdl.samples import ASSET, INVALID, LIFT, VALID

ROOT = Path(__file__).resolve().parents[1]


def test_it_returns_interfaces_with_inherited_contents_units_and_targets() -> None:
    models = dtdl.parse([json.dumps(LIFT), ASSET])
    lift = models.interfaces["dtmi:example:building:Lift;1"]
    assert lift.display_name == "Lift"
    assert lift.extends == ["dtmi:example:building:Asset;1"]
    assert "serial" not in lift.contents and "serial" in lift.all_contents()
    vibration = lift.contents["vibration_rms"]
    assert (vibration.kind, vibration.unit, vibration.semantic_type) == ("Telemetry", "centimetrePerSecond", "Velocity")
    assert vibration.schema.kind == "double"
    assert lift.contents["serves"].target == "dtmi:example:building:Asset;1"
    assert lift.contents["floor"].writable is True
    assert lift.contents["mode"].schema.values == {"normal": "normal", "service": "service"}
    assert models.source("dtmi:example:building:Lift;1") == LIFT
    assert models.extending("dtmi:example:building:Asset;1") == ["dtmi:example:building:Asset;1", "dtmi:example:building:Lift;1"]


@pytest.mark.parametrize("name", sorted(VALID))
def test_it_accepts_valid_model_sets(name: str) -> None:
    dtdl.parse(VALID[name])


@pytest.mark.parametrize("name", sorted(INVALID))
def test_it_rejects_invalid_model_sets(name: str) -> None:
    with pytest.raises(dtdl.DtdlError):
        dtdl.parse(INVALID[name])


def test_errors_carry_line_column_and_pointer_for_text() -> None:
    text = '{\n  "@context": "dtmi:dtdl:context;3",\n  "@id": "dtmi:a:B;1",\n  "@type": "Interface",\n' \
           '  "contents": [\n    {"@type": "Telemetry", "name": "t", "schema": "doubel"}\n  ]\n}\n'
    with pytest.raises(dtdl.DtdlError) as caught:
        dtdl.parse([text])
    [issue] = caught.value.errors
    assert (issue.pointer, issue.line, issue.column) == ("/contents/0/schema", 6, 51)
    assert str(issue).startswith("6:51: ") and "doubel" in issue.message


def test_an_unresolved_reference_names_its_dtmi() -> None:
    with pytest.raises(dtdl.DtdlError) as caught:
        dtdl.parse([LIFT])
    assert caught.value.unresolved == ["dtmi:example:building:Asset;1"]


def test_undefined_extensions_need_the_option() -> None:
    model = dict(ASSET, **{"@type": ["Interface", "dtmi:acme:Tagged;1"], "dtmi:acme:tag;1": "x"})
    with pytest.raises(dtdl.DtdlError):
        dtdl.parse([model])
    dtdl.parse([model], allow_undefined_extensions=True)


def test_a_json_syntax_error_has_its_position() -> None:
    with pytest.raises(dtdl.DtdlError) as caught:
        dtdl.parse(['{"@context": "dtmi:dtdl:context;3",\n "@id": }'])
    assert (caught.value.errors[0].line, caught.value.errors[0].column) == (2, 9)


def test_units_table_knows_which_units_fit_a_semantic_type() -> None:
    assert "degreeCelsius" in dtdl.units.units_for("Temperature")
    assert dtdl.units.unit_fits("Velocity", "centimetrePerSecond")
    assert not dtdl.units.unit_fits("Temperature", "metre")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dtdl", *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_cli_validates_files_together(tmp_path: Path) -> None:
    (tmp_path / "lift.json").write_text(json.dumps(LIFT, indent=2))
    (tmp_path / "asset.json").write_text(json.dumps(ASSET, indent=2))
    done = _cli("validate", str(tmp_path / "lift.json"), str(tmp_path / "asset.json"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_prints_file_line_column_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(ASSET, contents=[{"@type": "Property", "name": "x y", "schema": "string"}]), indent=2))
    done = _cli("validate", str(bad))
    assert done.returncode == 1
    assert done.stdout.startswith(f"{bad}:8:15: 'name' 'x y'"), done.stdout
    as_json = json.loads(_cli("validate", "--json", str(bad)).stdout)
    assert as_json["valid"] is False and as_json["errors"][0]["pointer"] == "/contents/0/name"


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _cli().returncode == 2
    assert _cli("validate", str(tmp_path / "missing.json")).returncode == 2


def test_the_package_imports_no_django() -> None:
    code = "import sys, dtdl, dtdl.cli; dtdl.parse([]); print(any(m.split('.')[0] == 'django' for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "False"
    for path in (ROOT / "dtdl").rglob("*.py"):
        imports = [line for line in path.read_text().splitlines() if line.lstrip().startswith(("import ", "from "))]
        assert not [line for line in imports if "django" in line or "rest_framework" in line], path


def test_a_twin_unit_symbol_maps_to_its_dtdl_unit() -> None:
    assert dtdl.units.unit_for_symbol("kg") == "kilogram"
    assert dtdl.units.unit_for_symbol("°C", "Temperature") == "degreeCelsius"
    assert dtdl.units.unit_for_symbol("m", "Length") == "metre" and dtdl.units.unit_for_symbol("m", "TimeSpan") == "minute"
    assert dtdl.units.unit_for_symbol("mm/s") is None  # DTDL has no millimetre per second


def test_an_interface_renders_as_plain_json() -> None:
    lift = dtdl.parse([LIFT, ASSET]).interfaces["dtmi:example:building:Lift;1"]
    rendered = json.loads(json.dumps(lift.as_dict()))
    assert rendered["ancestors"] == ["dtmi:example:building:Asset;1"]
    by_name = {c["name"]: c for c in rendered["contents"]}
    assert by_name["motor_temp"] == {
        "kind": "Telemetry", "name": "motor_temp", "schema": {"kind": "double"}, "unit": "degreeCelsius",
        "semantic_type": "Temperature", "co_types": ["Temperature"], "defined_in": "dtmi:example:building:Lift;1",
    }
    assert by_name["serial"]["defined_in"] == "dtmi:example:building:Asset;1"
    assert by_name["status"]["schema"]["value"] == {"kind": "boolean"}
    assert "serial" not in {c["name"] for c in lift.as_dict(expanded=False)["contents"]}


@pytest.mark.parametrize(("contents", "hint"), [
    ({"@type": ["Telemetry", "Temperature"], "name": "t", "schema": "double", "unit": "degreeCelsius"},
     "add 'dtmi:dtdl:extension:quantitativeTypes;1' to the @context"),
    ({"@type": "Telemetry", "name": "t", "schema": "doubel"}, "did you mean 'double'?"),
    ({"@type": ["Property", "Historized"], "name": "p", "schema": "double"}, "add 'dtmi:dtdl:extension:historization;1'"),
])
def test_errors_say_what_to_change(contents: dict, hint: str) -> None:
    with pytest.raises(dtdl.DtdlError) as caught:
        dtdl.parse([{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:a:B;1", "@type": "Interface", "contents": [contents]}])
    assert hint in caught.value.errors[0].message


def test_each_error_names_the_interface_it_is_in() -> None:
    broken = dict(ASSET, **{"@id": "dtmi:example:Broken;1"}, contents=[{"@type": "Property", "name": "x y", "schema": "string"}])
    with pytest.raises(dtdl.DtdlError) as caught:
        dtdl.parse([json.dumps([ASSET, broken])])
    [issue] = caught.value.errors
    assert (issue.interface, issue.pointer) == ("dtmi:example:Broken;1", "/1/contents/0/name")


@pytest.mark.parametrize("name", sorted(EDGES))
def test_limits_and_rules_at_their_edges(name: str) -> None:
    """Each edge case is judged as the reference parser judges it (tests/dtdl/edges.py)."""
    try:
        dtdl.parse(EDGES[name])
        valid = True
    except dtdl.DtdlError:
        valid = False
    assert valid == EXPECTED[name]


def test_cli_reads_every_json_file_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "building").mkdir()
    (tmp_path / "building" / "lift.json").write_text(json.dumps(LIFT))
    (tmp_path / "asset.json").write_text(json.dumps(ASSET))
    done = _cli("validate", str(tmp_path))
    assert (done.returncode, done.stdout.strip()) == (0, "valid: 2 interface(s) in 2 file(s)")


def test_units_of_the_same_quantity_are_compatible() -> None:
    assert dtdl.units.same_quantity("degreeCelsius", "°F")
    assert dtdl.units.same_quantity("kW", "megawatt")
    assert not dtdl.units.same_quantity("degreeCelsius", "m")
    assert not dtdl.units.same_quantity("mm/s", "metrePerSecond")  # not a DTDL unit at all


def test_dtdl_defaults_accept_unknown_contexts_in_v2_only() -> None:
    """allow_undefined_extensions=None: as Azure, a v2 model may name a context nobody defines."""
    v2 = {"@context": ["dtmi:dtdl:context;2", "dtmi:acme:vendor:context;1"], "@id": "dtmi:acme:P;1", "@type": "Interface"}
    v3 = dict(v2, **{"@context": ["dtmi:dtdl:context;3", "dtmi:acme:vendor:context;1"]})
    with pytest.raises(dtdl.DtdlError):
        dtdl.parse([v2])
    dtdl.parse([v2], allow_undefined_extensions=None)
    with pytest.raises(dtdl.DtdlError):
        dtdl.parse([v3], allow_undefined_extensions=None)
    with pytest.raises(dtdl.DtdlError):  # an undefined DTMI as a co-type still needs the option
        dtdl.parse([dict(v2, **{"@type": ["Interface", "dtmi:acme:Tag;1"]})], allow_undefined_extensions=None)
