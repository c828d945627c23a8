"""The hot SELECTs, compiled once per dialect and run on the driver's own cursor.

SQLAlchemy's execution path costs more than a selective statement itself, most of all on
PostgreSQL: an execution context, a new cursor, the result's metadata from the cursor's
description and its parameter set-up took 120-170 us per statement on psycopg, against 30-40 us
for the statement on the driver (a find by DataId at 10^6 datasets). A kept statement is compiled
here once; each run fills in its parameters (and the id lists written into its text, see
``id_lists``), applies the columns' own bind and result processors, and calls the driver.

What SQLAlchemy would do besides is kept: ``before_cursor_execute`` and ``after_cursor_execute``
listeners are called (without an execution context), a driver error is raised as SQLAlchemy's
``DBAPIError`` (so ``errors.translated`` reports it), and a lost connection is invalidated. A
statement this cannot run the same way (an expanding ``IN`` list, a dialect renaming parameters)
and an engine that echoes SQL keep SQLAlchemy's path. On PostgreSQL a read outside a transaction
goes past the cursor too, to libpq (see ``libpq_reads``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import attrs
import sqlalchemy as sa

if TYPE_CHECKING:
    from .libpq_reads import Statements

_Processor = Callable[[Any], Any]
_CURSOR_KEY = "databutler_driver_cursor"
_STATEMENTS_KEY = "databutler_libpq_statements"
_MAX_PLANS = 2048


@attrs.frozen
class _Plan:
    """A statement as the driver takes it."""

    compiled: sa.sql.compiler.Compiled
    """The compiled statement (for the values of the parameters it carries itself)."""
    sql: str
    """The text, with a ``__[POSTCOMPILE_name]`` token per id list written in at each run."""
    positional: tuple[str, ...] | None
    """The parameter names in order for a positional driver (SQLite), None for named ones (psycopg)."""
    processors: tuple[tuple[str, _Processor], ...]
    """Bind processors of the parameters that have one."""
    literals: tuple[tuple[str, str, Callable[[Any], str]], ...]
    """(token, parameter, literal renderer) of each value written into the text."""
    results: tuple[tuple[int, _Processor], ...]
    """Result processors of the columns that have one, by position."""
    keys: tuple[str, ...]
    """The result columns' names."""


_plans: dict[int, tuple[sa.Select[Any], sa.Dialect, _Plan | object | None]] = {}
"""Plans by statement: a plan, None (SQLAlchemy's path only), or _SEEN (run once, not compiled yet)."""
_SEEN = object()


def rows(connection: sa.Connection, statement: sa.Select[Any], parameters: Mapping[str, Any]) -> list[Sequence[Any]]:
    """The rows of ``statement`` with ``parameters``, as tuples."""
    plan = _plan(connection, statement)
    if plan is None:
        return list(connection.execute(statement, parameters).all())
    return _run(connection, plan, parameters)


def mappings(connection: sa.Connection, statement: sa.Select[Any],
             parameters: Mapping[str, Any]) -> list[Mapping[Any, Any]]:
    """The rows of ``statement`` with ``parameters``, as mappings by column name."""
    plan = _plan(connection, statement)
    if plan is None:
        return cast(list[Mapping[Any, Any]], connection.execute(statement, parameters).mappings().all())
    keys = plan.keys
    return [dict(zip(keys, row, strict=True)) for row in _run(connection, plan, parameters)]


def _plan(connection: sa.Connection, statement: sa.Select[Any]) -> _Plan | None:
    """The kept plan of ``statement``; None for SQLAlchemy's path (which a statement takes the first time it
    runs: one built for a single run would cost a compilation that SQLAlchemy's own cache may spare)."""
    dialect = connection.dialect
    cached = _plans.get(id(statement))
    if cached is None or cached[0] is not statement or cached[1] is not dialect:
        if len(_plans) >= _MAX_PLANS:
            _plans.clear()
        _plans[id(statement)] = (statement, dialect, _SEEN)
        return None
    plan = cached[2]
    if plan is _SEEN:
        plan = _compile(statement, dialect)
        _plans[id(statement)] = (statement, dialect, plan)
    if not isinstance(plan, _Plan) or connection.engine.echo:
        return None
    return plan


def _compile(statement: sa.Select[Any], dialect: sa.Dialect) -> _Plan | None:
    """The plan of ``statement``, or None where only SQLAlchemy's path runs it as written."""
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params or compiled.escaped_bind_names:
        return None  # expanding IN lists and escaped names: SQLAlchemy rewrites them at each run
    names = compiled.bind_names
    literal_names = {names[b] for b in compiled.literal_execute_params}
    literals = []
    for bind in compiled.literal_execute_params:
        render = bind.type.dialect_impl(dialect).literal_processor(dialect)
        if render is None:
            return None
        literals.append((f"__[POSTCOMPILE_{names[bind]}]", names[bind], render))
    processors = {}
    for bind, name in names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and name not in literal_names:
            processors[name] = process
    positional = None
    if compiled.positional:
        positional = tuple(n for n in compiled.positiontup or () if n not in literal_names)
    # The result columns as SQLAlchemy names and converts them (a column selected twice is "id", "id__1").
    columns: list[Any] = list(getattr(compiled, "_result_columns", ()))
    if len(columns) != len(statement.selected_columns):
        return None
    results = []
    for index, column in enumerate(columns):
        if not _plain(column.type, dialect):
            return None
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            results.append((index, process))
    return _Plan(compiled, compiled.string, positional, tuple(processors.items()), tuple(literals), tuple(results),
                 tuple(column.keyname for column in columns))


_PLAIN = (sa.Integer, sa.String, sa.Boolean, sa.Uuid, sa.Date, sa.DateTime, sa.LargeBinary, sa.types.NullType)
_NOT_PLAIN = (sa.Enum, sa.Float, sa.Numeric, sa.JSON, sa.ARRAY, sa.Interval)


def _plain(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> bool:
    """Whether the column type's conversion of a result value does not depend on the column the driver
    reports (SQLAlchemy picks a PostgreSQL numeric's from the type the server sends; unknown here)."""
    if isinstance(type_, sa.types.TypeDecorator):
        return _plain(type_.load_dialect_impl(dialect), dialect)
    return isinstance(type_, _PLAIN) and not isinstance(type_, _NOT_PLAIN)


def _run(connection: sa.Connection, plan: _Plan, parameters: Mapping[str, Any]) -> list[Sequence[Any]]:
    sql = plan.sql
    try:
        # Every parameter's value by its name in the text: those given, then those the statement carries.
        compiled_values = dict(plan.compiled.construct_params(dict(parameters)) or {})
        for token, name, render in plan.literals:
            sql = sql.replace(token, render(compiled_values[name]))
        for name, process in plan.processors:
            compiled_values[name] = process(compiled_values[name])
    except Exception as err:  # a missing or unconvertible value: reported as SQLAlchemy's path reports it
        raise sa.exc.StatementError(str(err), plan.sql, dict(parameters), err) from err
    bound: Any = (tuple(compiled_values[n] for n in plan.positional) if plan.positional is not None
                  else compiled_values)
    found = _execute(connection, sql, bound, fetch=True)
    if plan.results:
        processed: list[Sequence[Any]] = []
        for row in found:
            values = list(row)
            for index, process in plan.results:
                values[index] = process(values[index])
            processed.append(values)
        return processed
    return found  # type: ignore[no-any-return]


def write(connection: sa.Connection, sql: str, parameters: Sequence[Any] | Mapping[str, Any],
          before: Sequence[str] = ()) -> None:
    """Run one writing statement, ``sql`` as the driver takes it (compiled for the connection's dialect).

    ``before``: statements without parameters to send first, in the same round trip (PostgreSQL's pipeline).
    """
    if connection.engine.echo:
        for statement in before:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(sql, parameters)
        return
    _execute(connection, sql, parameters, fetch=False, before=before)


def _execute(connection: sa.Connection, sql: str, bound: Any, *, fetch: bool, before: Sequence[str] = ()) -> Any:
    """Run ``sql`` on the connection's kept driver cursor as SQLAlchemy would: listeners told, errors wrapped."""
    dbapi_connection: Any = connection.connection.dbapi_connection
    cursor = connection.info.get(_CURSOR_KEY)
    if cursor is None or cursor.connection is not dbapi_connection:
        cursor = connection.info[_CURSOR_KEY] = dbapi_connection.cursor()
    dispatch = connection.dispatch
    dispatch.before_cursor_execute(connection, cursor, sql, bound, None, False)
    try:
        found = None
        if fetch and not before and connection.dialect.driver == "psycopg":  # a read: libpq directly
            found = _libpq_statements(connection, dbapi_connection).rows(sql, bound)
        if found is None:
            if before:
                with dbapi_connection.pipeline():  # one round trip; the first failure is raised at its end
                    for statement in before:
                        cursor.execute(statement)
                    cursor.execute(sql, bound)
            else:
                cursor.execute(sql, bound)
            found = cursor.fetchall() if fetch else None
    except connection.dialect.loaded_dbapi.Error as err:
        connection.info.pop(_CURSOR_KEY, None)
        lost = connection.dialect.is_disconnect(err, dbapi_connection, cursor)
        if lost:
            connection.invalidate(err)
        raise sa.exc.DBAPIError.instance(sql, bound, err, connection.dialect.loaded_dbapi.Error,
                                         connection_invalidated=lost) from err
    dispatch.after_cursor_execute(connection, cursor, sql, bound, None, False)
    return found


def _libpq_statements(connection: sa.Connection, dbapi_connection: Any) -> Statements:
    """The reads sent on libpq for the connection's current psycopg connection (kept while it lives)."""
    statements: Statements | None = connection.info.get(_STATEMENTS_KEY)
    if statements is None or statements.connection is not dbapi_connection:
        from .libpq_reads import Statements  # psycopg is installed only for PostgreSQL

        statements = connection.info[_STATEMENTS_KEY] = Statements(dbapi_connection)
    return statements


@contextmanager
def driver_errors(dialect: sa.Dialect, statement: str, parameters: Any = None) -> Iterator[None]:
    """Raise a driver error inside the block as SQLAlchemy's ``DBAPIError`` (which ``errors.translated`` reports)."""
    dbapi = dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as err:
        raise sa.exc.DBAPIError.instance(statement, parameters, err, dbapi.Error) from err
