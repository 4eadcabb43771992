"""The energy/HVAC stack: its model, its twin.yaml, the peak-power alarm and the UI on port 3002."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from twins.common.alarm import ThresholdAlarm
from twins.common.config import env_float
from twins.common.runner import StackDefinition
from twins.common.stackspec import StackSpec
from twins.energy_hvac.model import ENERGY_SIGNALS, HvacModel

__all__ = ["DEFINITION", "power_alarm"]

DEFAULT_POWER_THRESHOLD = 45.0  # kW, the plant's contracted peak demand
DEFAULT_POWER_HYSTERESIS = 3.0


def power_alarm(environ: Mapping[str, str], spec: StackSpec) -> list[ThresholdAlarm]:
    """ENERGY_POWER_THRESHOLD (kW) and ENERGY_POWER_HYSTERESIS, with the lift's crossing semantics."""
    return [ThresholdAlarm("power",
                           env_float(environ, "ENERGY_POWER_THRESHOLD", DEFAULT_POWER_THRESHOLD),
                           env_float(environ, "ENERGY_POWER_HYSTERESIS", DEFAULT_POWER_HYSTERESIS, minimum=0),
                           unit=spec.bindings["power"].unit)]


DEFINITION = StackDefinition(
    name="energy_hvac",
    spec_path=Path(__file__).with_name("twin.yaml"),
    model=lambda seed, _env: HvacModel(seed),
    signals=ENERGY_SIGNALS,
    alarms=power_alarm,
    ui_port_env="ENERGY_UI_PORT",
    default_ui_port=3002,
)
