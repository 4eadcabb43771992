"""Check a twin spec against the DTDL Interface it names, placing each problem at its twin.yaml line.

A typed twin (`model: dtmi:...;1`) promises what its model says: every data
stream's `signal` is a Telemetry or Property of the model (or of what it
extends), in a unit that fits the content's DTDL unit; and a dependency on
another typed twin is a Relationship of the model whose `target` that twin's
model is (or extends). No Django here: the spec, the models and the other
twins' models in, errors out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dtdl import units as dtdl_units

from .model_files import ModelFile
from .model_set import ModelInfo, parse_model_set
from .spec import ParsedSpec, SpecError, TwinSpec

__all__ = ["UNIT_SYMBOLS", "DTDL_UNIT_SYMBOL", "check_files", "check_twin", "symbol_fits", "relationship_for"]

# The unit spellings twin.yaml files use, and the DTDL units each may mean.
UNIT_SYMBOLS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "C": {"degreeCelsius"}, "°C": {"degreeCelsius"}, "degC": {"degreeCelsius"},
    "F": {"degreeFahrenheit"}, "°F": {"degreeFahrenheit"}, "K": {"kelvin"},
    "bar": {"bar"}, "mbar": {"millibar"}, "Pa": {"pascal"}, "hPa": {"hectopascal"}, "kPa": {"kilopascal"},
    "psi": {"poundPerSquareInch"},
    "W": {"watt"}, "kW": {"kilowatt"}, "MW": {"megawatt"}, "GW": {"gigawatt"},
    "Wh": {"wattHour"}, "kWh": {"kilowattHour"}, "MWh": {"megawattHour"},
    "A": {"ampere"}, "mA": {"milliampere"}, "kA": {"kiloampere"},
    "V": {"volt"}, "mV": {"millivolt"}, "kV": {"kilovolt"},
    "Hz": {"hertz"}, "kHz": {"kilohertz"}, "rpm": {"revolutionPerMinute"},
    "m/s": {"metrePerSecond"}, "km/h": {"kilometrePerHour"}, "cm/s": {"centimetrePerSecond"},
    "m/s2": {"metrePerSecondSquared"}, "g": {"gram", "gForce"},
    "kg": {"kilogram"}, "t": {"tonne"}, "mg": {"milligram"},
    "kg/h": {"kilogramPerHour"}, "kg/s": {"kilogramPerSecond"}, "g/s": {"gramPerSecond"},
    "m3/h": {"cubicMetrePerHour"}, "m3/min": {"cubicMetrePerMinute"}, "m3/s": {"cubicMetrePerSecond"},
    "L/min": {"litrePerMinute"}, "l/min": {"litrePerMinute"}, "L/h": {"litrePerHour"}, "L/s": {"litrePerSecond"},
    "m3": {"cubicMetre"}, "L": {"litre"}, "l": {"litre"},
    "N": {"newton"}, "Nm": {"newtonMetre"}, "N·m": {"newtonMetre"},
    "m": {"metre"}, "mm": {"millimetre"}, "cm": {"centimetre"}, "km": {"kilometre"},
    "um": {"micrometre"}, "µm": {"micrometre"},
    "s": {"second"}, "ms": {"millisecond"}, "min": {"minute"}, "h": {"hour"},
    "%": {"percent"}, "1": {"unity"}, "ppm": {"partsPerMillion"}, "ppb": {"partsPerBillion"},
    "lx": {"lux"}, "lux": {"lux"}, "dB": {"decibel"},
    "ug/m3": {"microgramPerCubicMetre"}, "µg/m3": {"microgramPerCubicMetre"},
    "ohm": {"ohm"}, "Ω": {"ohm"}, "deg": {"degreeOfArc"}, "°": {"degreeOfArc"}, "rad": {"radian"},
}.items()}

# The spelling a scaffolded twin.yaml uses for a DTDL unit (the first symbol listed for it above).
DTDL_UNIT_SYMBOL: dict[str, str] = {}
for _symbol, _units in UNIT_SYMBOLS.items():
    for _unit in sorted(_units):
        DTDL_UNIT_SYMBOL.setdefault(_unit, _symbol)
del _symbol, _units, _unit


def symbol_fits(symbol: str, dtdl_unit: str) -> bool:
    """Does a twin.yaml unit mean `dtdl_unit`? It may be the DTDL name itself, a spelling of the table
    above (the ASCII forms twin.yaml files use, where "C" is degrees Celsius), or the unit's symbol in
    the DTDL quantitative types (dtdl.units: "°C", "m³/h")."""
    return (symbol == dtdl_unit or dtdl_unit in UNIT_SYMBOLS.get(symbol, frozenset())
            or (bool(symbol) and dtdl_units.UNIT_SYMBOLS.get(dtdl_unit) == symbol))


def _at(spec_path: str, places: Mapping[str, tuple[int, int]], *keys: str) -> tuple[int, int]:
    for key in keys:
        if key in places:
            return places[key]
    return 1, 1


def _names(contents: list[dict[str, Any]]) -> str:
    names = [c["name"] for c in contents]
    return ", ".join(names[:12]) + (", ..." if len(names) > 12 else "") if names else "none"


def check_twin(spec: TwinSpec, path: str, places: Mapping[str, tuple[int, int]], models: Mapping[str, ModelInfo],
               twin_models: Mapping[str, str]) -> list[SpecError]:
    """Every way `spec` breaks its model's promises; [] for an untyped twin or a twin that fits.

    `twin_models` maps other twins' ids to the model they name, for the
    dependency check.
    """
    if not spec.model:
        return []
    model = models.get(spec.model)
    if model is None:
        line, column = _at(path, places, "model")
        return [SpecError(path, line, column, f"model {spec.model} is not defined by any file under the models "
                                              "folder; add the Interface there, or fix the DTMI")]
    errors = [e for i, stream in enumerate(spec.streams) for e in _check_stream(path, places, model, i, stream)]
    errors += _check_dependencies(spec, path, places, model, models, twin_models)
    return sorted(errors, key=lambda e: (e.line, e.column))


def _check_stream(path: str, places: Mapping[str, tuple[int, int]], model: ModelInfo, i: int,
                  stream: Any) -> list[SpecError]:
    if not stream.signal:
        return []  # a stream without a signal (alerts, raw feeds) carries no model content
    where = f"interfaces.data_streams[{i}]"
    content = model.content(stream.signal)
    if content is None or content["kind"] not in ("Telemetry", "Property"):
        line, column = _at(path, places, f"{where}.signal", where)
        offered = _names(model.of_kind("Telemetry", "Property"))
        return [SpecError(path, line, column, f"{where}.signal: {stream.signal!r} is not a Telemetry or Property of "
                                              f"{model.dtmi} (it has: {offered}); rename the signal or add it to "
                                              "the model under a new version")]
    unit = content.get("unit") or ""
    if not unit or symbol_fits(stream.unit, unit):
        return []
    line, column = _at(path, places, f"{where}.unit", where)
    spelled = DTDL_UNIT_SYMBOL.get(unit, unit)
    found = f"unit {stream.unit!r}" if stream.unit else "no unit"
    return [SpecError(path, line, column, f"{where}: {found} for {stream.signal!r}, but {model.dtmi} measures it in "
                                          f"{unit}; write unit: {spelled!r}")]


def relationship_for(model: ModelInfo, target_model: str, models: Mapping[str, ModelInfo]) -> str | None:
    """The name of the model's Relationship that may point at a twin of `target_model`, or None."""
    target = models.get(target_model)
    kinds = set(target.ancestors) if target is not None else {target_model}
    relationships = model.of_kind("Relationship")
    for rel in relationships:  # a Relationship naming the target's type wins over an open one
        if rel.get("target") and rel["target"] in kinds:
            return rel["name"]
    return next((rel["name"] for rel in relationships if not rel.get("target")), None)


def _check_dependencies(spec: TwinSpec, path: str, places: Mapping[str, tuple[int, int]], model: ModelInfo,
                        models: Mapping[str, ModelInfo], twin_models: Mapping[str, str]) -> list[SpecError]:
    relationships = model.of_kind("Relationship")
    if not relationships:
        return []  # the model types no relationships: dependencies stay free-form
    errors = []
    for kind, targets in spec.dependencies.items():
        for j, target in enumerate(targets):
            target_model = twin_models.get(target, "")
            if not target_model or relationship_for(model, target_model, models) is not None:
                continue
            line, column = _at(path, places, f"dependencies.{kind}[{j}]", f"dependencies.{kind}")
            offered = ", ".join(f"{r['name']} -> {r.get('target') or 'any'}" for r in relationships)
            errors.append(SpecError(path, line, column, (
                f"dependencies.{kind}[{j}]: {target!r} is a {target_model}, but no Relationship of {model.dtmi} "
                f"targets that model (relationships: {offered}); depend on a twin of a fitting model, or add a "
                "Relationship to a new version of the model")))
    return errors


def check_files(parsed: Sequence[ParsedSpec], model_files: Sequence[ModelFile]) -> list[SpecError]:
    """Without a registry: the model files' errors, and each valid twin checked against those models."""
    models = parse_model_set(model_files, {}, {})
    errors = [e for found in models.errors.values() for e in found]
    specs = [p for p in parsed if p.ok]
    twin_models = {p.spec.id: p.spec.model for p in specs if p.spec.model}
    for p in specs:
        errors += check_twin(p.spec, p.path, p.places, models.models, twin_models)
    return errors
