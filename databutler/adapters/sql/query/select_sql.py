"""The read-only SQL SELECT interface: one SELECT over the documented views, refused writes.

Statements are checked (one statement, beginning with SELECT or WITH, no NUL, calling only the
functions ``sql_calls`` allows: a read-only transaction does not stop every function with a side
effect), and then run where the database itself refuses to write, with a statement timeout, on a
connection nothing outlives (``read_only``). Result columns must have distinct names: rows are
dicts. (On PostgreSQL, still grant the registry role only what it needs.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

from ....domain.errors import QueryError
from ....ports.query_results import QueryExecutor, QueryShape
from ..errors import driver_message
from .constraints import is_encodable
from .read_only import ReadOnly
from .sql_calls import check_calls

_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")
BATCH_ROWS = 1000


def check_single_select(sql: str) -> str:
    """``sql`` without a trailing ``;`` if it is one SELECT (or WITH ... SELECT); else QueryError."""
    if not isinstance(sql, str):
        raise QueryError(f"select_sql takes SQL text, not {type(sql).__name__}")
    if "\x00" in sql:
        raise QueryError("the SQL text contains a NUL character")
    if not is_encodable(sql):
        raise QueryError("the SQL text is not valid Unicode (it holds a lone surrogate code point)")
    body = sql.strip()
    quote: str | None = None
    for position, char in enumerate(body):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == ";" and body[position + 1:].strip():
            raise QueryError("only one SQL statement runs at a time; remove everything after the ';' "
                             f"at character {position + 1}")
    body = body.rstrip(";").rstrip()
    match = _FIRST_WORD.match(body)
    if match is None or match.group(1).upper() not in ("SELECT", "WITH"):
        raise QueryError("only SELECT statements run (optionally beginning WITH), over the views "
                         "v_dataset, v_collection, v_<element>...; the database refuses writes in any case")
    return body


def check_timeout(timeout_s: Any) -> float:
    """``timeout_s`` if it is a positive, finite number of seconds; else QueryError."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not (
            0 < timeout_s < math.inf):
        raise QueryError(f"the select_sql timeout must be a positive number of seconds, not {timeout_s!r}")
    return float(timeout_s)


class SqlSelectQuery(QueryExecutor[dict[str, Any]]):
    """One user SELECT; order_by/limit/count wrap it as a subquery."""

    def __init__(self, connect: Callable[[float], AbstractContextManager[ReadOnly]], sql: str,
                 bind: Mapping[str, Any] | None, *, timeout_s: float, postgresql: bool, buffered: bool) -> None:
        self._connect = connect
        self._sql = check_single_select(sql)
        check_calls(self._sql, postgresql=postgresql)
        self._timeout_s = check_timeout(timeout_s)
        self._buffered = buffered
        self._postgresql = postgresql
        if bind is not None and not isinstance(bind, Mapping):
            raise QueryError(f"bind values must be a mapping, not {type(bind).__name__}")
        self._bind = dict(bind or {})
        for name, value in self._bind.items():
            if not isinstance(name, str) or (isinstance(value, str) and not is_encodable(value)):
                raise QueryError(f"bind value {name!r} must be named by a string and hold valid Unicode")
        self._columns: tuple[str, ...] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The result's column names, distinct (QueryError if not)."""
        if self._columns is None:
            # With LIMIT 0 on PostgreSQL; as it is on SQLite, which renames a repeated column of a
            # subquery ("a:1"), and whose cursor steps to the first row only.
            text = f"SELECT * FROM ({self._sql}) AS q LIMIT 0" if self._postgresql else self._sql
            with self._refusals(), self._connect(self._timeout_s) as read_only:
                result = self._execute(read_only.connection, text)
                self._columns = distinct_columns(result)
                result.close()
        return self._columns

    def check_order(self, fields: Sequence[str]) -> None:
        """Each field must be a column of the result."""
        columns = self.columns
        for field in fields:
            if field.lstrip("-") not in columns:
                raise QueryError(f"cannot sort by {field!r}: the result's columns are {', '.join(columns)}")

    def _wrapped(self, shape: QueryShape, preparer: sa.sql.compiler.IdentifierPreparer) -> str:
        if not shape.order_by and shape.limit is None and not shape.offset:
            return self._sql
        self.check_order(shape.order_by)
        text = f"SELECT * FROM ({self._sql}) AS q"
        if shape.order_by:
            terms = [preparer.quote(f.lstrip("-")) + (" DESC" if f.startswith("-") else "") for f in shape.order_by]
            text += " ORDER BY " + ", ".join(terms)
        if shape.limit is not None:
            text += f" LIMIT {int(shape.limit)}"
        elif shape.offset and preparer.dialect.name == "sqlite":
            text += " LIMIT -1"  # SQLite needs a LIMIT before OFFSET
        if shape.offset:
            text += f" OFFSET {int(shape.offset)}"
        return text

    def _execute(self, connection: sa.Connection, text: str) -> sa.CursorResult[Any]:
        if self._bind:
            return connection.execute(sa.text(text), self._bind)
        return connection.exec_driver_sql(text)

    @contextmanager
    def _refusals(self) -> Iterator[None]:
        try:
            yield
        except sa.exc.SQLAlchemyError as err:
            message = driver_message(err)
            if "interrupted" in message or "statement timeout" in message:
                raise QueryError(f"the SQL statement ran longer than the select_sql timeout of {self._timeout_s:g} s "
                                 "and was stopped; narrow it, or pass a larger timeout_s") from None
            raise QueryError(f"the database refused the SQL statement: {message}") from None
        except (ValueError, TypeError, OverflowError) as err:  # a bind value the driver cannot send
            raise QueryError(f"the SQL statement's bind values cannot be sent: {err}") from None

    def rows(self, shape: QueryShape) -> Iterator[dict[str, Any]]:
        """Stream the rows as dicts (all fetched at once when the connection is the registry's own)."""
        if self._buffered:
            return iter(list(self._stream(shape)))
        return self._stream(shape)

    def _stream(self, shape: QueryShape) -> Iterator[dict[str, Any]]:
        self.columns  # noqa: B018 - refuses repeated column names before any row
        with self._refusals(), self._connect(self._timeout_s) as read_only:
            connection = read_only.connection
            text = self._wrapped(shape, connection.dialect.identifier_preparer)
            result = self._execute(connection.execution_options(yield_per=BATCH_ROWS), text)
            columns = distinct_columns(result)
            while True:
                read_only.deadline.restart()
                batch = result.fetchmany(BATCH_ROWS)
                if not batch:
                    return
                yield from (dict(zip(columns, row, strict=True)) for row in batch)

    def count(self, shape: QueryShape) -> int:
        """``SELECT count(*)`` over the (limited) statement."""
        with self._refusals(), self._connect(self._timeout_s) as read_only:
            connection = read_only.connection
            inner = self._wrapped(QueryShape(limit=shape.limit, offset=shape.offset),
                                  connection.dialect.identifier_preparer)
            return int(self._execute(connection, f"SELECT count(*) FROM ({inner}) AS c").scalar_one())


def distinct_columns(result: sa.CursorResult[Any]) -> tuple[str, ...]:
    """The result's column names; QueryError if two are the same (a row is a dict)."""
    columns = tuple(result.keys())
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            result.close()
            raise QueryError(f"the SQL statement's result has more than one column named {name!r}; rows are dicts, "
                             "so give each column its own name with AS")
        seen.add(name)
    return columns
