"""Insert many new rows at once without Django's per-value SQL compilation.

`bulk_create` compiles every value of every row into its INSERT (on
PostgreSQL through UNNEST arrays whose elements psycopg text-escapes one by
one); for the thousands of rows a cold scan writes that costs more than
parsing the files. Here each row is the tuple of its database values, and the
rows go to PostgreSQL through COPY (psycopg 3's `cursor.copy`) and to SQLite
through one `executemany`. The caller's transaction holds them, as with
bulk_create. Fields are prepared as bulk_create prepares them (`pre_save`
for auto_now fields, `get_db_prep_save`), JSON fields by orjson.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connection, models

__all__ = ["insert", "reserve_ids"]


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits, non-string keys: what json writes
        return json.dumps(value)


def _auto(field: models.Field) -> bool:
    return isinstance(field, models.fields.AutoFieldMixin)


def _columns(model: type[models.Model], with_pk: bool) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if with_pk or not _auto(f)]


def _row(obj: models.Model, fields: list[models.Field]) -> tuple[Any, ...]:
    values = []
    for f in fields:
        value = f.pre_save(obj, add=True)
        if isinstance(f, models.JSONField) and f.encoder is None:
            values.append(_json(value))
        else:
            values.append(f.get_db_prep_save(value, connection))
    return tuple(values)


def insert(model: type[models.Model], objs: Sequence[models.Model], *, with_pk: bool = False) -> None:
    """INSERT `objs` (new rows) in the current transaction; auto ids are left to the database unless `with_pk`."""
    if not objs:
        return
    fields = _columns(model, with_pk)
    rows = [_row(obj, fields) for obj in objs]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    for obj in objs:  # as bulk_create leaves them: saved rows
        obj._state.adding, obj._state.db = False, connection.alias


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` ascending ids from a PostgreSQL model's id sequence, for rows inserted by COPY with their ids."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) AS g(i) "
                       "ORDER BY g.i", [table, model._meta.pk.column, count])
        return [row[0] for row in cursor.fetchall()]
