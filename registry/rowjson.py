"""Child rows as one JSON array column of their parent's row: a twin's streams beside the twin, in one query.

`json_rows(children, parent_field, fields)` is a correlated subquery that aggregates the
children of the outer row into a JSON array of objects (SQLite `json_group_array`, PostgreSQL
`jsonb_agg`), decoded into a list of dicts when the row is read. Neither aggregate promises an
order on every database version here (SQLite 3.40 has no ORDER BY inside an aggregate), so
callers sort what they get; PostgreSQL's jsonb also reorders an object's keys, so callers pick
keys by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Aggregate, Func, JSONField, QuerySet, Subquery
from django.db.models.functions import JSONObject

__all__ = ["json_rows", "PreparedValues"]


class _JSONArrayAgg(Aggregate):
    function = "JSON_GROUP_ARRAY"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)


class _ExactFloat(Func):
    """A float column for a JSON object, every digit kept.

    SQLite's json_object writes a REAL with 15 significant digits (0.30000000000000004 would come
    back as 0.3), so there the value travels as 17-digit text; PostgreSQL's jsonb keeps the
    shortest exact form. `_Rows` turns both back into a float.
    """

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        # The format travels as a parameter: a literal % would break Django's logging of the query.
        return f"CASE WHEN {sql} IS NULL THEN NULL ELSE PRINTF(%s, {sql}) END", [*params, "%!.17g", *params]


class _Rows(JSONField):
    """The aggregated array, decoded: [] for a parent without children, float fields as floats."""

    def __init__(self, floats: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.floats = floats
        super().__init__(**kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        rows = orjson.loads(value) if isinstance(value, (str, bytes)) else value
        for row in rows:
            for name in self.floats:
                if row[name] is not None:
                    row[name] = float(row[name])
        return rows


def json_rows(children: QuerySet, parent_field: str, fields: Iterable[str], *,
              floats: Iterable[str] = ()) -> Subquery:
    """The `children` of the outer row (already filtered on OuterRef) as one JSON array of `fields`."""
    floats = tuple(floats)
    obj = JSONObject(**{f: (_ExactFloat(f) if f in floats else f) for f in fields})
    aggregated = children.order_by().values(parent_field).annotate(rows=_JSONArrayAgg(obj)).values("rows")
    return Subquery(aggregated, output_field=_Rows(floats=floats))


class PreparedValues:
    """A `.values()` query compiled once and run again with other values in its parameter slots.

    Building and compiling a query with three correlated subqueries costs the ORM several
    milliseconds, more than running it; a twin's detail is the same query for every twin of the
    same reader. `make(slot)` builds the queryset with `slot` standing for the value that changes
    (a string no real value equals); `rows(value)` runs the compiled SQL with `value` in each slot
    and returns the rows as `.values()` would, Django's converters (JSON, datetimes) applied.
    """

    SLOT = "\x00prepared-slot\x00"  # NUL: never a real id, and never sent (the slot is always filled)

    def __init__(self, queryset: QuerySet) -> None:
        self.alias = queryset.db
        compiler = queryset.query.get_compiler(using=self.alias)
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet:  # a filter that can match nothing (a reader without grants): no query to run
            self.sql = ""
            return
        self.params = list(params)
        self.slots = [i for i, p in enumerate(self.params) if p == self.SLOT]
        if not self.slots:
            raise ValueError("the queryset does not use the slot value")
        query = queryset.query
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        self.compiler = compiler
        self.converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])

    def rows(self, value: Any) -> list[dict[str, Any]]:
        if not self.sql:
            return []
        params = list(self.params)
        for i in self.slots:
            params[i] = value
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            raw = cursor.fetchall()
        if self.converters:
            raw = self.compiler.apply_converters(raw, self.converters)
        return [dict(zip(self.names, row)) for row in raw]
