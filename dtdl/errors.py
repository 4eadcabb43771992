"""The errors of a model set: values with a place, for the user to act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Issue:
    """One thing wrong with a model set.

    `pointer` is a JSON pointer into document number `document`; `line` and `column`
    are filled for documents given as text. `str()` is `line:column: message`, the
    form editors and the CLI print after the file name.
    """

    message: str
    pointer: str = ""
    document: int = 0
    line: int | None = None
    column: int | None = None
    dtmi: str | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.line}:{self.column}: {self.message}"
        where = f"{self.pointer}: " if self.pointer else ""
        return f"{where}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "message": self.message, "pointer": self.pointer, "document": self.document,
            "line": self.line, "column": self.column, "dtmi": self.dtmi,
        }  # fmt: skip


class DtdlError(ValueError):
    """The model set is not valid DTDL; `.errors` holds every Issue found, in document order."""

    def __init__(self, errors: list[Issue]) -> None:
        self.errors = errors
        first = str(errors[0]) if errors else "invalid model set"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)

    @property
    def unresolved(self) -> list[str]:
        """DTMIs referenced but defined nowhere in the set (a resolver could supply them)."""
        return sorted({e.dtmi for e in self.errors if e.dtmi and e.message.startswith("unresolved")})
