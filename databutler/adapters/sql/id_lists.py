"""Lists of integer ids in a statement: membership (``one_of``) and rank (``position_in``).

A search through a chain names every run of it: thousands at production scale. Bound as an
expanding ``IN`` list, each value cost SQLAlchemy a few microseconds of parameter set-up before
the database saw it, and a CASE over them for the search rank made every statement new.

- Membership is written into the statement's text when it runs (``column IN (1, 2, ...)``: one
  join of strings). Both planners count the values: SQLite takes a subquery for a couple of
  dozen rows, and a PostgreSQL plan kept for a prepared statement (psycopg prepares one run five
  times) cannot see inside an array parameter. A chain's search is the same text every time, so
  its plan is kept. Where the list only filters rows found otherwise (``only_filtering``),
  PostgreSQL gets it on ``column + 0``, which it plans without reading statistics per value.
- The rank is one bound parameter: array text cast to ``INTEGER[]`` for PostgreSQL's
  ``array_position``, a JSON array for ``databutler_position``, a function every SQLite
  connection registers (``register_sqlite_functions``) that parses each distinct list once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["IdList", "one_of", "only_filtering", "position_in", "register_sqlite_functions"]

SQLITE_POSITION = "databutler_position"


class IdList(sa.types.TypeDecorator[Sequence[int]]):
    """A list of integers as one bound value: array text cast to ``INTEGER[]`` on PostgreSQL, JSON elsewhere."""

    impl = sa.Text
    cache_ok = True

    def literal_processor(self, dialect: sa.Dialect) -> Callable[[Sequence[int]], str]:
        """The integers as the items of an IN list (all converted by ``int``: nothing else reaches the text)."""
        return _as_items

    def process_bind_param(self, value: Sequence[int] | None, dialect: sa.Dialect) -> Any:
        """The list as the database takes it."""
        if value is None:
            return None
        if dialect.name == "postgresql":  # array text, cast by the statement: psycopg's list dumper cost 7 us an item
            return "{" + ",".join(str(int(v)) for v in value) + "}"
        return json.dumps([int(v) for v in value])


def _as_items(value: Sequence[int]) -> str:
    return _items(tuple(value))


@functools.lru_cache(maxsize=256)
def _items(ids: tuple[int, ...]) -> str:
    # A chain's runs are the same list search after search: written once (4,898 of them took 0.4 ms).
    return ", ".join(str(int(v)) for v in ids) or "NULL"  # "IN ()" is SQLite's only: "IN (NULL)" holds for none


class _OneOf(sa.sql.expression.ColumnElement[bool]):
    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a predicate: never rendered "... = 1" where booleans are integers

    def __init__(self, column: sa.ColumnElement[Any], ids: sa.BindParameter[Any], *, probe: bool = True) -> None:
        self.column = column
        self.ids = ids
        self.probe = probe

    _traverse_internals = [("column", sa.sql.visitors.InternalTraversal.dp_clauseelement),
                           ("ids", sa.sql.visitors.InternalTraversal.dp_clauseelement),
                           ("probe", sa.sql.visitors.InternalTraversal.dp_boolean)]


class _PositionIn(sa.sql.expression.ColumnElement[int]):
    inherit_cache = True
    type = sa.Integer()

    def __init__(self, column: sa.ColumnElement[Any], ids: sa.BindParameter[Any]) -> None:
        self.column = column
        self.ids = ids

    _traverse_internals = [("column", sa.sql.visitors.InternalTraversal.dp_clauseelement),
                           ("ids", sa.sql.visitors.InternalTraversal.dp_clauseelement)]


def one_of(column: sa.ColumnElement[Any], name: str, values: Sequence[int] | None = None) -> sa.ColumnElement[bool]:
    """``column`` is one of the ids bound to parameter ``name`` (or to ``values``, carried by the statement)."""
    return _OneOf(column, _parameter(name, values))


def only_filtering(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """``condition``, with a ``one_of`` list that only filters rows other conditions found.

    For a search that other conditions lead (a correlated EXISTS, found by its DataUnits). PostgreSQL
    estimates ``column IN (list)`` value by value from the column's statistics, and a statement
    whose kept plan it judges worse than a fresh one is planned at every run: for a chain of 4,900
    runs, 3 ms a query. On ``column + 0`` there are no statistics to read (a fifth of that), and the
    list is still a hash when the statement runs. SQLite plans no value by value: its text is unchanged.
    """
    if isinstance(condition, _OneOf):
        return _OneOf(condition.column, condition.ids, probe=False)
    return condition


def position_in(column: sa.ColumnElement[Any], name: str,
                values: Sequence[int] | None = None) -> sa.ColumnElement[int]:
    """The 0-based position of ``column``'s first occurrence in the ids bound to ``name`` (NULL when absent)."""
    return _PositionIn(column, _parameter(name, values))


def _parameter(name: str, values: Sequence[int] | None) -> sa.BindParameter[Any]:
    if values is None:
        return sa.bindparam(name, type_=IdList())
    return sa.bindparam(name, value=list(values), type_=IdList(), unique=True)


@compiles(_OneOf, "postgresql")
@compiles(_OneOf, "sqlite")
def _one_of(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    # Literal integers when the statement runs (see the module docstring): with a subquery SQLite
    # probed a chain's runs before a visit's overlaps, and PostgreSQL's kept plan did the same.
    ids = compiler.process(element.ids, literal_execute=True, **kw)
    column = compiler.process(element.column, **kw)
    if element.probe or compiler.dialect.name != "postgresql":
        return f"{column} IN ({ids})"
    return f"({column} + 0) IN ({ids})"


@compiles(_PositionIn, "postgresql")
def _position_postgresql(element: _PositionIn, compiler: SQLCompiler, **kw: Any) -> str:
    ids = compiler.process(element.ids, **kw)
    return f"(array_position(CAST({ids} AS INTEGER[]), {compiler.process(element.column, **kw)}) - 1)"


@compiles(_PositionIn, "sqlite")
def _position_sqlite(element: _PositionIn, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_POSITION}({compiler.process(element.ids, **kw)}, {compiler.process(element.column, **kw)})"


@compiles(_OneOf)
@compiles(_PositionIn)
def _unsupported(element: sa.ColumnElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    raise sa.exc.CompileError(f"id lists are bound for SQLite and PostgreSQL only, not {compiler.dialect.name}")


@functools.lru_cache(maxsize=64)
def _positions(ids: str) -> dict[int, int]:
    return {value: index for index, value in reversed(list(enumerate(json.loads(ids))))}


def _position(ids: str | None, value: int | None) -> int | None:
    if ids is None or value is None:
        return None
    return _positions(ids).get(value)


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Make ``databutler_position`` known to a new sqlite3 connection."""
    dbapi_connection.create_function(SQLITE_POSITION, 2, _position, deterministic=True)
