"""The read-only SQL SELECT interface: one SELECT over the documented views, refused writes.

Statements are checked (one statement, beginning with SELECT or WITH, no NUL), and then run
where the database itself refuses to write: on SQLite a separate connection opened with
``mode=ro`` and ``PRAGMA query_only``, or, for an in-memory database, the registry's connection
with ``PRAGMA query_only`` for the statement's duration; on PostgreSQL a separate connection in a
``READ ONLY`` transaction whose ``search_path`` is the registry's schema. The check is a courtesy
for a clear message; the database is the guard. (On PostgreSQL, grant the registry role only
what it needs: a read-only transaction does not stop functions such as ``pg_terminate_backend``
that a superuser may call.)
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

from ....domain.errors import QueryError
from ....ports.query_results import QueryExecutor, QueryShape
from ..errors import driver_message
from ..session import Session
from .constraints import is_encodable

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


class ReadOnlyConnections:
    """Opens connections on which the database refuses every write."""

    def __init__(self, engine: sa.Engine, session: Session, namespace: str | None, memory: bool, *,
                 prepare: Callable[[Any], None] | None = None) -> None:
        self._engine = engine
        self._prepare = prepare
        self._session = session
        self._namespace = namespace
        self._memory = memory
        self._sqlite_engine: sa.Engine | None = None

    def close(self) -> None:
        """Dispose of the separate SQLite read-only engine, if one was made."""
        if self._sqlite_engine is not None:
            self._sqlite_engine.dispose()
            self._sqlite_engine = None

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection in a transaction that cannot write."""
        dialect = self._engine.dialect.name
        if dialect == "sqlite" and self._memory:
            with self._session.reading() as connection:
                connection.exec_driver_sql("PRAGMA query_only = ON")
                try:
                    yield connection
                finally:
                    connection.exec_driver_sql("PRAGMA query_only = OFF")
            return
        engine = self._sqlite_read_only() if dialect == "sqlite" else self._engine
        with engine.connect() as connection, connection.begin():
            if dialect == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                if self._namespace is not None:
                    quoted = connection.dialect.identifier_preparer.quote_schema(self._namespace)
                    connection.exec_driver_sql(f"SET LOCAL search_path TO {quoted}")
            yield connection

    def _sqlite_read_only(self) -> sa.Engine:
        if self._sqlite_engine is None:
            path = urllib.parse.quote(os.path.abspath(str(self._engine.url.database or "")))
            url = sa.URL.create("sqlite", database=f"file:{path}", query={"mode": "ro", "uri": "true"})
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

            @sa.event.listens_for(engine, "connect")
            def _read_only(dbapi_connection: Any, _record: Any) -> None:
                if self._prepare is not None:  # a layered registry's views, made before writes are refused
                    self._prepare(dbapi_connection)
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute("PRAGMA query_only = ON")
                    cursor.execute("PRAGMA busy_timeout = 30000")
                finally:
                    cursor.close()

            self._sqlite_engine = engine
        return self._sqlite_engine


class SqlSelectQuery(QueryExecutor[dict[str, Any]]):
    """One user SELECT; order_by/limit/count wrap it as a subquery."""

    def __init__(self, connect: Callable[[], AbstractContextManager[sa.Connection]], sql: str,
                 bind: Mapping[str, Any] | None) -> None:
        self._connect = connect
        self._sql = check_single_select(sql)
        if bind is not None and not isinstance(bind, Mapping):
            raise QueryError(f"bind values must be a mapping, not {type(bind).__name__}")
        self._bind = dict(bind or {})
        for name, value in self._bind.items():
            if not isinstance(name, str) or (isinstance(value, str) and not is_encodable(value)):
                raise QueryError(f"bind value {name!r} must be named by a string and hold valid Unicode")
        self._columns: tuple[str, ...] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The result's column names (found by running the statement with LIMIT 0)."""
        if self._columns is None:
            with self._refusals(), self._connect() as connection:
                result = self._execute(connection, f"SELECT * FROM ({self._sql}) AS q LIMIT 0")
                self._columns = tuple(result.keys())
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
            raise QueryError(f"the database refused the SQL statement: {driver_message(err)}") from None
        except (ValueError, TypeError, OverflowError) as err:  # a bind value the driver cannot send
            raise QueryError(f"the SQL statement's bind values cannot be sent: {err}") from None

    def rows(self, shape: QueryShape) -> Iterator[dict[str, Any]]:
        """Stream the rows as dicts."""
        with self._refusals(), self._connect() as connection:
            text = self._wrapped(shape, connection.dialect.identifier_preparer)
            result = self._execute(connection.execution_options(yield_per=BATCH_ROWS), text)
            for batch in result.mappings().partitions(BATCH_ROWS):
                yield from (dict(row) for row in batch)

    def count(self, shape: QueryShape) -> int:
        """``SELECT count(*)`` over the (limited) statement."""
        with self._refusals(), self._connect() as connection:
            inner = self._wrapped(QueryShape(limit=shape.limit, offset=shape.offset),
                                  connection.dialect.identifier_preparer)
            return int(self._execute(connection, f"SELECT count(*) FROM ({inner}) AS c").scalar_one())
