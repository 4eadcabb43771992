"""The room sensor: one temperature, with MQTT_TOPIC, SIM_SIGNAL_NAME and SIM_SIGNAL_UNIT from the environment."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from twins.common.runner import StackDefinition
from twins.common.stackspec import StackSpec
from twins.room_sensor.model import ROOM_SIGNAL, RoomTemperatureModel

__all__ = ["DEFINITION", "apply_env_overrides"]

log = logging.getLogger("twins.room_sensor")


def apply_env_overrides(spec: StackSpec, environ: Mapping[str, str]) -> StackSpec:
    """The topic and signal name/unit default to the twin.yaml; the environment may rename them.

    A topic the twin.yaml does not declare still gets published (the sensor
    might be reused elsewhere) but the ingest cannot place it, so say so.
    """
    topic = environ.get("MQTT_TOPIC", "").strip() or None
    name = environ.get("SIM_SIGNAL_NAME", "").strip() or None
    unit = environ.get("SIM_SIGNAL_UNIT", "").strip() or None
    if topic and topic not in {s.topic for s in spec.twin.streams}:
        log.warning("MQTT_TOPIC %r is not declared in %s; the registry will not know these messages", topic,
                    spec.path)
    return spec.with_override(ROOM_SIGNAL, topic=topic, name=name, unit=unit)


DEFINITION = StackDefinition(
    name="room_sensor",
    spec_path=Path(__file__).with_name("twin.yaml"),
    model=lambda seed, _env: RoomTemperatureModel(seed),
    signals=(ROOM_SIGNAL,),
    customize=apply_env_overrides,
)
