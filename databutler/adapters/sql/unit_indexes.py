"""The DataUnit indexes of the ``dataset`` table: one per common unit, one per dataset type's unit combination.

Every DataUnit is a column of the one ``dataset`` table. A query that names a visit and some detectors
would, with one index per column, read every dataset of the visit to keep a few: 10 rows at 10^5
datasets, 1,000 at 10^7. So each combination of units that a dataset type uses gets an index too,
its finest unit first (``visit, detector``; ``patch, tract``), made when the first type with that
combination is registered. Governor units (``instrument``, ``skymap``, ``band``) are left out: they
have a handful of values and a query names them beside the finer units anyway.

The indexes are partial (``WHERE <first column> IS NOT NULL``): a row of a type without that unit
costs nothing in them. A new combination registered on a table that already holds millions of rows
builds its index then, in the registration's transaction (on PostgreSQL, writes to ``dataset`` wait
for it: half a second per million rows on this machine).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from ...domain.universe import Universe
from .query.constraints import governors
from .schema import Schema

INDEXED_UNITS = ("detector", "exposure", "visit", "tract", "patch")
"""DataUnit columns of ``dataset`` that get an index of their own, for filtered dataset queries."""

WIDEST = 3
"""The most units a combination's index holds (the finest ones): more rarely narrow a search further."""

COMBINATION_PREFIX = "ix_dataset_units_"
"""The name of every combination's index starts so (``migrate`` drops them by it on the way down)."""


def combination_columns(universe: Universe, units: Iterable[str]) -> tuple[str, ...]:
    """The columns of the index for a dataset type of ``units``, finest first; () when none is needed.

    Later units of the universe first, as the DBB adapter orders its indexes: a unit comes after the
    units it requires or implies, so a visit (which names its instrument, filter and night) comes
    before a detector, and a patch before its tract. A lone unit with an index of its own needs no other.
    """
    left_out = set(governors(universe))
    columns = tuple(reversed([u for u in universe.sort_names(units) if u not in left_out]))[:WIDEST]
    if not columns or (len(columns) == 1 and columns[0] in INDEXED_UNITS):
        return ()
    return columns


def index_name(columns: Sequence[str]) -> str:
    """The name of the combination index on ``columns`` (hashed when it would pass PostgreSQL's 63 bytes)."""
    name = COMBINATION_PREFIX + "_".join(columns)
    if len(name.encode()) <= 63:
        return name
    digest = hashlib.sha1(json.dumps(list(columns)).encode()).hexdigest()[:12]
    return f"{COMBINATION_PREFIX}{digest}"


def _qualified(connection: sa.Connection, schema: Schema, name: str) -> tuple[str, str]:
    """The index ``name`` and the ``dataset`` table as CREATE INDEX names them (SQLite: the schema on the index)."""
    preparer = connection.dialect.identifier_preparer
    where = schema.dataset.schema
    if connection.dialect.name == "sqlite" and where is not None:
        return f"{preparer.quote(where)}.{preparer.quote(name)}", preparer.quote(schema.dataset.name)
    return preparer.quote(name), preparer.format_table(schema.dataset)


def _create(connection: sa.Connection, schema: Schema, name: str, columns: Sequence[str]) -> None:
    preparer = connection.dialect.identifier_preparer
    index, table = _qualified(connection, schema, name)
    listed = ", ".join(preparer.quote(c) for c in columns)
    connection.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {index} ON {table} ({listed}) "
                               f"WHERE {preparer.quote(columns[0])} IS NOT NULL"))


def single_index_name(unit: str) -> str:
    """The name of the index of ``unit`` alone."""
    return f"ix_dataset_unit_{unit}"


def _singles(universe: Universe, schema: Schema) -> list[str]:
    return [u for u in INDEXED_UNITS if u in universe and u in schema.dataset.c]


def _existing(connection: sa.Connection, schema: Schema) -> set[str]:
    where = schema.dataset.schema
    return {str(i["name"]) for i in sa.inspect(connection).get_indexes(schema.dataset.name, schema=where)}


def _drop(connection: sa.Connection, schema: Schema, name: str) -> None:
    qualified = connection.dialect.identifier_preparer.format_table(sa.table(name, schema=schema.dataset.schema))
    connection.execute(sa.text(f"DROP INDEX IF EXISTS {qualified}"))


def create_unit_indexes(connection: sa.Connection, universe: Universe, schema: Schema) -> None:
    """Create one index for each registered dataset type's combination, and the single-unit ones (idempotent).

    A unit that leads a combination's index needs no index of its own: the combination's serves
    a query of that unit alone as well, and each index costs every insert (a tenth of PostgreSQL's
    bulk insert rate).
    """
    rows = connection.execute(sa.select(schema.dataset_type.c.units)).scalars()
    combinations = [c for c in dict.fromkeys(combination_columns(universe, json.loads(units)) for units in rows) if c]
    for columns in combinations:
        _create(connection, schema, index_name(columns), columns)
    leading = {columns[0] for columns in combinations}
    for unit in _singles(universe, schema):
        if unit in leading:
            _drop(connection, schema, single_index_name(unit))
        else:
            _create(connection, schema, single_index_name(unit), (unit,))


def ensure_combination_index(connection: sa.Connection, universe: Universe, schema: Schema,
                             units: Sequence[str]) -> None:
    """Create the index for a new dataset type of ``units`` unless it exists (a read, not a lock, if it does).

    The index of its first unit alone, which it serves as well, is dropped.
    """
    columns = combination_columns(universe, units)
    if not columns:
        return
    existing = _existing(connection, schema)
    name = index_name(columns)
    if name not in existing:  # CREATE INDEX IF NOT EXISTS would lock the table against writes to find out
        _create(connection, schema, name, columns)
    if single_index_name(columns[0]) in existing:
        _drop(connection, schema, single_index_name(columns[0]))


def drop_combination_indexes(connection: sa.Connection, universe: Universe, schema: Schema) -> None:
    """Drop every combination index of ``schema``'s ``dataset`` table, restoring the single-unit ones first."""
    for unit in _singles(universe, schema):
        _create(connection, schema, single_index_name(unit), (unit,))
    for name in _existing(connection, schema):
        if name.startswith(COMBINATION_PREFIX):
            _drop(connection, schema, name)
