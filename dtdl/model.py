"""The parsed model set: Interfaces, their contents and schemas, as plain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Schema:
    """A schema: a primitive (`kind` is its name, e.g. "double") or a complex one.

    Complex kinds are "Array" (`element`), "Enum" (`value_schema`, `values`: name -> value),
    "Map" (`key_name`, `value`), "Object" (`fields`: name -> Schema).
    """

    kind: str
    id: str | None = None
    element: Schema | None = None
    value_schema: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    key_name: str | None = None
    value: Schema | None = None
    fields: dict[str, Schema] = field(default_factory=dict)
    display_name: dict[str, str] = field(default_factory=dict)

    @property
    def primitive(self) -> bool:
        return self.kind not in ("Array", "Enum", "Map", "Object")

    def describe(self) -> str:
        """A short human form: `double`, `Array<double>`, `Map<string, Object>`."""
        if self.kind == "Array" and self.element:
            return f"Array<{self.element.describe()}>"
        if self.kind == "Map" and self.value:
            return f"Map<string, {self.value.describe()}>"
        if self.kind == "Enum":
            return f"Enum<{self.value_schema}>"
        return self.kind


@dataclass
class Content:
    """One item of an Interface's `contents`."""

    kind: str  # "Telemetry" | "Property" | "Command" | "Relationship" | "Component"
    name: str
    id: str | None = None
    schema: Schema | str | None = None  # Schema; for a Component, the DTMI of its Interface
    unit: str | None = None
    semantic_type: str | None = None
    target: str | None = None
    writable: bool = False
    display_name: str | None = None
    description: str | None = None
    comment: str | None = None
    min_multiplicity: int | None = None
    max_multiplicity: int | None = None
    request: Schema | None = None
    response: Schema | None = None
    co_types: list[str] = field(default_factory=list)
    defined_in: str | None = None  # the DTMI of the Interface that declares it


@dataclass
class Interface:
    """A DTDL Interface with its own contents; `all_contents()` adds those it inherits."""

    id: str
    version: int
    display_name: str | None = None
    description: str | None = None
    comment: str | None = None
    extends: list[str] = field(default_factory=list)
    contents: dict[str, Content] = field(default_factory=dict)
    schemas: list[Schema] = field(default_factory=list)
    source: Any = None  # the JSON object as written
    document: int = 0
    _model_set: ModelSet | None = field(default=None, repr=False, compare=False)

    def ancestors(self) -> list[str]:
        """Every Interface this one extends, directly or not, nearest first."""
        seen: list[str] = []
        queue = list(self.extends)
        while queue:
            dtmi = queue.pop(0)
            if dtmi in seen:
                continue
            seen.append(dtmi)
            parent = self._model_set.interfaces.get(dtmi) if self._model_set else None
            if parent:
                queue.extend(parent.extends)
        return seen

    def all_contents(self) -> dict[str, Content]:
        """Own contents plus those inherited through `extends` (names are unique across them)."""
        out: dict[str, Content] = {}
        for dtmi in reversed(self.ancestors()):
            parent = self._model_set.interfaces.get(dtmi) if self._model_set else None
            if parent:
                out.update(parent.contents)
        out.update(self.contents)
        return out

    @property
    def expanded_contents(self) -> dict[str, Content]:
        return self.all_contents()

    def is_a(self, dtmi: str) -> bool:
        """This Interface is `dtmi` or extends it (Azure's IS_OF_MODEL)."""
        return dtmi == self.id or dtmi in self.ancestors()


@dataclass
class ModelSet:
    """The result of `dtdl.parse`: Interfaces by DTMI, and the documents as given."""

    interfaces: dict[str, Interface] = field(default_factory=dict)
    documents: list[Any] = field(default_factory=list)

    def source(self, dtmi: str) -> Any:
        """The JSON object of Interface `dtmi` exactly as written (for export and the API)."""
        return self.interfaces[dtmi].source

    def extending(self, dtmi: str) -> list[str]:
        """The DTMIs of every Interface that is `dtmi` or extends it."""
        return sorted(i.id for i in self.interfaces.values() if i.is_a(dtmi))
