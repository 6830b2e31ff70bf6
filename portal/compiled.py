"""Querysets compiled to SQL once per process, then run with new values.

Building and compiling a queryset with joins and subqueries costs milliseconds of Python on every
request, several times what the database needs to answer it. A `CompiledQuery` is still written
as an ordinary queryset (so rules such as "an active membership" keep their one definition in
the ORM), but is compiled once per database connection alias: the values that change between
runs (ints such as primary keys, and aware datetimes such as "now") are found by compiling the
queryset a second time with each one changed, and only those parameters are replaced afterwards.

The queryset must be a `values_list()` whose SQL does not depend on the values themselves (no
`None` that would turn `= %s` into `IS NULL`, no lists whose length varies).
"""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import QuerySet


def _can_prepare(cursor) -> bool:
    """A psycopg 3 cursor that binds parameters on the server (see DATABASES in settings)."""
    raw = getattr(cursor, "cursor", None)
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(raw, psycopg.Cursor) and not isinstance(raw, psycopg.ClientCursor)


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], **examples):
        for name, example in examples.items():
            if not isinstance(example, int | datetime) or isinstance(example, bool):
                raise TypeError(f"{name}: only ints and datetimes can vary, not {type(example).__name__}")
        self.build = build
        self.examples = examples
        self._templates: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, queryset: QuerySet, alias: str):
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        return compiler, sql, list(params)

    def template(self, alias: str):
        template = self._templates.get(alias)
        if template is None:
            with self._lock:
                compiler, sql, params = self._compile(self.build(**self.examples), alias)
                positions: dict[int, str] = {}
                for name, example in self.examples.items():
                    changed = example + (timedelta(seconds=1) if isinstance(example, datetime) else 1)
                    _, other_sql, other_params = self._compile(self.build(**{**self.examples, name: changed}), alias)
                    if other_sql != sql or len(other_params) != len(params):
                        raise ValueError(f"the SQL changes with {name}: it cannot be compiled once")
                    for index, (before, after) in enumerate(zip(params, other_params, strict=True)):
                        if before != after:
                            if index in positions:
                                raise ValueError(f"parameter {index} depends on both {positions[index]} and {name}")
                            positions[index] = name
                    if name not in positions.values():
                        raise ValueError(f"{name} is not a parameter of the query")
                fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
                converters = compiler.get_converters(fields)
                template = (sql, params, positions, compiler, converters)
                self._templates[alias] = template
        return template

    def rows(self, using: str = "default", **values) -> list[tuple]:
        if values.keys() != self.examples.keys():
            raise TypeError(f"expected the values {sorted(self.examples)}, got {sorted(values)}")
        connection = connections[using]
        sql, params, positions, compiler, converters = self.template(using)
        params = list(params)
        for index, name in positions.items():
            value = values[name]
            original = params[index]
            if isinstance(value, datetime) and not isinstance(original, datetime):
                value = connection.ops.adapt_datetimefield_value(value)
            elif isinstance(original, int) and type(original) is not int:
                value = type(original)(value)  # psycopg's Int4 and the like: the same parameter types every run
            params[index] = value
        with connection.cursor() as cursor:
            if _can_prepare(cursor):
                # Prepared once per database connection: PostgreSQL plans it once (about 0.8 ms of
                # a member's article page). Logged like any query while queries are recorded.
                with connection.wrap_database_errors:
                    if hasattr(cursor, "debug_sql"):
                        with cursor.debug_sql(sql, params):
                            cursor.cursor.execute(sql, params, prepare=True)
                    else:
                        cursor.cursor.execute(sql, params, prepare=True)
                    rows = cursor.cursor.fetchall()
            else:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def first(self, using: str = "default", **values) -> tuple | None:
        rows = self.rows(using, **values)
        return rows[0] if rows else None
