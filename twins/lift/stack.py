"""The lift stack: its model, its twin.yaml, the RMS alarm and the UI on port 3001."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from twins.common.alarm import ThresholdAlarm
from twins.common.config import env_float
from twins.common.runner import StackDefinition
from twins.common.stackspec import StackSpec
from twins.lift.model import LIFT_SIGNALS, LiftModel

__all__ = ["DEFINITION", "rms_alarm"]

DEFAULT_RMS_THRESHOLD = 7.1  # mm/s, ISO 10816 zone C/D boundary
DEFAULT_RMS_HYSTERESIS = 0.5


def rms_alarm(environ: Mapping[str, str], spec: StackSpec) -> list[ThresholdAlarm]:
    """LIFT_RMS_THRESHOLD (mm/s) and LIFT_RMS_HYSTERESIS: alert above the one, clear below their difference."""
    return [ThresholdAlarm("vibration_rms",
                           env_float(environ, "LIFT_RMS_THRESHOLD", DEFAULT_RMS_THRESHOLD),
                           env_float(environ, "LIFT_RMS_HYSTERESIS", DEFAULT_RMS_HYSTERESIS, minimum=0),
                           unit=spec.bindings["vibration_rms"].unit)]


DEFINITION = StackDefinition(
    name="lift",
    spec_path=Path(__file__).with_name("twin.yaml"),
    model=lambda seed, _env: LiftModel(seed),
    signals=LIFT_SIGNALS,
    alarms=rms_alarm,
    ui_port_env="LIFT_UI_PORT",
    default_ui_port=3001,
)
