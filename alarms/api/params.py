"""Path parts of the alarm and webhook routes."""

from django.urls import register_converter


class RowId:
    """A numeric row id in a path: 1 to 18 digits, so it always fits a 64-bit column (else a JSON 404)."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowId, "rowid")
