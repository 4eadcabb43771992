"""The fleet's 15 machine types: their signals, units, nominal values, noise, drift and limits.

Figures are typical of mid-size industrial equipment (a 55 kW centrifugal
pump, a 75 kW screw compressor, a 45 MW gas turbine, ...). Each signal is
simulated as nominal + a mean-reverting wander (`wander`, in units of the
signal, the operating point moving) + slow wear drift (`drift_per_hour`,
towards the direction a worn machine moves) + white noise (`noise`), clamped
to the physical `low`..`high`. Faults (twins/fleet/faults.py) come on top.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MACHINE_TYPES", "MachineType", "SignalModel", "machine_type"]


@dataclass(frozen=True)
class SignalModel:
    name: str
    unit: str
    nominal: float
    noise: float
    low: float
    high: float
    wander: float = 0.0
    drift_per_hour: float = 0.0
    decimals: int = 2


@dataclass(frozen=True)
class MachineType:
    key: str
    label: str
    description: str
    signals: tuple[SignalModel, ...]

    def signal(self, name: str) -> SignalModel | None:
        return next((s for s in self.signals if s.name == name), None)


S = SignalModel
MACHINE_TYPES: tuple[MachineType, ...] = (
    MachineType("pump", "Pump", "Centrifugal water pump, 55 kW", (
        S("flow_rate", "m3/h", 120.0, 1.5, 0, 200, wander=4.0, drift_per_hour=-0.05, decimals=1),
        S("discharge_pressure", "bar", 6.5, 0.08, 0, 16, wander=0.2),
        S("vibration_rms", "mm/s", 2.8, 0.25, 0, 45, drift_per_hour=0.004),
        S("motor_current", "A", 96.0, 1.2, 0, 160, wander=3.0, decimals=1),
        S("bearing_temp", "C", 55.0, 0.4, -20, 150, wander=1.0, drift_per_hour=0.01, decimals=1))),
    MachineType("compressor", "Compressor", "Oil-injected screw air compressor, 75 kW", (
        S("discharge_pressure", "bar", 8.0, 0.06, 0, 15, wander=0.15),
        S("discharge_temp", "C", 85.0, 0.8, -20, 130, wander=2.0, drift_per_hour=0.01, decimals=1),
        S("power", "kW", 72.0, 1.5, 0, 110, wander=4.0, decimals=1),
        S("vibration_rms", "mm/s", 3.5, 0.3, 0, 45, drift_per_hour=0.003),
        S("oil_temp", "C", 62.0, 0.5, -20, 120, wander=1.5, decimals=1))),
    MachineType("motor", "Motor", "Induction motor, 4-pole, 37 kW", (
        S("speed", "rpm", 1478.0, 2.5, 0, 1800, wander=3.0, decimals=0),
        S("current", "A", 66.0, 0.8, 0, 120, wander=4.0, decimals=1),
        S("winding_temp", "C", 78.0, 0.6, -20, 180, wander=2.0, drift_per_hour=0.01, decimals=1),
        S("vibration_rms", "mm/s", 1.8, 0.2, 0, 45, drift_per_hour=0.002),
        S("power_factor", "1", 0.86, 0.006, 0, 1, wander=0.01, decimals=3))),
    MachineType("conveyor", "Conveyor", "Belt conveyor, 800 mm belt, 120 m", (
        S("belt_speed", "m/s", 2.0, 0.015, 0, 4, wander=0.02, decimals=3),
        S("motor_current", "A", 38.0, 0.8, 0, 90, wander=3.0, decimals=1),
        S("load_rate", "t/h", 350.0, 12.0, 0, 600, wander=40.0, decimals=0),
        S("belt_tension", "kN", 12.0, 0.25, 0, 40, drift_per_hour=-0.002))),
    MachineType("fan", "Fan", "Centrifugal supply-air fan, 18.5 kW", (
        S("airflow", "m3/h", 25000.0, 300.0, 0, 40000, wander=800.0, decimals=0),
        S("speed", "rpm", 980.0, 3.0, 0, 1500, wander=10.0, decimals=0),
        S("vibration_rms", "mm/s", 2.2, 0.22, 0, 45, drift_per_hour=0.003),
        S("static_pressure", "Pa", 850.0, 12.0, 0, 2000, wander=30.0, drift_per_hour=0.05, decimals=0),
        S("power", "kW", 16.5, 0.3, 0, 25, wander=0.8, decimals=2))),
    MachineType("boiler", "Boiler", "Fire-tube steam boiler, 8 t/h", (
        S("steam_pressure", "bar", 10.0, 0.12, 0, 16, wander=0.3),
        S("water_level", "%", 50.0, 1.2, 0, 100, wander=3.0, decimals=1),
        S("flue_gas_temp", "C", 180.0, 1.5, 0, 400, wander=4.0, drift_per_hour=0.02, decimals=1),
        S("fuel_flow", "m3/h", 610.0, 8.0, 0, 1000, wander=30.0, decimals=0),
        S("o2_percent", "%", 3.5, 0.12, 0, 21, wander=0.3))),
    MachineType("chiller", "Chiller", "Water-cooled centrifugal chiller, 1800 kW cooling", (
        S("chw_supply_temp", "C", 6.7, 0.08, -5, 20, wander=0.2),
        S("chw_return_temp", "C", 12.2, 0.12, -5, 25, wander=0.5),
        S("power", "kW", 320.0, 5.0, 0, 500, wander=25.0, decimals=1),
        S("cop", "1", 5.6, 0.08, 0, 10, wander=0.2, drift_per_hour=-0.0005),
        S("condenser_pressure", "bar", 9.5, 0.08, 0, 20, wander=0.3, drift_per_hour=0.0005))),
    MachineType("turbine", "Turbine", "Industrial gas turbine, 45 MW", (
        S("speed", "rpm", 3000.0, 1.5, 0, 3300, wander=2.0, decimals=1),
        S("power_output", "MW", 45.0, 0.35, 0, 50, wander=2.0),
        S("exhaust_temp", "C", 540.0, 2.5, 0, 650, wander=5.0, drift_per_hour=0.02, decimals=1),
        S("vibration_rms", "mm/s", 4.0, 0.3, 0, 45, drift_per_hour=0.002),
        S("inlet_pressure", "bar", 17.0, 0.12, 0, 25, wander=0.4))),
    MachineType("generator", "Generator", "Synchronous generator, 11 kV, 50 MVA", (
        S("voltage", "V", 11000.0, 25.0, 0, 12500, wander=40.0, decimals=0),
        S("current", "A", 2360.0, 20.0, 0, 2800, wander=90.0, decimals=0),
        S("frequency", "Hz", 50.0, 0.015, 45, 55, wander=0.03, decimals=3),
        S("stator_temp", "C", 85.0, 0.6, -20, 155, wander=2.0, drift_per_hour=0.01, decimals=1),
        S("power_output", "MW", 44.0, 0.35, 0, 50, wander=2.0))),
    MachineType("cnc_mill", "CNC mill", "5-axis machining centre", (
        S("spindle_speed", "rpm", 12000.0, 30.0, 0, 20000, wander=400.0, decimals=0),
        S("spindle_load", "%", 45.0, 2.5, 0, 150, wander=8.0, drift_per_hour=0.02, decimals=1),
        S("coolant_temp", "C", 24.0, 0.2, 0, 60, wander=0.8, decimals=1),
        S("vibration_rms", "mm/s", 1.2, 0.12, 0, 45, drift_per_hour=0.003),
        S("axis_position_error", "um", 4.0, 0.5, 0, 100, drift_per_hour=0.005, decimals=1))),
    MachineType("lathe", "Lathe", "CNC turning centre", (
        S("spindle_speed", "rpm", 2200.0, 8.0, 0, 4500, wander=120.0, decimals=0),
        S("cutting_force", "N", 1800.0, 50.0, 0, 6000, wander=150.0, drift_per_hour=0.5, decimals=0),
        S("tool_temp", "C", 420.0, 6.0, 0, 900, wander=20.0, drift_per_hour=0.1, decimals=0),
        S("vibration_rms", "mm/s", 1.5, 0.15, 0, 45, drift_per_hour=0.003),
        S("coolant_flow", "L/min", 20.0, 0.3, 0, 40, wander=0.5, decimals=1))),
    MachineType("press", "Press", "Hydraulic stamping press, 400 t", (
        S("tonnage", "t", 380.0, 6.0, 0, 450, wander=10.0, decimals=0),
        S("stroke_rate", "spm", 30.0, 0.25, 0, 60, wander=1.0, decimals=1),
        S("hydraulic_pressure", "bar", 210.0, 1.8, 0, 350, wander=5.0, decimals=1),
        S("oil_temp", "C", 48.0, 0.4, -20, 90, wander=1.5, drift_per_hour=0.01, decimals=1),
        S("die_temp", "C", 65.0, 0.6, -20, 200, wander=3.0, decimals=1))),
    MachineType("robot_arm", "Robot arm", "6-axis industrial robot, 20 kg payload", (
        S("joint_torque", "Nm", 120.0, 4.0, 0, 400, wander=10.0, drift_per_hour=0.02, decimals=1),
        S("cycle_time", "s", 12.0, 0.15, 0, 60, wander=0.3, drift_per_hour=0.001),
        S("position_error", "mm", 0.05, 0.006, 0, 5, drift_per_hour=0.00005, decimals=3),
        S("motor_temp", "C", 55.0, 0.5, -20, 120, wander=2.0, decimals=1),
        S("current", "A", 8.0, 0.25, 0, 30, wander=0.8))),
    MachineType("mixer", "Mixer", "Batch mixer with anchor agitator, 5 m3", (
        S("agitator_speed", "rpm", 60.0, 0.6, 0, 120, wander=2.0, decimals=1),
        S("torque", "Nm", 850.0, 20.0, 0, 2000, wander=80.0, decimals=0),
        S("batch_temp", "C", 45.0, 0.3, 0, 120, wander=2.0, decimals=1),
        S("viscosity", "cP", 3500.0, 90.0, 0, 20000, wander=400.0, decimals=0),
        S("motor_current", "A", 22.0, 0.4, 0, 60, wander=1.5, decimals=1))),
    MachineType("extruder", "Extruder", "Single-screw plastics extruder, 90 mm", (
        S("barrel_temp", "C", 220.0, 0.8, 0, 350, wander=2.0, decimals=1),
        S("melt_pressure", "bar", 180.0, 2.5, 0, 400, wander=8.0, drift_per_hour=0.05, decimals=1),
        S("screw_speed", "rpm", 90.0, 0.5, 0, 150, wander=3.0, decimals=1),
        S("motor_load", "%", 70.0, 1.5, 0, 120, wander=4.0, decimals=1),
        S("throughput", "kg/h", 450.0, 6.0, 0, 800, wander=20.0, decimals=0))),
)
del S

_BY_KEY = {t.key: t for t in MACHINE_TYPES}


def machine_type(key: str) -> MachineType | None:
    return _BY_KEY.get(key)
