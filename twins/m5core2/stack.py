"""The M5Core2 device twin's simulated publisher (no UI: the device has its own screen)."""

from __future__ import annotations

from pathlib import Path

from twins.common.runner import StackDefinition
from twins.m5core2.model import M5_SIGNALS, M5Core2Model

__all__ = ["DEFINITION"]

DEFINITION = StackDefinition(
    name="m5core2",
    spec_path=Path(__file__).with_name("twin.yaml"),
    model=lambda seed, _env: M5Core2Model(seed),
    signals=M5_SIGNALS,
)
