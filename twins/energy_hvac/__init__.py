"""The energy/HVAC twin stack (`python -m twins.energy_hvac`); see README.md in this folder."""

from twins.energy_hvac.model import ENERGY_SIGNALS, HvacModel
from twins.energy_hvac.stack import DEFINITION, power_alarm

__all__ = ["DEFINITION", "ENERGY_SIGNALS", "HvacModel", "power_alarm"]
