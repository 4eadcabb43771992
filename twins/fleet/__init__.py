"""A fleet of 15 simulated machine types (`python -m twins.fleet generate|run`); see README.md here."""

from twins.fleet.catalog import MACHINE_TYPES, MachineType, SignalModel, machine_type
from twins.fleet.faults import FAULT_KINDS
from twins.fleet.generate import generate_fleet
from twins.fleet.run import FleetRunner, load_fleet, simulate

__all__ = ["FAULT_KINDS", "MACHINE_TYPES", "FleetRunner", "MachineType", "SignalModel", "generate_fleet",
           "load_fleet", "machine_type", "simulate"]
