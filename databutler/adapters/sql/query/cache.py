"""Reusing built statements: a query's SELECT depends on its shape, not on its literal values.

Building a SQLAlchemy statement costs more than running a small one, so each literal of a where
expression becomes a named bind parameter (``w<i>``, ``i`` its index in ``walk`` order) and a
built statement is kept under a key of everything that shapes it: the expression text, the
*kinds* of its bind values (a list's length, a range's bounds, a timespan's open ends: what
changes the tree), the data ID's units, the dataset relation and the sort. The next query with
the same key reuses the statement with its own values. Integer ranges stay inline: they are
part of the key.
"""

from __future__ import annotations

import collections
import datetime
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import sqlalchemy as sa

from ....domain.query import (
    BooleanLiteral,
    FloatLiteral,
    IntegerLiteral,
    Node,
    StringLiteral,
    TimeLiteral,
    walk,
)
from ....domain.values import Timespan

CACHE_SIZE = 256
_PARAMETERIZED = (IntegerLiteral, FloatLiteral, StringLiteral, BooleanLiteral, TimeLiteral)


def parameter_names(node: Node | None) -> dict[int, str]:
    """The bind-parameter name of each literal node of a tree, by node identity."""
    if node is None:
        return {}
    return {id(n): f"w{i}" for i, n in enumerate(walk(node)) if isinstance(n, _PARAMETERIZED)}


def parameter_values(node: Node | None) -> dict[str, Any]:
    """The values for ``parameter_names``' parameters."""
    if node is None:
        return {}
    return {f"w{i}": n.value for i, n in enumerate(walk(node)) if isinstance(n, _PARAMETERIZED)}


def bind_signature(bind: Mapping[str, Any] | None) -> Hashable | None:
    """What about ``bind``'s values changes a bound tree's shape; None when that cannot be told."""
    if not isinstance(bind, Mapping):
        return None
    if not bind:
        return ()
    try:
        return tuple(sorted((str(name), _kind(value)) for name, value in bind.items()))
    except TypeError:
        return None


def _kind(value: Any) -> Hashable:
    if isinstance(value, range):
        return ("range", value.start, value.stop, value.step)
    if isinstance(value, Timespan):
        return ("timespan", value.begin is None, value.end is None)
    if isinstance(value, str | bytes | int | float | datetime.date) or value is None:
        return type(value).__name__
    if isinstance(value, list | tuple | set | frozenset):
        return ("collection", type(value).__name__, tuple(_kind(v) for v in value))
    raise TypeError("not a plain value")


class StatementCache:
    """A small LRU map from query keys to built statements."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: collections.OrderedDict[Hashable, sa.Select[Any]] = collections.OrderedDict()

    def get(self, key: Hashable | None) -> sa.Select[Any] | None:
        """The statement kept under ``key`` (None for a None key or a miss)."""
        if key is None:
            return None
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def get_or_build(self, key: Hashable | None, build: Callable[[], sa.Select[Any]]) -> sa.Select[Any]:
        """The statement kept under ``key``, built with ``build`` and kept on a miss."""
        statement = self.get(key)
        if statement is None:
            statement = build()
            self.put(key, statement)
        return statement

    def put(self, key: Hashable | None, statement: sa.Select[Any]) -> None:
        """Keep ``statement`` under ``key`` (nothing for a None key)."""
        if key is None:
            return
        self._entries[key] = statement
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
