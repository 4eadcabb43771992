"""`@context`: which DTDL version and extensions are in force, and what each term means.

DTDL is JSON-LD with a fixed context: a term such as `schema` or `Temperature` means a
DTMI (`dtmi:dtdl:property:schema;3`), and either spelling may be written. An element
may name a context the parser does not know (an undefined extension); its terms are
then undefined, which the undefined-extension rules decide on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import metamodel as mm
from . import units
from .extensions import EXTENSIONS, cotype_iri, property_iri

DTDL_CONTEXT = re.compile(r"^dtmi:dtdl:context;([0-9]+)$")
QUANTITATIVE = "dtmi:dtdl:extension:quantitativeTypes;1"
#: abstract classes a model may name but never use as a type
_ABSTRACT = {
    3: ("AdjunctType", "Alias", "LatentType", "NamedLatentType", "SemanticType", "SemanticUnit", "Unit", "UnitAttribute"),
    2: ("SemanticType", "SemanticUnit", "Unit", "UnitAttribute", "QuantitativeType"),
}
IOTCENTRAL = "dtmi:iotcentral:context;2"
#: IoT Central's DTDL v2 extension: semantic type -> (unit type or None, what its schema must be)
IOTCENTRAL_SEMANTIC: dict[str, tuple[str | None, str]] = {
    "State": (None, "enum"), "Event": (None, "numeric-or-string"), "Location": (None, "geospatial"),
    "VelocityVector": ("VelocityUnit", "vector"), "AccelerationVector": ("AccelerationUnit", "vector"),
}  # fmt: skip
IOTCENTRAL_SCHEMAS = ("vector", "geopoint")
_TERM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QT = "dtmi:dtdl:extension:quantitativeTypes:v1:"


@dataclass(frozen=True)
class Context:
    """The context in force for one element."""

    version: int
    extensions: frozenset[str] = frozenset()
    has_undefined: bool = False  # names a context this parser does not define


@dataclass(frozen=True)
class Term:
    """What a term or DTMI names: ("class"|"property"|"instance"|"semantic"|"unit"|"unitprop"|"feature", name)."""

    kind: str
    name: str


def is_term(text: str) -> bool:
    return bool(_TERM.match(text))


def _quantitative(version: int, terms: dict[str, Term], dtmis: dict[str, Term]) -> None:
    """The semantic types, unit types and units (built into v2, quantitativeTypes;1 in v3)."""
    for name in units.semantic_types(version):
        terms[name] = Term("semantic", name)
        dtmis[f"dtmi:standard:class:{name};2" if version == 2 else f"{_QT}class:{name}"] = terms[name]
    for alias in units.UNIT_TYPE_ALIASES:
        terms[alias] = Term("class", alias)
    for unit_type, members in units.UNIT_TYPES.items():
        terms[unit_type] = Term("class", unit_type)
        for unit in members:
            if version == 2 and unit in units.V3_ONLY_UNITS:
                continue
            terms[unit] = Term("unit", unit)
            dtmis[f"dtmi:standard:unit:{unit};2" if version == 2 else f"{_QT}unit:{unit}"] = terms[unit]
    terms["unit"] = Term("unitprop", "unit")
    dtmis["dtmi:dtdl:property:unit;2" if version == 2 else f"{_QT}property:unit"] = terms["unit"]


@lru_cache(maxsize=64)
def _vocabulary(version: int, extensions: frozenset[str]) -> tuple[dict[str, Term], dict[str, Term]]:
    """(terms, dtmis) for a version and set of extensions."""
    terms: dict[str, Term] = {}
    dtmis: dict[str, Term] = {}
    for name in mm.CLASSES[version]:
        terms[name] = Term("class", name)
        dtmis[mm.class_iri(version, name)] = Term("class", name)
    props = {p for k in mm.CLASSES[version].values() for p in k.props} | {"aliasFor", "exponent", "symbol"}
    for name in props:
        terms[name] = Term("property", name)
        dtmis[mm.property_iri(version, name)] = Term("property", name)
    for name in mm.PRIMITIVE_SCHEMAS:
        terms[name] = Term("instance", name)
        dtmis[f"dtmi:dtdl:instance:Schema:{name};{version}"] = Term("instance", name)
    for name in mm.GEOSPATIAL:
        terms[name] = Term("instance", name)
        dtmis[f"dtmi:standard:schema:geospatial:{name};{version}"] = Term("instance", name)
    for name in mm.COMMAND_TYPES:
        terms[name] = Term("instance", name)
        dtmis[f"dtmi:dtdl:instance:CommandType:{name};{version}"] = Term("instance", name)
    if version == 2 or QUANTITATIVE in extensions:
        _quantitative(version, terms, dtmis)
    if IOTCENTRAL in extensions:
        for name in IOTCENTRAL_SEMANTIC:
            terms[name] = Term("semantic", name)
            dtmis[f"dtmi:iotcentral:class:{name};2"] = terms[name]
        for name in IOTCENTRAL_SCHEMAS:
            terms[name] = Term("instance", name)
            dtmis[f"dtmi:iotcentral:schema:{name};2"] = terms[name]
        terms.setdefault("unit", Term("unitprop", "unit"))
    for ext in sorted(extensions):
        for cotype, feature in EXTENSIONS.get(ext, {}).items():
            terms[cotype] = dtmis[cotype_iri(ext, cotype)] = Term("feature", cotype)
            for prop in feature.props:
                terms[prop] = dtmis[property_iri(ext, cotype, prop)] = Term("featureprop", prop)
    for name in _ABSTRACT.get(version, ()):
        terms.setdefault(name, Term("class", name))
    return terms, dtmis


def expand(ctx: Context, text: str) -> str | None:
    """The DTMI a term stands for in this context (JSON-LD's @vocab expansion), or None."""
    terms, dtmis = _vocabulary(ctx.version, ctx.extensions)
    term = terms.get(text)
    return next((dtmi for dtmi, meaning in dtmis.items() if meaning == term), None) if term else None


def lookup(ctx: Context, text: str) -> Term | None:
    """What `text` (a term or a DTMI) means in this context, or None if undefined."""
    terms, dtmis = _vocabulary(ctx.version, ctx.extensions)
    return terms.get(text) if is_term(text) else dtmis.get(text)


def read_context(
    value: object, parent: Context | None, allow_undefined: bool | None = False
) -> tuple[Context | None, list[str]]:
    """Process an `@context` value; return the new context (None if unusable) and error messages.

    `allow_undefined` None means DTDL's own default for the version: v2 allows contexts it
    does not define, v3 does not.
    """
    items = value if isinstance(value, list) else [value]
    errors: list[str] = []
    version = parent.version if parent else None
    extensions = set(parent.extensions) if parent else set()
    undefined = parent.has_undefined if parent else False
    pending: list[str] = []  # contexts nobody defines: allowed or not once the version is known
    for index, item in enumerate(items):
        if not isinstance(item, str):
            errors.append("@context values must be strings naming a context (DTMIs); local term definitions are not allowed")
            continue
        dtdl = DTDL_CONTEXT.match(item)
        before = [i for i in items[:index] if isinstance(i, str)]
        iotcentral_first = all(i == IOTCENTRAL for i in before)  # it implies DTDL v2, so it may lead
        if dtdl and any(not DTDL_CONTEXT.match(i) for i in before) and not iotcentral_first:
            errors.append(f"'{item}' must come before every other context")
        if dtdl:
            number = int(dtdl.group(1))
            if number not in (2, 3):
                errors.append(f"DTDL version {number} is not supported; use 'dtmi:dtdl:context;3' (or ';2')")
            elif parent is not None and number > parent.version:
                errors.append(f"a DTDL v{parent.version} element cannot contain a v{number} element")
            else:
                version = number
            continue
        if not re.match(r"^dtmi:[A-Za-z][A-Za-z0-9_:]*;[1-9][0-9]*(?:\.[1-9][0-9]*)?$", item) or not re.match(mm.DTMI_PATTERN[3], item):
            errors.append(f"'{item}' is not a valid context: a context is a DTMI with a version, such as '{QUANTITATIVE}'")
            continue
        if item == QUANTITATIVE or item in EXTENSIONS:
            extensions.add(item)
        elif item == IOTCENTRAL and (version == 2 or (version is None and parent is None)):
            extensions.add(item)
        elif item.startswith("dtmi:dtdl:") and not item.startswith("dtmi:dtdl:extension:"):
            errors.append(f"'{item}' is not a context that DTDL defines")
        else:
            pending.append(item)
    if version is not None and pending:
        if allow_undefined or (allow_undefined is None and version == 2):
            undefined = True
        else:
            errors.extend(
                f"'{item}' is not a context that DTDL defines" if item.startswith("dtmi:dtdl:") else
                f"the context '{item}' is not defined here; parse with allow_undefined_extensions to accept it"
                for item in pending
            )  # fmt: skip
    if version is None:
        errors.append("the @context must start with the DTDL context 'dtmi:dtdl:context;3' (or ';2')")
        return None, errors
    if version == 2 and extensions - {IOTCENTRAL}:
        errors.append("DTDL v2 has no extension contexts (its semantic types are built in); use 'dtmi:dtdl:context;3'")
    return Context(version, frozenset(extensions), undefined), errors
