"""Running a query statement for any shape: streaming rows in batches, counting, ordering.

Rows stream with ``yield_per`` (a server-side cursor on PostgreSQL), converted to domain
objects one batch at a time. Outside a registry transaction, streaming runs on a connection of
its own, so writes the caller makes while iterating are neither blocked nor undone when the
iteration is abandoned; inside a transaction it uses the registry's connection, so it sees the
transaction's own writes.
"""

from __future__ import annotations

import abc
import contextlib
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa

from ....ports.query_results import QueryExecutor, QueryShape
from .. import driver
from ..dialect import collector_paused
from ..engine import begin
from ..errors import translated
from ..session import Session

T = TypeVar("T")
BATCH_ROWS = 1000
"""Rows fetched from the cursor and converted at a time while streaming."""


class Streamer:
    """Hands out connections to run queries on, per the rule in the module docstring."""

    def __init__(self, session: Session, engine: sa.Engine, *, shared_only: bool) -> None:
        self._session = session
        self._engine = engine
        self._shared_only = shared_only
        self._idle: sa.Connection | None = None
        """A streaming connection kept for the next iteration: checking one out costs more than a small query."""

    def close(self) -> None:
        """Close the kept streaming connection."""
        idle, self._idle = self._idle, None
        if idle is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                idle.close()

    @property
    def fetch_first(self) -> bool:
        """Whether a query first asks for one batch in one round trip (PostgreSQL: a server-side cursor costs
        a BEGIN, a DECLARE, FETCHes, a CLOSE and a COMMIT, most of a selective query's time)."""
        return self._engine.dialect.name == "postgresql"

    def reading(self) -> AbstractContextManager[sa.Connection]:
        """The registry's connection in a read transaction (for short statements)."""
        return self._session.reading()

    @contextmanager
    def streaming(self) -> Iterator[sa.Connection]:
        """A connection for a long iteration (see the module docstring)."""
        if self._shared_only or self._session.in_transaction():
            with self._session.reading(single_statements=False) as shared:
                yield shared
            return
        connection, self._idle = self._idle or self._engine.connect(), None
        try:
            with begin(connection, write=False):
                yield connection
        except BaseException:
            connection.close()
            raise
        if self._idle is None and not connection.invalidated:
            self._idle = connection
        else:
            connection.close()


class SqlQuery(QueryExecutor[T], abc.ABC):
    """A query whose rows are one SELECT statement; subclasses build it and convert rows."""

    action = "run a query"

    def __init__(self, streamer: Streamer) -> None:
        self._streamer = streamer

    @abc.abstractmethod
    def statement(self, order_by: Sequence[str]) -> sa.Select[Any]:
        """The SELECT of the query's rows, sorted by ``order_by`` (without limit)."""

    @abc.abstractmethod
    def convert(self, connection: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[T]:
        """Domain objects for a batch of result rows."""

    def parameters(self) -> dict[str, Any]:
        """Values of the statement's named bind parameters."""
        return {}

    def shaped(self, shape: QueryShape) -> sa.Select[Any]:
        """``statement`` with the limit and offset of ``shape``."""
        statement = self.statement(shape.order_by)
        if shape.limit is None and not shape.offset:
            return statement
        return _limited(statement, shape.limit, shape.offset)

    def rows(self, shape: QueryShape) -> Iterator[T]:
        """Stream the rows, ``BATCH_ROWS`` at a time."""
        statement = self.shaped(shape)  # build (and so check) before the first next()
        if not self._streamer.fetch_first:
            return self._stream(statement)
        whole = shape.limit is not None and shape.limit <= BATCH_ROWS
        first = statement if whole else self.shaped(attrs_evolve(shape, limit=BATCH_ROWS + 1))
        return self._fetched_first(first, statement, whole)

    def _fetched_first(self, first: sa.Select[Any], statement: sa.Select[Any], whole: bool) -> Iterator[T]:
        """All rows from one plain fetch when there are at most ``BATCH_ROWS`` of them, else the stream of
        ``statement`` (the fetched rows are dropped: the stream's rows are one consistent answer)."""
        with translated(self.action), self._streamer.reading() as connection:
            batch = driver.mappings(connection, first, self.parameters())
            fits = whole or len(batch) <= BATCH_ROWS
            with collector_paused():
                converted = self.convert(connection, batch) if fits and batch else []
        if fits:
            yield from converted
            return
        yield from self._stream(statement)

    def _stream(self, statement: sa.Select[Any]) -> Iterator[T]:
        with translated(self.action), self._streamer.streaming() as connection:
            result = connection.execution_options(yield_per=BATCH_ROWS).execute(statement, self.parameters())
            rows = result.mappings()
            while True:
                with collector_paused():  # a batch is many acyclic objects; never paused while the caller runs
                    batch = rows.fetchmany(BATCH_ROWS)
                    converted = self.convert(connection, batch) if batch else []
                if not batch:
                    return
                yield from converted

    def count(self, shape: QueryShape) -> int:
        """``SELECT count(*)`` over the shaped statement."""
        statement = self.shaped(attrs_evolve(shape, order_by=()))
        query = sa.select(sa.func.count()).select_from(statement.subquery())
        with translated(self.action), self._streamer.reading() as connection:
            return int(connection.execute(query, self.parameters()).scalar_one())

    def any(self, shape: QueryShape) -> bool:
        """``SELECT 1 ... LIMIT 1``."""
        statement = self.shaped(attrs_evolve(shape, order_by=(), limit=1 if shape.limit is None else
                                             min(shape.limit, 1)))
        with translated(self.action), self._streamer.reading() as connection:
            return connection.execute(statement, self.parameters()).first() is not None


@functools.lru_cache(maxsize=512)
def _limited(statement: sa.Select[Any], limit: int | None, offset: int) -> sa.Select[Any]:
    """``statement`` with ``limit`` and ``offset``, made once per kept statement.

    A new Select each time would cost SQLAlchemy its cache key and column set again on every run
    (0.1 ms, most of what a small query costs it on PostgreSQL, where each query is first run limited).
    Both are written into the text, not bound: a plan PostgreSQL keeps for a prepared statement would
    otherwise be made for an unknown limit (it chose an ordered scan of a whole index for a DISTINCT
    that wanted one row: 1.4 ms instead of 0.1).
    """
    if limit is not None:
        statement = statement.limit(sa.literal_column(str(int(limit))))
    if offset:
        statement = statement.offset(sa.literal_column(str(int(offset))))
    return statement


def attrs_evolve(shape: QueryShape, **changes: Any) -> QueryShape:
    """A copy of ``shape`` with ``changes``."""
    return attrs.evolve(shape, **changes)
