"""The DTDL v3 Interfaces of the fleet's machine types, built from the catalog.

The files under models/fleet/ are what `machine_model` returns, written by
`python -m twins.fleet models`; a test keeps the two equal, so a signal added
to the catalog cannot be forgotten in its model (and the generated twins,
which name these models, stay valid).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twins.fleet.catalog import MACHINE_TYPES, MachineType

__all__ = ["MACHINE_BASE", "machine_dtmi", "machine_model", "base_model", "write_models"]

MACHINE_BASE = "dtmi:polyglotdtp:fleet:Machine;1"
CONTEXT = ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"]

# Catalog unit -> (DTDL semantic type, DTDL unit). Units DTDL v3 does not have (mm/s, t/h, kN, cP, spm)
# and bare ratios (%, 1) stay plain doubles, their unit named in the description.
_UNITS = {
    "C": ("Temperature", "degreeCelsius"), "bar": ("Pressure", "bar"), "Pa": ("Pressure", "pascal"),
    "kW": ("Power", "kilowatt"), "MW": ("Power", "megawatt"), "A": ("Current", "ampere"), "V": ("Voltage", "volt"),
    "Hz": ("Frequency", "hertz"), "rpm": ("AngularVelocity", "revolutionPerMinute"),
    "m/s": ("Velocity", "metrePerSecond"), "m3/h": ("VolumeFlowRate", "cubicMetrePerHour"),
    "L/min": ("VolumeFlowRate", "litrePerMinute"), "kg/h": ("MassFlowRate", "kilogramPerHour"),
    "t": ("Mass", "tonne"), "N": ("Force", "newton"), "Nm": ("Torque", "newtonMetre"),
    "um": ("Length", "micrometre"), "mm": ("Length", "millimetre"), "s": ("TimeSpan", "second"),
}


def machine_dtmi(kind: MachineType) -> str:
    """dtmi:polyglotdtp:fleet:CncMill;1 for the cnc_mill type."""
    return f"dtmi:polyglotdtp:fleet:{''.join(p.capitalize() for p in kind.key.split('_'))};1"


def _telemetry(name: str, unit: str) -> dict[str, Any]:
    label = name.replace("_", " ")
    if unit in _UNITS:
        semantic, dtdl_unit = _UNITS[unit]
        return {"@type": ["Telemetry", semantic], "name": name, "schema": "double", "unit": dtdl_unit,
                "description": f"{label.capitalize()}."}
    return {"@type": "Telemetry", "name": name, "schema": "double",
            "description": f"{label.capitalize()}, in {unit}."}


def machine_model(kind: MachineType) -> dict[str, Any]:
    """The Interface of one machine type: a Telemetry per catalog signal."""
    return {
        "@context": CONTEXT,
        "@id": machine_dtmi(kind),
        "@type": "Interface",
        "displayName": kind.label,
        "description": kind.description,
        "extends": MACHINE_BASE,
        "contents": [_telemetry(s.name, s.unit) for s in kind.signals],
    }


def base_model() -> dict[str, Any]:
    """What every fleet machine has beside its signals."""
    return {
        "@context": "dtmi:dtdl:context;3",
        "@id": MACHINE_BASE,
        "@type": "Interface",
        "displayName": "Fleet machine",
        "description": "A simulated industrial machine of the demo fleet (twins/fleet).",
        "extends": "dtmi:polyglotdtp:Twin;1",
        "contents": [
            {"@type": "Property", "name": "machine_type", "schema": "string"},
            {"@type": "Property", "name": "site", "schema": "string"},
            {"@type": "Property", "name": "serial", "schema": "string"},
        ],
    }


def model_files() -> dict[str, dict[str, Any]]:
    """File name -> Interface, for every fleet model."""
    files = {"Machine.json": base_model()}
    for kind in MACHINE_TYPES:
        files[f"{machine_dtmi(kind).split(':')[-1].split(';')[0]}.json"] = machine_model(kind)
    return files


def write_models(out: Path) -> list[Path]:
    """Write the fleet's model files into `out` (models/fleet in the repository)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in model_files().items():
        path = out / name
        path.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
