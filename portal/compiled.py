"""Querysets compiled to SQL once per process, then run with new values.

Building and compiling a queryset with joins and subqueries costs milliseconds of Python on every
request, several times what the database needs to answer it. A `CompiledQuery` is still written
as an ordinary queryset (so rules such as "an active membership" keep their one definition in
the ORM), but is compiled once per database connection alias: the values that change between
runs (ints such as primary keys, and aware datetimes such as "now") are found by compiling the
queryset a second time with each one changed, and only those parameters are replaced afterwards.

The queryset must be a `values_list()` whose SQL does not depend on the values themselves (no
`None` that would turn `= %s` into `IS NULL`, no lists whose length varies). Strings can vary too,
and lists of ints where the queryset passes the list as one parameter (an array: the `__any`
lookup below).

`build` may also return a tuple of such querysets, each giving at most one row: they then run as
one statement, one round trip, and each row is a tuple of their rows (None for a part that found
nothing). Each part's first column must never be NULL (a primary key, say): that is how an absent
part is told from a present one.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import Field, ForeignKey, Lookup, QuerySet


def _binds_on_server(raw) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(raw, psycopg.Cursor) and not isinstance(raw, psycopg.ClientCursor)


KEPT_CURSOR_ATTR = "_compiled_cursor"


def _kept_cursor(connection):
    """The psycopg cursor a connection's precompiled statements run on, made once per database
    connection: a Django cursor costs a new psycopg cursor and its adapters on every query, a
    quarter of the client's side of a member's page. Does what Django's cursor does first (the
    thread check, the health check before a request's first query, no query inside a broken
    transaction). None where the Django cursor must run the query: while queries are recorded
    (tests counting them, DEBUG) or wrapped (connection.execute_wrapper), and off psycopg 3's
    server-side binding."""
    if connection.queries_logged or connection.execute_wrappers:
        return None
    connection.validate_thread_sharing()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    kept = getattr(connection, KEPT_CURSOR_ATTR, None)
    if kept is not None and kept[0] is raw and kept[1] == connection.timezone_name and (kept[2] is None or not kept[2].closed):
        return kept[2]
    with connection.wrap_database_errors:
        cursor = connection.create_cursor()
    if not _binds_on_server(cursor):
        cursor.close()
        cursor = None  # SQLite, or client-side binding: Django's cursors, for this connection
    setattr(connection, KEPT_CURSOR_ATTR, (raw, connection.timezone_name, cursor))
    return cursor


@dataclass(frozen=True)
class _Part:
    compiler: object
    width: int
    converters: dict


@dataclass(frozen=True)
class _Template:
    sql: str
    params: list
    positions: dict[int, str]
    parts: list[_Part]
    joined: bool


def _compile(built, alias: str) -> tuple[str, list, list[_Part]]:
    querysets = built if isinstance(built, tuple) else (built,)
    pieces, params, parts = [], [], []
    for queryset in querysets:
        compiler = queryset.query.get_compiler(using=alias)
        sql, part_params = compiler.as_sql()
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        pieces.append(sql)
        params.extend(part_params)
        parts.append(_Part(compiler, compiler.col_count, compiler.get_converters(fields)))
    if len(pieces) == 1:
        return pieces[0], params, parts
    sql = f"SELECT * FROM ({pieces[0]}) AS part0" + "".join(f" LEFT JOIN ({piece}) AS part{n} ON 1=1" for n, piece in enumerate(pieces[1:], 1))
    return sql, params, parts


class AnyOf(Lookup):
    """`field__any=[…]`: one of these values, as `field = ANY(%s)` with the list as one array
    parameter, so that the SQL is the same however many there are (PostgreSQL), and an index on
    the field is used for them."""

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # Typed as the field is, whatever size the numbers happen to be this time.
        element = self.lhs.output_field.target_field if self.lhs.output_field.is_relation else self.lhs.output_field
        return f"{lhs} = ANY(%s::{element.db_type(connection)}[])", [*lhs_params, list(self.rhs)]


Field.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)  # related fields keep lookups of their own


def _changed(example):
    if isinstance(example, datetime):
        return example + timedelta(seconds=1)
    if isinstance(example, str):
        return example + "~"
    if isinstance(example, list):
        return [*example, max(example, default=0) + 1]
    return example + 1


class CompiledQuery:
    """`wrap`, a format string with one {}, puts the queryset's SQL inside an outer statement
    that adds no parameters; its rows are as the database driver reads them (the ORM's
    conversions belong to the inner columns). `prepare=False` for a query whose best plan depends
    on its values (a search): compiled once, planned every time."""

    def __init__(self, build: Callable[..., QuerySet | tuple[QuerySet, ...]], *, wrap: str = "{}", prepare: bool = True, **examples):
        for name, example in examples.items():
            if not isinstance(example, int | datetime | str | list) or isinstance(example, bool):
                raise TypeError(f"{name}: only ints, datetimes, strings and lists of ints can vary, not {type(example).__name__}")
        self.build = build
        self.wrap = wrap
        self.prepare = prepare
        self.examples = examples
        self._templates: dict[str, _Template] = {}
        self._lock = threading.Lock()

    def template(self, alias: str) -> _Template:
        template = self._templates.get(alias)
        if template is None:
            with self._lock:
                built = self.build(**self.examples)
                sql, params, parts = _compile(built, alias)
                positions: dict[int, str] = {}
                for name, example in self.examples.items():
                    changed = _changed(example)
                    other_sql, other_params, _ = _compile(self.build(**{**self.examples, name: changed}), alias)
                    if other_sql != sql or len(other_params) != len(params):
                        raise ValueError(f"the SQL changes with {name}: it cannot be compiled once")
                    for index, (before, after) in enumerate(zip(params, other_params, strict=True)):
                        if before != after:
                            if index in positions:
                                raise ValueError(f"parameter {index} depends on both {positions[index]} and {name}")
                            positions[index] = name
                    if name not in positions.values():
                        raise ValueError(f"{name} is not a parameter of the query")
                    if isinstance(example, str | list) and any(params[index] != example for index, of in positions.items() if of == name):
                        # A lookup that rewrites its value (LIKE's %…%) could not be given a new one.
                        raise ValueError(f"{name} reaches the SQL rewritten: pass it as it is (Value, not a lookup that changes it)")
                template = _Template(self.wrap.format(sql), params, positions, parts, joined=isinstance(built, tuple))
                self._templates[alias] = template
        return template

    def rows(self, using: str = "default", **values) -> list[tuple]:
        if values.keys() != self.examples.keys():
            raise TypeError(f"expected the values {sorted(self.examples)}, got {sorted(values)}")
        connection = connections[using]
        template = self.template(using)
        params = list(template.params)
        for index, name in template.positions.items():
            value = values[name]
            original = params[index]
            if isinstance(value, datetime) and not isinstance(original, datetime):
                value = connection.ops.adapt_datetimefield_value(value)
            elif isinstance(original, int) and type(original) is not int:
                value = type(original)(value)  # psycopg's Int4 and the like: the same parameter types every run
            params[index] = value
        kept = _kept_cursor(connection)
        if kept is not None:
            # Rows in binary, which psycopg reads several times faster than text for dates (20 µs
            # each in text). Prepared once per connection unless the plan depends on the values:
            # PostgreSQL then plans it once (about 0.8 ms of a member's article page).
            with connection.wrap_database_errors:
                kept.execute(template.sql, params, prepare=self.prepare, binary=True)
                rows = kept.fetchall()
        else:
            with connection.cursor() as cursor:
                cursor.execute(template.sql, params)
                rows = cursor.fetchall()
        if self.wrap != "{}":
            return rows
        if not template.joined:
            return self._converted(template.parts[0], rows)
        split = []
        for row in rows:
            start, parts = 0, []
            for part in template.parts:
                values_of_part = row[start : start + part.width]
                start += part.width
                parts.append(None if values_of_part[0] is None else self._converted(part, [values_of_part])[0])
            split.append(tuple(parts))
        return split

    @staticmethod
    def _converted(part: _Part, rows) -> list[tuple]:
        if part.converters:
            return [tuple(row) for row in part.compiler.apply_converters(rows, part.converters)]
        return rows

    def first(self, using: str = "default", **values) -> tuple | None:
        rows = self.rows(using, **values)
        return rows[0] if rows else None
