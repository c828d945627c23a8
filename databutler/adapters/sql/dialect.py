"""The few statements whose SQL differs between SQLite and PostgreSQL, behind small helpers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")

IN_CHUNK = 500
"""How many values one ``IN (...)`` list may hold; keeps every dialect under its bind limit."""


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Yield ``values`` in slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


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
