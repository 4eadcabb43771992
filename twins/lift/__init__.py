"""The lift twin stack (`python -m twins.lift`); see README.md in this folder."""

from twins.lift.model import LIFT_SIGNALS, LiftModel
from twins.lift.stack import DEFINITION, rms_alarm

__all__ = ["DEFINITION", "LIFT_SIGNALS", "LiftModel", "rms_alarm"]
