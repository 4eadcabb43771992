"""The M5Stack Core2 device twin's simulator (`python -m twins.m5core2`); see README.md in this folder."""

from twins.m5core2.model import M5_SIGNALS, M5Core2Model
from twins.m5core2.stack import DEFINITION

__all__ = ["DEFINITION", "M5_SIGNALS", "M5Core2Model"]
