"""The room temperature sensor's simulator (`python -m twins.room_sensor`); see README.md in this folder."""

from twins.room_sensor.model import ROOM_SIGNAL, RoomTemperatureModel
from twins.room_sensor.stack import DEFINITION, apply_env_overrides

__all__ = ["DEFINITION", "ROOM_SIGNAL", "RoomTemperatureModel", "apply_env_overrides"]
