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

#: unit -> its symbol as the DTDL quantitative types give it (e.g. "kilogram" -> "kg")
UNIT_SYMBOLS: dict[str, str] = {
    'acre': 'ac',
    'ampere': 'A',
    'ampereHour': 'Ah',
    'astronomicalUnit': 'AU',
    'bar': 'bar',
    'becquerel': 'Bq',
    'bel': 'B',
    'bit': 'bit',
    'bitPerSecond': 'bps',
    'britishThermalUnit': 'BTU',
    'britishThermalUnitPerHour': 'BTU/h',
    'byte': 'B',
    'bytePerSecond': 'Bps',
    'candela': 'cd',
    'candelaPerSquareMetre': 'cd/m²',
    'centimetre': 'cm',
    'centimetrePerSecond': 'cm/s',
    'centimetrePerSecondSquared': 'cm/s²',
    'coulomb': 'C',
    'cubicCentimetre': 'cm³',
    'cubicFoot': 'ft³',
    'cubicFootPerMinute': 'ft³/min',
    'cubicInch': 'in³',
    'cubicMetre': 'm³',
    'cubicMetrePerHour': 'ft³/h',
    'cubicMetrePerMinute': 'ft³/min',
    'cubicMetrePerSecond': 'ft³/s',
    'day': 'd',
    'decapascal': 'daPa',
    'decibel': 'dB',
    'degreeCelsius': '°C',
    'degreeFahrenheit': '°F',
    'degreeOfArc': '°',
    'degreePerSecond': '°/s',
    'electronvolt': 'eV',
    'exbibit': 'Eibit',
    'exbibitPerSecond': 'Eibps',
    'exbibyte': 'EiB',
    'exbibytePerSecond': 'EiBps',
    'farad': 'F',
    'fluidOunce': 'fl oz',
    'foot': 'ft',
    'footcandle': 'fc',
    'gForce': 'g',
    'gallon': 'gal',
    'gallonPerHour': 'gal/h',
    'gallonPerMinute': 'gal/min',
    'gauss': 'G',
    'gibibit': 'Gibit',
    'gibibitPerSecond': 'Gibps',
    'gibibyte': 'GiB',
    'gibibytePerSecond': 'GiBps',
    'gigabecquerel': 'GBq',
    'gigahertz': 'GHz',
    'gigajoule': 'GJ',
    'gigajoulePerHour': 'GJ/h',
    'gigavoltAmpere': 'GVA',
    'gigavoltAmpereHour': 'GVAh',
    'gigavoltAmpereReactive': 'Gvar',
    'gigavoltAmpereReactiveHour': 'Gvarh',
    'gigawatt': 'GW',
    'gigawattHour': 'GWh',
    'gram': 'g',
    'gramPerCubicMetre': 'g/m³',
    'gramPerHour': 'g/h',
    'gramPerSecond': 'g/s',
    'gray': 'Gy',
    'hectare': 'ha',
    'hectopascal': 'hPa',
    'henry': 'H',
    'hertz': 'Hz',
    'horsepower': 'hp',
    'hour': 'h',
    'inch': 'in',
    'inchesOfMercury': 'inHg',
    'inchesOfWater': 'inH2O',
    'joule': 'J',
    'joulePerHour': 'J/h',
    'joulePerSecond': 'J/s',
    'kelvin': 'K',
    'kibibit': 'Kibit',
    'kibibitPerSecond': 'Kibps',
    'kibibyte': 'KiB',
    'kibibytePerSecond': 'KiBps',
    'kiloBritishThermalUnit': 'kBTU',
    'kiloBritishThermalUnitPerHour': 'kBTU/h',
    'kiloampere': 'kA',
    'kilobecquerel': 'kBq',
    'kilogram': 'kg',
    'kilogramPerCubicMetre': 'kg/m³',
    'kilogramPerHour': 'kg/h',
    'kilogramPerSecond': 'kg/s',
    'kilohertz': 'kHz',
    'kilojoule': 'kJ',
    'kilojoulePerHour': 'kJ/h',
    'kilojoulePerSecond': 'kJ/s',
    'kilometre': 'km',
    'kilometrePerHour': 'km/h',
    'kilometrePerSecond': 'km/s',
    'kiloohm': 'kΩ',
    'kilopascal': 'kPa',
    'kilovolt': 'kV',
    'kilovoltAmpere': 'kVA',
    'kilovoltAmpereHour': 'kVAh',
    'kilovoltAmpereReactive': 'kvar',
    'kilovoltAmpereReactiveHour': 'kvarh',
    'kilowatt': 'kW',
    'kilowattHour': 'kWh',
    'kilowattHourPerYear': 'kWh/yr',
    'knot': 'kn',
    'litre': 'l',
    'litrePerHour': 'l/h',
    'litrePerMinute': 'l/min',
    'litrePerSecond': 'l/s',
    'lumen': 'lm',
    'lux': 'lx',
    'massPound': 'lb',
    'massPoundPerHour': 'lb/h',
    'maxwell': 'Mx',
    'mebibit': 'Mibit',
    'mebibitPerSecond': 'Mibps',
    'mebibyte': 'MiB',
    'mebibytePerSecond': 'MiBps',
    'megabecquerel': 'MBq',
    'megaelectronvolt': 'MeV',
    'megahertz': 'MHz',
    'megajoule': 'MJ',
    'megajoulePerHour': 'MJ/h',
    'megaohm': 'MΩ',
    'megavolt': 'MV',
    'megavoltAmpere': 'MVA',
    'megavoltAmpereHour': 'MVAh',
    'megavoltAmpereReactive': 'Mvar',
    'megavoltAmpereReactiveHour': 'Mvarh',
    'megawatt': 'MW',
    'megawattHour': 'MWh',
    'metre': 'm',
    'metrePerHour': 'm/h',
    'metrePerSecond': 'm/s',
    'metrePerSecondSquared': 'm/s²',
    'microampere': 'µA',
    'microfarad': 'µF',
    'microgram': 'µg',
    'microgramPerCubicMetre': 'µg/m³',
    'microgray': 'µGy',
    'microhenry': 'µH',
    'micrometre': 'µm',
    'microsecond': 'µs',
    'microsievert': 'µSv',
    'microvolt': 'µV',
    'microwatt': 'µW',
    'mile': 'mi',
    'milePerHour': 'mph',
    'milePerSecond': 'mi/s',
    'milliampere': 'mA',
    'milliampereHour': 'mAh',
    'millibar': 'mbar',
    'millifarad': 'mF',
    'milligram': 'mg',
    'milligramPerCubicMetre': 'mg/m³',
    'milligray': 'mGy',
    'millihenry': 'mH',
    'millihertz': 'mHz',
    'millilitre': 'ml',
    'millilitrePerHour': 'ml/h',
    'millilitrePerMinute': 'ml/min',
    'millilitrePerSecond': 'ml/s',
    'millimetre': 'mm',
    'millimetresOfMercury': 'mmHg',
    'milliohm': 'mΩ',
    'millisecond': 'ms',
    'millisievert': 'mSv',
    'millivolt': 'mV',
    'millivoltAmpere': 'mVA',
    'millivoltAmpereReactive': 'mvar',
    'milliwatt': 'mW',
    'milliwattHour': 'mWh',
    'minute': 'm',
    'minuteOfArc': "'",
    'nanofarad': 'nF',
    'nanometre': 'nm',
    'nanosecond': 'ns',
    'nauticalMile': 'M',
    'newton': 'N',
    'newtonMetre': 'N m',
    'ohm': 'Ω',
    'ounce': 'oz',
    'partsPerBillion': 'ppb',
    'partsPerMillion': 'ppm',
    'partsPerQuadrillion': 'ppq',
    'partsPerTrillion': 'ppt',
    'pascal': 'Pa',
    'percent': '%',
    'picofarad': 'pF',
    'pound': 'lb',
    'poundPerSquareInch': 'psi',
    'radian': 'rad',
    'radianPerSecond': 'rad/s',
    'radianPerSecondSquared': 'rad/s²',
    'revolutionPerMinute': 'rpm',
    'revolutionPerSecond': 'rps',
    'second': 's',
    'secondOfArc': '"',
    'sievert': 'Sv',
    'slug': 'slug',
    'squareCentimetre': 'cm²',
    'squareFoot': 'ft²',
    'squareInch': 'in²',
    'squareKilometre': 'km²',
    'squareMetre': 'm²',
    'squareMillimetre': 'mm²',
    'tebibit': 'Tibit',
    'tebibitPerSecond': 'Tibps',
    'tebibyte': 'TiB',
    'tebibytePerSecond': 'TiBps',
    'terawattHour': 'TWh',
    'tesla': 'T',
    'ton': 'T',
    'tonOfRefrigeration': 'TR',
    'tonne': 't',
    'turn': 'turn',
    'unity': '',
    'volt': 'V',
    'voltAmpere': 'VA',
    'voltAmpereHour': 'VAh',
    'voltAmpereReactive': 'var',
    'voltAmpereReactiveHour': 'varh',
    'watt': 'W',
    'wattHour': 'Wh',
    'wattPerSquareMetre': 'W/m²',
    'weber': 'Wb',
    'year': 'yr',
    'yobibit': 'Yibit',
    'yobibitPerSecond': 'Yibps',
    'yobibyte': 'YiB',
    'yobibytePerSecond': 'YiBps',
    'zebibit': 'Zibit',
    'zebibitPerSecond': 'Zibps',
    'zebibyte': 'ZiB',
    'zebibytePerSecond': 'ZiBps',
}


def unit_for_symbol(symbol: str, semantic_type: str | None = None) -> str | None:
    """The DTDL unit written as `symbol` ("kg", "°C", "m/s"), optionally within a semantic type.

    A twin spec writes units as symbols; this maps them onto DTDL's names so that a stream's
    unit can be compared with a Telemetry's. None when DTDL has no unit with that symbol.
    """
    wanted = symbol.strip()
    candidates = [u for u, s in UNIT_SYMBOLS.items() if s == wanted] or ([wanted] if wanted in UNIT_TO_TYPES else [])
    if semantic_type is not None:
        candidates = [u for u in candidates if u in units_for(semantic_type)]
    return candidates[0] if candidates else None
