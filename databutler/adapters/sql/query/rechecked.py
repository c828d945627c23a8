"""A query through a remembered search path, run without first reading whether the path still holds.

Resolving a search path through chains reads the chain version: one round trip before every query,
a third of a selective query's time on PostgreSQL. A path resolved before is used as it was instead,
and the statement itself checks the version (``CollectionManager.version_guard``): its rows prove the
path held in the snapshot that found them. No rows prove nothing, so then the version is read; if a
chain changed, the query is made again from the path as it is now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from ....ports.query_results import QueryExecutor, QueryShape

T = TypeVar("T")


class Rechecked(QueryExecutor[T]):
    """``guarded``'s answer when it has rows, else (if ``changed()``) the answer of the query ``again()`` makes."""

    def __init__(self, guarded: QueryExecutor[T], changed: Callable[[], bool],
                 again: Callable[[], QueryExecutor[T]]) -> None:
        self._guarded = guarded
        self._changed = changed
        self._again = again

    @property
    def columns(self) -> tuple[str, ...]:
        """The guarded query's fields (the query made again has the same)."""
        return self._guarded.columns

    def check_order(self, fields: Sequence[str]) -> None:
        """See QueryExecutor.check_order."""
        self._guarded.check_order(fields)

    def rows(self, shape: QueryShape) -> Iterator[T]:
        """The guarded rows; when there are none and the path changed, the rows of the query made again."""
        return self._rows(self._guarded.rows(shape), shape)  # the statement is built (and checked) now

    def _rows(self, guarded: Iterator[T], shape: QueryShape) -> Iterator[T]:
        empty = True
        for row in guarded:
            empty = False
            yield row
        if empty and self._changed():
            yield from self._again().rows(shape)

    def count(self, shape: QueryShape) -> int:
        """See QueryExecutor.count (a count of 0 is checked as no rows are)."""
        found = self._guarded.count(shape)
        if found == 0 and self._changed():
            return self._again().count(shape)
        return found

    def any(self, shape: QueryShape) -> bool:
        """See QueryExecutor.any."""
        found = self._guarded.any(shape)
        if not found and self._changed():
            return self._again().any(shape)
        return found
