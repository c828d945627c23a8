"""Connections for select_sql: the database refuses writes, statements time out, nothing outlives the query.

- SQLite file: a separate connection opened with ``mode=ro`` and ``PRAGMA query_only``.
- SQLite in memory: the registry's connection with ``PRAGMA query_only`` for the query's duration
  (the caller fetches every row inside it, so a half-read result never leaves it query-only).
- PostgreSQL: a connection of its own, taken out of the pool (``detach``) and closed afterwards, so
  whatever a statement did to its session (advisory locks, settings, prepared statements) ends with
  it; in a ``READ ONLY`` transaction with ``statement_timeout``, always rolled back (so a large object
  made by ``lo_create`` is undone).

SQLite has no statement timeout: a progress handler interrupts a statement that runs past the
deadline, which restarts each time the caller fetches a batch (``Deadline.restart``).
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import sqlalchemy as sa

from ..id_lists import register_sqlite_functions
from ..session import Session

DEFAULT_SELECT_TIMEOUT_S = 30.0
"""How long one select_sql statement (or one fetch of a batch of its rows) may run."""
_PROGRESS_STEPS = 10_000
"""SQLite virtual-machine steps between two looks at the clock."""


@attrs.define
class Deadline:
    """When the running statement must stop; restarted before each batch is fetched."""

    timeout_s: float
    expires: float = 0.0

    def restart(self) -> None:
        """Allow ``timeout_s`` from now."""
        self.expires = time.monotonic() + self.timeout_s

    def passed(self) -> int:
        """1 (stop) once the deadline has passed, else 0 (SQLite's progress handler protocol)."""
        return 1 if time.monotonic() > self.expires else 0


@attrs.frozen
class ReadOnly:
    """A connection that cannot write, and the deadline of its statements."""

    connection: sa.Connection
    deadline: Deadline


class ReadOnlyConnections:
    """Opens connections on which the database refuses every write (see the module docstring)."""

    def __init__(self, engine: sa.Engine, session: Session, namespace: str | None, memory: bool, *,
                 prepare: Callable[[Any], None] | None = None) -> None:
        self._engine = engine
        self._prepare = prepare
        self._session = session
        self._namespace = namespace
        self._memory = memory
        self._sqlite_engine: sa.Engine | None = None

    @property
    def postgresql(self) -> bool:
        """Whether the database is PostgreSQL (whose SQL the statement check lexes)."""
        return self._engine.dialect.name == "postgresql"

    @property
    def buffered(self) -> bool:
        """Whether rows must be fetched all at once (the connection is the registry's own)."""
        return self._memory and self._engine.dialect.name == "sqlite"

    def close(self) -> None:
        """Dispose of the separate SQLite read-only engine, if one was made."""
        if self._sqlite_engine is not None:
            self._sqlite_engine.dispose()
            self._sqlite_engine = None

    @contextmanager
    def connect(self, timeout_s: float) -> Iterator[ReadOnly]:
        """A connection in a transaction that cannot write, whose statements stop after ``timeout_s``."""
        deadline = Deadline(timeout_s)
        deadline.restart()
        dialect = self._engine.dialect.name
        if dialect == "sqlite" and self._memory:
            with self._session.reading() as connection, _interrupting(connection, deadline):
                connection.exec_driver_sql("PRAGMA query_only = ON")
                try:
                    yield ReadOnly(connection, deadline)
                finally:
                    connection.exec_driver_sql("PRAGMA query_only = OFF")
            return
        if dialect == "sqlite":
            with self._sqlite_read_only().connect() as connection, _interrupting(connection, deadline):
                transaction = connection.begin()
                try:
                    yield ReadOnly(connection, deadline)
                finally:
                    transaction.rollback()
            return
        connection = self._engine.connect()
        try:
            connection.detach()  # closed, not pooled, afterwards: nothing the statement did to the session stays
            transaction = connection.begin()
            try:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}")
                connection.exec_driver_sql("SET LOCAL standard_conforming_strings = on")  # as sql_calls lexes
                if self._namespace is not None:
                    quoted = connection.dialect.identifier_preparer.quote_schema(self._namespace)
                    connection.exec_driver_sql(f"SET LOCAL search_path TO {quoted}")
                yield ReadOnly(connection, deadline)
            finally:
                transaction.rollback()  # never commit: undo whatever a function managed to do
        finally:
            connection.close()

    def _sqlite_read_only(self) -> sa.Engine:
        if self._sqlite_engine is None:
            path = urllib.parse.quote(os.path.abspath(str(self._engine.url.database or "")))
            url = sa.URL.create("sqlite", database=f"file:{path}", query={"mode": "ro", "uri": "true"})
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

            @sa.event.listens_for(engine, "connect")
            def _read_only(dbapi_connection: Any, _record: Any) -> None:
                register_sqlite_functions(dbapi_connection)
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


@contextmanager
def _interrupting(connection: sa.Connection, deadline: Deadline) -> Iterator[None]:
    """Interrupt the SQLite statements run in the block once ``deadline`` passes."""
    driver = connection.connection.driver_connection
    driver.set_progress_handler(deadline.passed, _PROGRESS_STEPS)  # type: ignore[union-attr]
    try:
        yield
    finally:
        driver.set_progress_handler(None, 0)  # type: ignore[union-attr]
