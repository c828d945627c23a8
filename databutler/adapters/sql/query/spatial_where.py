"""Spatial predicates of where expressions: the records whose region overlaps a given region.

``element.region OVERLAPS <region>`` is answered before the statement is built: the common
pixelization's pixels covering the region find candidate records in the element's skypix index
(all its records, for an element without one or a region covering much of the sky), and sphgeom
keeps those whose region may overlap (as the reference: dropped only when ruled out). The
statement then tests the element's key against those records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ....domain.query import ResolvedExpression
from ....domain.query.ast import Identifier, Overlaps, walk
from ....domain.query.spatial import region_of
from ....domain.region import Region
from ....domain.skypix import pixelization
from ....domain.universe import Universe
from ....domain.values import FieldType
from ..dialect import chunks
from ..schema import Schema
from ..spatial_schema import SKYPIX_COLUMN

Key = tuple[Any, ...]
SpatialMatches = Mapping[int, tuple[str, tuple[str, ...], list[Key]]]
"""id of an OVERLAPS node -> (element, its key fields, the key values of its matching records)."""

MAX_INDEX_PIXELS = 20_000
"""Beyond this many pixels a region covers, the element's records are all refined instead."""


def spatial_nodes(resolved: ResolvedExpression) -> list[Overlaps]:
    """The OVERLAPS nodes of ``resolved`` that test a region field."""
    if resolved.node is None:
        return []
    return [n for n in walk(resolved.node) if isinstance(n, Overlaps) and isinstance(n.left, Identifier)
            and resolved.column(n.left).type is FieldType.REGION]


def spatial_matches(connection: sa.Connection, universe: Universe, schema: Schema,
                    resolved: ResolvedExpression) -> dict[int, tuple[str, tuple[str, ...], list[Key]]]:
    """For each spatial OVERLAPS of ``resolved``, the keys of the records whose region overlaps its region."""
    found: dict[int, tuple[str, tuple[str, ...], list[Key]]] = {}
    for node in spatial_nodes(resolved):
        assert isinstance(node.left, Identifier)
        ref = resolved.column(node.left)
        region = region_of(node.right)
        table = schema.elements[ref.element]
        fields = universe.key_fields(ref.element)
        candidates = _candidates(connection, universe, schema, ref.element, region)
        regions = _regions(connection, table, fields, ref.field, candidates)
        keys = [k for k, r in regions.items() if region.overlaps(r) is not False]
        found[id(node)] = (ref.element, tuple(fields), sorted(keys, key=repr))
    return found


def _candidates(connection: sa.Connection, universe: Universe, schema: Schema, element: str,
                region: Region) -> list[Key] | None:
    """Keys of the records the skypix index says may overlap ``region`` (None: every record)."""
    index = schema.skypix.get(element)
    common = universe.topology.common
    if index is None or common is None:
        return None
    pixels = [i for begin, end in pixelization(common).envelope(region) for i in range(begin, end)]
    if len(pixels) > MAX_INDEX_PIXELS:
        return None
    columns = [index.c[u] for u in universe.required(element)]
    keys: set[Key] = set()
    for part in chunks(pixels):
        query = sa.select(*columns).distinct().where(index.c[SKYPIX_COLUMN].in_(part))
        keys.update(tuple(row) for row in connection.execute(query))
    return sorted(keys, key=repr)


def _regions(connection: sa.Connection, table: sa.Table, fields: Sequence[str], field: str,
             keys: list[Key] | None) -> dict[Key, Region]:
    columns = [table.c[f] for f in fields]
    query = sa.select(*columns, table.c[field]).where(table.c[field].is_not(None))
    found: dict[Key, Region] = {}
    if keys is None:
        rows: Any = connection.execute(query)
        found.update((tuple(row[:-1]), row[-1]) for row in rows)
        return found
    for part in chunks(keys):
        where = sa.tuple_(*columns).in_(part) if len(columns) > 1 else columns[0].in_([k[0] for k in part])
        found.update((tuple(row[:-1]), row[-1]) for row in connection.execute(query.where(where)))
    return found


def matching_condition(table: sa.FromClause, fields: Sequence[str], keys: list[Key]) -> sa.ColumnElement[bool]:
    """The condition that a row of ``table`` (an element's records) has one of ``keys`` in its key ``fields``."""
    if not keys:
        return sa.false()
    columns = [table.c[f] for f in fields]
    if len(columns) == 1:
        return columns[0].in_([k[0] for k in keys])
    return sa.tuple_(*columns).in_(keys)
