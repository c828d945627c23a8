"""Lazy, chainable query results: what the Registry's query methods return.

A result holds no rows until it is iterated; ``order_by`` and ``limit`` return a new result
with the refinement applied (the original is unchanged), so one query can be counted, checked
and streamed. Iteration streams rows from the backend in batches, so a million-row answer is
never held in memory at once.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

import attrs

from ..domain.errors import QueryError
from ..domain.values import INT64_MAX, shown

T_co = TypeVar("T_co", covariant=True)


@attrs.frozen
class QueryShape:
    """The refinements of a query: sort fields (``-`` prefix for descending), limit and offset."""

    order_by: tuple[str, ...] = ()
    limit: int | None = None
    offset: int = 0


class QueryExecutor(abc.ABC, Generic[T_co]):
    """What an adapter implements to answer one query, for any shape."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The names of the fields of each row (for tables and CSV output)."""
        return ()

    @abc.abstractmethod
    def check_order(self, fields: Sequence[str]) -> None:
        """Raise QueryError naming the closest valid fields if one of ``fields`` cannot sort."""

    @abc.abstractmethod
    def rows(self, shape: QueryShape) -> Iterator[T_co]:
        """Stream the rows of the query refined by ``shape``."""

    @abc.abstractmethod
    def count(self, shape: QueryShape) -> int:
        """How many rows ``rows(shape)`` would yield."""

    def any(self, shape: QueryShape) -> bool:
        """Whether ``rows(shape)`` would yield at least one row."""
        return self.count(attrs.evolve(shape, limit=1 if shape.limit is None else min(shape.limit, 1))) > 0


class QueryResults(Generic[T_co]):
    """A lazy query answer: ``order_by``, ``limit``, ``count()``, ``any()``, streaming iteration."""

    def __init__(self, executor: QueryExecutor[T_co], shape: QueryShape | None = None) -> None:
        self._executor = executor
        self._shape = shape or QueryShape()

    @property
    def columns(self) -> tuple[str, ...]:
        """The field names of each row, for display."""
        return self._executor.columns

    @property
    def shape(self) -> QueryShape:
        """The refinements applied so far."""
        return self._shape

    def order_by(self, *fields: str) -> QueryResults[T_co]:
        """Sort by ``fields`` (``visit``, ``-visit.exposure_time``: ``-`` is descending)."""
        for field in fields:
            if not isinstance(field, str) or not field.lstrip("-"):
                raise QueryError(f"sort fields are names such as 'visit' or '-visit', not {field!r}")
        self._executor.check_order(fields)
        return QueryResults(self._executor, attrs.evolve(self._shape, order_by=tuple(fields)))

    def limit(self, n: int, offset: int = 0) -> QueryResults[T_co]:
        """At most ``n`` rows, after skipping ``offset``."""
        for name, value in (("limit", n), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise QueryError(f"{name} must be a non-negative integer, not {shown(value)}")
            if value > INT64_MAX:
                raise QueryError(f"{name} {shown(value)} is larger than the largest the database takes ({INT64_MAX})")
        return QueryResults(self._executor, attrs.evolve(self._shape, limit=n, offset=offset))

    def count(self) -> int:
        """How many rows the query yields (computed by the backend, without fetching them)."""
        return self._executor.count(self._shape)

    def any(self) -> bool:
        """Whether the query yields at least one row."""
        return self._executor.any(self._shape)

    def __iter__(self) -> Iterator[T_co]:
        return self._executor.rows(self._shape)

    def __repr__(self) -> str:
        return f"QueryResults({type(self._executor).__name__}, {self._shape})"

