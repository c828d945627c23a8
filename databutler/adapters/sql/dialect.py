"""The few statements whose SQL differs between SQLite and PostgreSQL, behind small helpers."""

from __future__ import annotations

import contextlib
import gc
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from . import driver, savepoints

T = TypeVar("T")

IN_CHUNK = 500
"""How many values one ``IN (...)`` list may hold; keeps every dialect under its bind limit."""
ARRAY_CHUNK = 10_000
"""How many values one PostgreSQL array parameter holds."""


class StoredUuid(sa.types.TypeDecorator[Any]):
    """A ``sa.Uuid`` column's values as stored: native UUIDs where the database has them, else the hex text.

    ``uuid_from_db`` then makes the UUIDs, at a quarter of the cost of the conversion SQLAlchemy
    would apply to each row.
    """

    impl = sa.Uuid
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        """The native UUID where there is one, else text as stored."""
        return dialect.type_descriptor(sa.Uuid() if dialect.supports_native_uuid else sa.String())


def uuid_column(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` (a ``sa.Uuid``) read for ``uuid_from_db`` (see ``StoredUuid``), in a statement for any dialect."""
    return sa.type_coerce(column, StoredUuid())


def uuid_from_db(value: uuid.UUID | str) -> uuid.UUID:
    """A UUID read through ``uuid_column``: native values as they are, 32-digit hex text parsed."""
    if isinstance(value, uuid.UUID):
        return value
    if len(value) != 32:  # not the stored form: let the constructor parse (or refuse) it
        return uuid.UUID(value)
    # The constructor's general parsing is most of the cost of listing many datasets; the stored
    # form is 32 hex digits, which int() checks.
    parsed = _new_uuid(uuid.UUID)
    _set_attribute(parsed, "int", int(value, 16))
    _set_attribute(parsed, "is_safe", _UNKNOWN_SAFETY)
    return parsed


_UNKNOWN_SAFETY = uuid.SafeUUID.unknown  # an enum member looked up once (the lookup costs more than the rest)
_new_uuid = object.__new__
_set_attribute = object.__setattr__


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic objects are built (rows into refs).

    Every few hundred new objects the collector would rescan the ones built so far, which
    costs as much as building them; paused, it looks at them once afterwards. Left as it was
    found if it was already off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Yield ``values`` in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


_InsertPlan = tuple[str, tuple[str, ...], tuple[Any, ...], bool]
_insert_plans: dict[tuple[int, sa.Table, tuple[str, ...]], tuple[sa.Dialect, _InsertPlan]] = {}


def _insert_plan(dialect: sa.Dialect, table: sa.Table, keys: tuple[str, ...]) -> _InsertPlan:
    """The SQL of an INSERT of ``keys`` into ``table``, its parameter order and each column's bind processor."""
    cache_key = (id(dialect), table, keys)
    cached = _insert_plans.get(cache_key)
    if cached is not None and cached[0] is dialect:
        return cached[1]
    if getattr(dialect, "use_insertmanyvalues_wo_returning", False):
        raise ValueError(f"{dialect.name} batches executemany into multi-row INSERTs; keep SQLAlchemy's path")
    if any(c.default is not None or c.onupdate is not None for c in table.c if c.key not in keys):
        raise ValueError(f"{table.name} has Python-side defaults; SQLAlchemy must fill them in")
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
    if set(names) != set(keys):  # a dialect that renames or adds parameters: not for this fast path
        raise ValueError(f"unexpected parameters {names} for an insert of {keys}")
    processors = tuple(table.c[name].type.bind_processor(dialect) for name in names)
    plan = (compiled.string, names, processors, positional)
    if len(_insert_plans) > 1000:
        _insert_plans.clear()
    _insert_plans[cache_key] = (dialect, plan)
    return plan


def insert_many(connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in one executemany.

    Same SQL and parameters as ``connection.execute(table.insert(), rows)``, but the statement is
    compiled once per key set and each row becomes one tuple or dict through the columns' bind
    processors, without the per-row parameter set-up of a general statement, which dominates
    large batches of small rows.
    """
    if not rows:
        return
    keys = tuple(rows[0])
    before = savepoints.before_write(connection)  # a savepoint deferred to this write (PostgreSQL)
    try:
        sql, names, processors, positional = _insert_plan(connection.dialect, table, keys)
    except (ValueError, KeyError):
        _send(connection, before)
        connection.execute(table.insert(), list(rows) if len(rows) > 1 else rows[0])
        return
    columns = tuple(zip(names, processors, strict=True))
    copying = len(rows) >= COPY_MIN_ROWS and connection.dialect.name == "postgresql"
    parameters: list[Any] = []
    for row in rows:
        if len(row) != len(keys):
            raise ValueError(f"insert_many: every row needs the keys {keys}, got {tuple(row)}")
        values = [row[name] if process is None else process(row[name]) for name, process in columns]
        parameters.append(tuple(values) if positional or copying else dict(zip(names, values, strict=True)))
    if len(parameters) == 1:  # the single put's insert: on the driver's cursor (see driver.py)
        driver.write(connection, sql, parameters[0], before)
        return
    _send(connection, before)
    if copying:
        _copy_rows(connection, table, names, parameters)
        return
    connection.exec_driver_sql(sql, parameters)


def _send(connection: sa.Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)


COPY_MIN_ROWS = 500
"""From this many rows, PostgreSQL gets them by ``COPY ... FROM STDIN`` (one stream, no per-row statement)."""


def _copy_rows(connection: sa.Connection, table: sa.Table, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """``COPY`` ``rows`` (values in the order of ``names``) into ``table``: on PostgreSQL, twice the rows/s of an
    executemany in pipeline mode. A refused row (a unique key taken) fails the whole COPY, as one INSERT would."""
    preparer = connection.dialect.identifier_preparer
    statement = (f"COPY {preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)}) "
                 "FROM STDIN")
    cursor: Any = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with driver.driver_errors(connection.dialect, statement), cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


_delete_plans: dict[tuple[int, sa.Column[Any]], tuple[sa.Dialect, tuple[str, Any, bool]]] = {}


def delete_many(connection: sa.Connection, column: sa.Column[Any], values: Sequence[Any]) -> None:
    """``DELETE FROM`` the table of ``column`` every row whose ``column`` equals one of ``values``.

    One statement ``... WHERE column = ?`` executed for all values at once (an executemany: one
    index probe per value in the driver) rather than IN lists of a few hundred bound values each,
    whose per-value parameter set-up in SQLAlchemy cost more than the deletion itself.
    """
    if not values:
        return
    dialect = connection.dialect
    if dialect.name == "postgresql":
        # One statement per 10^4 values, bound as one array: the server deletes them as a set
        # (an executemany was one statement, and one plan, per value: 7,000 datasets/s).
        statement = column.table.delete().where(
            column == sa.any_(sa.bindparam("values", type_=postgresql.ARRAY(column.type))))
        for part in chunks(values, ARRAY_CHUNK):
            connection.execute(statement, {"values": list(part)})
        return
    cached = _delete_plans.get((id(dialect), column))
    if cached is None or cached[0] is not dialect:
        table = column.table
        assert isinstance(table, sa.Table)
        compiled = table.delete().where(column == sa.bindparam("value")).compile(dialect=dialect)
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        if names != ("value",):  # a dialect that renames parameters: SQLAlchemy's own path
            connection.execute(table.delete().where(column == sa.bindparam("value")),
                               [{"value": v} for v in values])
            return
        cached = _delete_plans[(id(dialect), column)] = (
            dialect, (compiled.string, column.type.bind_processor(dialect), positional))
    sql, process, positional = cached[1]
    converted = values if process is None else [process(v) for v in values]
    connection.exec_driver_sql(sql, [(v,) for v in converted] if positional else [{"value": v} for v in converted])


def insert_ignoring_conflicts(connection: sa.Connection, table: sa.Table,
                              rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` into ``table``, silently skipping rows whose primary key exists."""
    if not rows:
        return
    keys = [column.name for column in table.primary_key.columns]
    name = connection.dialect.name
    if name == "sqlite":
        connection.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=keys), list(rows))
    elif name == "postgresql":
        connection.execute(postgresql.insert(table).on_conflict_do_nothing(index_elements=keys), list(rows))
    else:  # portable fallback: look first, then insert what is missing
        key_columns = [table.c[k] for k in keys]
        wanted = {tuple(row[k] for k in keys): row for row in rows}
        existing: set[tuple[Any, ...]] = set()
        for part in chunks(list(wanted)):
            query = sa.select(*key_columns).where(sa.tuple_(*key_columns).in_(part))
            existing.update(tuple(r) for r in connection.execute(query))
        missing = [row for key, row in wanted.items() if key not in existing]
        if missing:
            connection.execute(table.insert(), missing)


def where_in(connection: sa.Connection, query: sa.Select[Any], column: sa.ColumnElement[Any],
             values: Sequence[Any]) -> Iterator[Any]:
    """The rows of ``query`` whose ``column`` is one of ``values``, for many values at the database's speed.

    Each 10^4 values are one bound parameter: an array on PostgreSQL (``= ANY``), a JSON array on
    SQLite (``IN (SELECT value FROM json_each(...))``). IN lists of a few hundred bound values
    each cost SQLAlchemy more per value, in parameter set-up, than the lookup costs the database.
    """
    dialect = connection.dialect
    if dialect.name == "postgresql":
        statement = query.where(column == sa.any_(sa.bindparam("values", type_=postgresql.ARRAY(column.type))))
        for part in chunks(values, ARRAY_CHUNK):
            yield from connection.execute(statement, {"values": list(part)})
        return
    if dialect.name == "sqlite":
        process = column.type.bind_processor(dialect)
        listed: sa.Select[Any] = sa.select(sa.literal_column("value")).select_from(
            sa.func.json_each(sa.bindparam("values", type_=sa.Text)).table_valued("value"))
        statement = query.where(column.in_(listed.scalar_subquery()))
        for part in chunks(values, ARRAY_CHUNK):
            converted = list(part) if process is None else [process(v) for v in part]
            yield from connection.execute(statement, {"values": json.dumps(converted)})
        return
    for part in chunks(values):
        yield from connection.execute(query.where(column.in_(part)))
