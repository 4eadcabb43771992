"""Insert many new rows at once, as tuples, without model instances or Django's per-value SQL compilation.

`bulk_create` builds a model instance per row and compiles every value of
every row into its INSERT (on PostgreSQL through UNNEST arrays whose
elements psycopg text-escapes one by one); for the thousands of rows a cold
scan writes that costs more than parsing the files. Here each row is the
tuple of its field values, and the rows go to PostgreSQL through COPY
(psycopg 3's `cursor.copy`) and to SQLite through one `executemany`. The
caller's transaction holds them, as with bulk_create.

Values are prepared per column, once per kind of field: JSON by orjson (what
json writes where orjson refuses; `encode` does it ahead for a value the caller keeps long), date-times by the backend's own adapter,
floats as floats; text and whole numbers go as they are, so callers give
`str` and `int` for those (reconcile's values come from validated specs).
No `auto_now` is applied: callers pass the timestamps they mean.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from django.db import connection, models

__all__ = ["Encoded", "encode", "insert", "instances", "reserve_ids"]


class Encoded:
    """A JSON value already written as text (by `encode`), so a plan holding thousands keeps the text only."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def encode(value: Any) -> Encoded:
    """`value` as the JSON text `insert` would write for it."""
    return Encoded(_json(value))


def _json(value: Any) -> str:
    if value.__class__ is Encoded:
        return value.text
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits, non-string keys: what json writes
        return json.dumps(value)


def _datetime(field: models.Field) -> Callable[[Any], Any]:
    """The backend's adapter; a scan's rows share one timestamp, so the last answer is kept."""
    last: list[Any] = [object(), None]

    def prep(value: Any) -> Any:
        if value is not last[0]:
            last[:] = [value, field.get_db_prep_save(value, connection)]
        return last[1]

    return prep


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _prep(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of `field` becomes a database value; None: as it is."""
    if isinstance(field, models.JSONField):
        if field.encoder is None:
            return _json
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateTimeField):
        return _datetime(field)
    if isinstance(field, models.FloatField):
        return _float
    if isinstance(field, (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT `rows` (tuples of field values, in the order of `columns`, field names) in the current transaction.

    Returns how many rows were written. A column left out gets the database's
    default, so leave out only auto ids (unless reserved) and nullable columns.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0  # no statement at all: a rescan that changed nothing stays at its few queries
    rows = itertools.chain((first,), rows)
    fields = [model._meta.get_field(name) for name in columns]
    preps = [(i, prep) for i, f in enumerate(fields) if (prep := _prep(f)) is not None]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0

    def prepared() -> Iterable[Sequence[Any]]:  # one row at a time: no second copy of every row in memory
        nonlocal count
        for row in rows:
            if preps:
                row = list(row)
                for i, prep in preps:
                    row[i] = prep(row[i])
            count += 1
            yield row

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in prepared():
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepared())
    return count


def instances(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[Any]:
    """Saved instances of rows just inserted with every concrete field (as `insert` took them), for callers' hooks."""
    names = [f.attname for f in model._meta.concrete_fields]
    if list(columns) != names:
        raise ValueError(f"instances needs every concrete field of {model.__name__} in order: {names}")
    return [model.from_db(connection.alias, names, row) for row in rows]


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` ascending ids for rows the caller inserts with their ids, in the current transaction.

    PostgreSQL: from the id sequence. SQLite: after the highest id the table's
    AUTOINCREMENT ever gave (sqlite_sequence) or holds; the scan's transaction
    holds the database's write lock from BEGIN (transaction_mode IMMEDIATE), so
    no other writer takes them in between, and the insert moves the sequence on.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) AS g(i) "
                           "ORDER BY g.i", [table, model._meta.pk.column, count])
            return [row[0] for row in cursor.fetchall()]
        pk = connection.ops.quote_name(model._meta.pk.column)
        cursor.execute(f"SELECT MAX({pk}) FROM {connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + count))
