"""`anomaly:` in twin.yaml and in model rules files: a mistake is placed at file:line:column with a sentence, a
broken file keeps its last good detectors, a twin's entry replaces its model's for the same signal."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ROOM_MODEL = """{"@context": "dtmi:dtdl:context;3", "@id": "dtmi:test:Room;1", "@type": "Interface",
 "contents": [{"@type": "Telemetry", "name": "temp", "schema": "double"},
              {"@type": "Telemetry", "name": "humidity", "schema": "double"}]}"""
MODEL_RULES = """model: dtmi:test:Room;1
rules:
  - {id: odd, signal: temp, anomaly_above: 0.8}
anomaly:
  - {signal: temp, params: {window: 60}}
  - {kind: ewma, signal: humidity}
"""
UNTYPED = "id: room-1\nname: Room 1\ntenant: acme\n"
TWIN = UNTYPED + "model: dtmi:test:Room;1\n"


def _models(tree):
    models = tree.root.parent / "models"
    models.mkdir(exist_ok=True)
    (models / "room.json").write_text(ROOM_MODEL)
    return models


@pytest.mark.parametrize("anomaly, place, words", [
    ("anomaly:\n  - {signal: temp, params: {window: 2}}\n", (5, 37), "anomaly[0].params.window: window"),
    ("anomaly:\n  - {kind: forest, signal: temp}\n", (5, 12), "anomaly[0].kind: kind must be one of mad, ewma, hst"),
    ("anomaly:\n  - {signal: temp}\n  - {kind: ewma, signal: temp}\n", (6, 5), "already has a detector"),
    ("anomaly:\n  - {kind: mad, signals: [temp, humidity]}\n", (5, 26), "mad watches one signal"),
    ("anomaly: {signal: temp}\n", (4, 10), "anomaly must be a list"),
    ("anomaly:\n  - {signal: temp, window: 60}\n", (5, 28), "'window' is not a detector key"),
])
def test_a_mistake_in_a_twins_anomaly_is_placed_and_the_twin_keeps_its_last_good_spec(
        tree, scan_cmd, anomaly, place, words):
    from alarms.models import TwinRules
    from registry.models import SpecFileError

    path = tree.write("room/twin.yaml", UNTYPED + "anomaly:\n  - {signal: temp}\n")
    assert scan_cmd(str(tree.root)).code == 0
    assert TwinRules.objects.get(twin_id="room-1").anomaly == [{"signal": "temp"}]
    tree.write("room/twin.yaml", UNTYPED + anomaly)
    result = scan_cmd(str(tree.root))
    error = SpecFileError.objects.get(path=str(path))
    assert (error.line, error.column) == place, error.message
    assert words in error.message
    assert f"{path}:{place[0]}:{place[1]}: " in result.out + result.err
    assert TwinRules.objects.get(twin_id="room-1").anomaly == [{"signal": "temp"}]  # the last good version


def test_a_broken_anomaly_in_a_rules_file_is_placed_and_keeps_the_files_last_good_detectors(tree, scan_cmd):
    from alarms.models import ModelRules
    from registry.models import SpecFileError

    models = _models(tree)
    (models / "room.rules.yaml").write_text(MODEL_RULES)
    assert scan_cmd(str(tree.root)).code == 0
    assert ModelRules.objects.get().anomaly[1] == {"kind": "ewma", "signal": "humidity"}
    (models / "room.rules.yaml").write_text(MODEL_RULES.replace("signal: humidity}",
                                                                "signal: humidity, params: {alpha: 2}}"))
    scan_cmd(str(tree.root))
    error = SpecFileError.objects.get(path=str(models / "room.rules.yaml"))
    assert (error.line, error.column) == (6, 52), error.message  # the 2
    assert "anomaly.1.params.alpha: alpha" in error.message and "between" in error.message
    assert ModelRules.objects.get().anomaly[1] == {"kind": "ewma", "signal": "humidity"}


def test_a_rules_file_may_hold_detectors_alone(tree, scan_cmd):
    from alarms.models import ModelRules

    models = _models(tree)
    (models / "room.rules.yaml").write_text("model: dtmi:test:Room;1\nanomaly:\n  - {signal: temp}\n")
    result = scan_cmd(str(tree.root))
    assert result.code == 0, result.out + result.err
    stored = ModelRules.objects.get()
    assert (stored.rules, stored.anomaly) == ([], [{"signal": "temp"}])


def test_a_twins_detector_replaces_its_models_detector_of_the_same_signal(tree, scan_cmd):
    from alarms.catalog import Catalog

    (_models(tree) / "room.rules.yaml").write_text(MODEL_RULES)
    tree.write("a/twin.yaml", TWIN)
    tree.write("b/twin.yaml", TWIN.replace("room-1", "room-2") + "anomaly:\n  - {kind: ewma, signal: temp}\n")
    assert scan_cmd(str(tree.root)).code == 0
    catalog = Catalog()
    catalog.refresh()
    a = {(d.kind, d.signals) for d in catalog.twins["room-1"].detectors}
    b = {(d.kind, d.signals) for d in catalog.twins["room-2"].detectors}
    assert a == {("mad", ("temp",)), ("ewma", ("humidity",))}
    assert b == {("ewma", ("temp",)), ("ewma", ("humidity",))}  # humidity's detector is still the model's
