"""DTDL semantic types and units: which unit belongs to which semantic type.

The names are the vocabulary of the DTDL quantitative types (DTDL v3 extension
`dtmi:dtdl:extension:quantitativeTypes;1`, built into the DTDL v2 context), as listed
in DTDL.quantitativeTypes.v1.md and DTDL.v2.md of Azure/opendigitaltwins-dtdl.
A twin that declares a unit can be checked against a Telemetry's semantic type with
`unit_fits(semantic_type, unit)`.
"""

from __future__ import annotations

#: semantic type (co-type of a Telemetry, Property or Field) -> the unit type its `unit` must come from
SEMANTIC_TYPES: dict[str, str] = {
    'Acceleration': 'AccelerationUnit',
    'Angle': 'AngleUnit',
    'AngularAcceleration': 'AngularAccelerationUnit',
    'AngularVelocity': 'AngularVelocityUnit',
    'ApparentEnergy': 'ApparentEnergyUnit',
    'ApparentPower': 'ApparentPowerUnit',
    'Area': 'AreaUnit',
    'Capacitance': 'CapacitanceUnit',
    'Concentration': 'Unitless',
    'Current': 'CurrentUnit',
    'DataRate': 'DataRateUnit',
    'DataSize': 'DataSizeUnit',
    'Density': 'DensityUnit',
    'Distance': 'LengthUnit',
    'ElectricCharge': 'ChargeUnit',
    'Energy': 'EnergyUnit',
    'EnergyRate': 'PowerUnit',
    'Force': 'ForceUnit',
    'Frequency': 'FrequencyUnit',
    'Humidity': 'DensityUnit',
    'Illuminance': 'IlluminanceUnit',
    'Inductance': 'InductanceUnit',
    'IonizingRadiationDose': 'IonizingRadiationDoseUnit',
    'Irradiance': 'IrradianceUnit',
    'Latitude': 'AngleUnit',
    'Length': 'LengthUnit',
    'Longitude': 'AngleUnit',
    'Luminance': 'LuminanceUnit',
    'Luminosity': 'PowerUnit',
    'LuminousFlux': 'LuminousFluxUnit',
    'LuminousIntensity': 'LuminousIntensityUnit',
    'MagneticFlux': 'MagneticFluxUnit',
    'MagneticInduction': 'MagneticInductionUnit',
    'Mass': 'MassUnit',
    'MassFlowRate': 'MassFlowRateUnit',
    'Power': 'PowerUnit',
    'Pressure': 'PressureUnit',
    'Radioactivity': 'RadioactivityUnit',
    'ReactiveEnergy': 'ReactiveEnergyUnit',
    'ReactivePower': 'ReactivePowerUnit',
    'RelativeDensity': 'Unitless',
    'RelativeHumidity': 'Unitless',
    'Resistance': 'ResistanceUnit',
    'SoundPressure': 'SoundPressureUnit',
    'Temperature': 'TemperatureUnit',
    'Thrust': 'ForceUnit',
    'TimeSpan': 'TimeUnit',
    'Torque': 'TorqueUnit',
    'Velocity': 'VelocityUnit',
    'Voltage': 'VoltageUnit',
    'Volume': 'VolumeUnit',
    'VolumeFlowRate': 'VolumeFlowRateUnit',
}

#: unit type -> its units
UNIT_TYPES: dict[str, tuple[str, ...]] = {
    'AccelerationUnit': (
        'metrePerSecondSquared', 'centimetrePerSecondSquared', 'gForce',
    ),
    'AngleUnit': (
        'radian', 'degreeOfArc', 'minuteOfArc', 'secondOfArc', 'turn',
    ),
    'AngularAccelerationUnit': (
        'radianPerSecondSquared',
    ),
    'AngularVelocityUnit': (
        'radianPerSecond', 'degreePerSecond', 'revolutionPerSecond', 'revolutionPerMinute',
    ),
    'ApparentEnergyUnit': (
        'voltAmpereHour', 'kilovoltAmpereHour', 'megavoltAmpereHour', 'gigavoltAmpereHour',
    ),
    'ApparentPowerUnit': (
        'voltAmpere', 'millivoltAmpere', 'kilovoltAmpere', 'megavoltAmpere', 'gigavoltAmpere',
    ),
    'AreaUnit': (
        'squareMetre', 'squareCentimetre', 'squareMillimetre', 'squareKilometre', 'hectare',
        'squareFoot', 'squareInch', 'acre',
    ),
    'CapacitanceUnit': (
        'farad', 'millifarad', 'microfarad', 'nanofarad', 'picofarad',
    ),
    'ChargeUnit': (
        'coulomb', 'ampereHour', 'milliampereHour',
    ),
    'CurrentUnit': (
        'ampere', 'microampere', 'milliampere', 'kiloampere',
    ),
    'DataRateUnit': (
        'bitPerSecond', 'kibibitPerSecond', 'mebibitPerSecond', 'gibibitPerSecond',
        'tebibitPerSecond', 'exbibitPerSecond', 'zebibitPerSecond', 'yobibitPerSecond',
        'bytePerSecond', 'kibibytePerSecond', 'mebibytePerSecond', 'gibibytePerSecond',
        'tebibytePerSecond', 'exbibytePerSecond', 'zebibytePerSecond', 'yobibytePerSecond',
    ),
    'DataSizeUnit': (
        'bit', 'kibibit', 'mebibit', 'gibibit', 'tebibit', 'exbibit', 'zebibit', 'yobibit', 'byte',
        'kibibyte', 'mebibyte', 'gibibyte', 'tebibyte', 'exbibyte', 'zebibyte', 'yobibyte',
    ),
    'DensityUnit': (
        'kilogramPerCubicMetre', 'gramPerCubicMetre', 'milligramPerCubicMetre',
        'microgramPerCubicMetre',
    ),
    'EnergyUnit': (
        'joule', 'kilojoule', 'megajoule', 'gigajoule', 'electronvolt', 'megaelectronvolt',
        'wattHour', 'milliwattHour', 'kilowattHour', 'megawattHour', 'gigawattHour', 'terawattHour',
        'britishThermalUnit', 'kiloBritishThermalUnit',
    ),
    'ForceUnit': (
        'newton', 'pound', 'ounce', 'ton',
    ),
    'FrequencyUnit': (
        'hertz', 'millihertz', 'kilohertz', 'megahertz', 'gigahertz',
    ),
    'IlluminanceUnit': (
        'lux', 'footcandle',
    ),
    'InductanceUnit': (
        'henry', 'millihenry', 'microhenry',
    ),
    'IonizingRadiationDoseUnit': (
        'gray', 'milligray', 'microgray', 'sievert', 'millisievert', 'microsievert',
    ),
    'IrradianceUnit': (
        'wattPerSquareMetre',
    ),
    'LengthUnit': (
        'metre', 'centimetre', 'millimetre', 'micrometre', 'nanometre', 'kilometre', 'foot', 'inch',
        'mile', 'nauticalMile', 'astronomicalUnit',
    ),
    'LuminanceUnit': (
        'candelaPerSquareMetre',
    ),
    'LuminousFluxUnit': (
        'lumen',
    ),
    'LuminousIntensityUnit': (
        'candela',
    ),
    'MagneticFluxUnit': (
        'weber', 'maxwell',
    ),
    'MagneticInductionUnit': (
        'tesla', 'gauss',
    ),
    'MassFlowRateUnit': (
        'gramPerSecond', 'kilogramPerSecond', 'gramPerHour', 'kilogramPerHour', 'massPoundPerHour',
    ),
    'MassUnit': (
        'kilogram', 'gram', 'milligram', 'microgram', 'tonne', 'slug', 'massPound',
    ),
    'PowerUnit': (
        'watt', 'microwatt', 'milliwatt', 'kilowatt', 'megawatt', 'gigawatt', 'horsepower',
        'joulePerSecond', 'kilojoulePerSecond', 'joulePerHour', 'kilojoulePerHour',
        'megajoulePerHour', 'gigajoulePerHour', 'britishThermalUnitPerHour',
        'kiloBritishThermalUnitPerHour', 'kilowattHourPerYear', 'tonOfRefrigeration',
    ),
    'PressureUnit': (
        'pascal', 'decapascal', 'hectopascal', 'kilopascal', 'bar', 'millibar',
        'millimetresOfMercury', 'poundPerSquareInch', 'inchesOfMercury', 'inchesOfWater',
    ),
    'RadioactivityUnit': (
        'becquerel', 'kilobecquerel', 'megabecquerel', 'gigabecquerel',
    ),
    'ReactiveEnergyUnit': (
        'voltAmpereReactiveHour', 'kilovoltAmpereReactiveHour', 'megavoltAmpereReactiveHour',
        'gigavoltAmpereReactiveHour',
    ),
    'ReactivePowerUnit': (
        'voltAmpereReactive', 'millivoltAmpereReactive', 'kilovoltAmpereReactive',
        'megavoltAmpereReactive', 'gigavoltAmpereReactive',
    ),
    'ResistanceUnit': (
        'ohm', 'milliohm', 'kiloohm', 'megaohm',
    ),
    'SoundPressureUnit': (
        'decibel', 'bel',
    ),
    'TemperatureUnit': (
        'kelvin', 'degreeCelsius', 'degreeFahrenheit',
    ),
    'TimeUnit': (
        'second', 'millisecond', 'microsecond', 'nanosecond', 'minute', 'hour', 'day', 'year',
    ),
    'TorqueUnit': (
        'newtonMetre',
    ),
    'Unitless': (
        'unity', 'percent', 'partsPerMillion', 'partsPerBillion', 'partsPerTrillion',
        'partsPerQuadrillion',
    ),
    'VelocityUnit': (
        'metrePerSecond', 'centimetrePerSecond', 'kilometrePerSecond', 'metrePerHour',
        'kilometrePerHour', 'milePerHour', 'milePerSecond', 'knot',
    ),
    'VoltageUnit': (
        'volt', 'millivolt', 'microvolt', 'kilovolt', 'megavolt',
    ),
    'VolumeFlowRateUnit': (
        'litrePerSecond', 'millilitrePerSecond', 'litrePerMinute', 'millilitrePerMinute',
        'litrePerHour', 'millilitrePerHour', 'gallonPerMinute', 'gallonPerHour',
        'cubicFootPerMinute', 'cubicMetrePerHour', 'cubicMetrePerMinute', 'cubicMetrePerSecond',
    ),
    'VolumeUnit': (
        'cubicMetre', 'cubicCentimetre', 'litre', 'millilitre', 'cubicFoot', 'cubicInch',
        'fluidOunce', 'gallon',
    ),
}

#: semantic types and units that DTDL v2 does not define (added by quantitativeTypes;1)
V3_ONLY_SEMANTIC_TYPES: frozenset[str] = frozenset(['ApparentEnergy', 'ApparentPower', 'Concentration', 'EnergyRate', 'IonizingRadiationDose', 'Irradiance', 'Radioactivity', 'ReactiveEnergy', 'ReactivePower', 'RelativeDensity'])
V3_ONLY_UNITS: frozenset[str] = frozenset(
    (
        'ampereHour', 'becquerel', 'britishThermalUnit', 'britishThermalUnitPerHour',
        'cubicFootPerMinute', 'cubicMetrePerHour', 'cubicMetrePerMinute', 'cubicMetrePerSecond',
        'decapascal', 'gallonPerHour', 'gallonPerMinute', 'gauss', 'gigabecquerel',
        'gigajoulePerHour', 'gigavoltAmpere', 'gigavoltAmpereHour', 'gigavoltAmpereReactive',
        'gigavoltAmpereReactiveHour', 'gigawattHour', 'gray', 'hectopascal', 'joulePerHour',
        'joulePerSecond', 'kiloBritishThermalUnit', 'kiloBritishThermalUnitPerHour', 'kiloampere',
        'kilobecquerel', 'kilojoulePerHour', 'kilojoulePerSecond', 'kilovoltAmpere',
        'kilovoltAmpereHour', 'kilovoltAmpereReactive', 'kilovoltAmpereReactiveHour',
        'litrePerMinute', 'massPound', 'massPoundPerHour', 'megabecquerel', 'megajoulePerHour',
        'megavoltAmpere', 'megavoltAmpereHour', 'megavoltAmpereReactive',
        'megavoltAmpereReactiveHour', 'megawattHour', 'microgramPerCubicMetre', 'microgray',
        'microsievert', 'milliampereHour', 'milligramPerCubicMetre', 'milligray', 'millihertz',
        'millilitrePerMinute', 'millisievert', 'millivoltAmpere', 'millivoltAmpereReactive',
        'milliwattHour', 'partsPerBillion', 'partsPerMillion', 'partsPerQuadrillion',
        'partsPerTrillion', 'sievert', 'terawattHour', 'tonOfRefrigeration', 'voltAmpere',
        'voltAmpereHour', 'voltAmpereReactive', 'voltAmpereReactiveHour', 'wattHour',
        'wattPerSquareMetre',
    )
)


#: unit -> the unit types that list it (a few units, e.g. `percent`, belong to several)
UNIT_TO_TYPES: dict[str, tuple[str, ...]] = {}
for _type, _units in UNIT_TYPES.items():
    for _unit in _units:
        UNIT_TO_TYPES[_unit] = UNIT_TO_TYPES.get(_unit, ()) + (_type,)


def semantic_types(version: int = 3) -> frozenset[str]:
    """The semantic types a model of this DTDL version may use as a co-type."""
    names = frozenset(SEMANTIC_TYPES)
    return names if version >= 3 else names - V3_ONLY_SEMANTIC_TYPES


def units_for(semantic_type: str, version: int = 3) -> tuple[str, ...]:
    """The units allowed with `semantic_type` (empty when it is not a semantic type)."""
    unit_type = SEMANTIC_TYPES.get(semantic_type)
    if unit_type is None or (version < 3 and semantic_type in V3_ONLY_SEMANTIC_TYPES):
        return ()
    units = UNIT_TYPES.get(unit_type, ())
    return units if version >= 3 else tuple(u for u in units if u not in V3_ONLY_UNITS)


def unit_fits(semantic_type: str | None, unit: str | None) -> bool:
    """Whether `unit` may describe a value of `semantic_type`.

    Without a semantic type any known unit fits; without a unit nothing can be compared,
    so it fits too (the caller decides whether a unit is required).
    """
    if unit is None:
        return True
    if semantic_type is None:
        return unit in UNIT_TO_TYPES
    return unit in units_for(semantic_type)


def is_unit(name: str) -> bool:
    """Whether `name` is a DTDL unit of any unit type."""
    return name in UNIT_TO_TYPES
