"""The tables of the sky-pixel index and of the computed overlaps between spatial families.

For each element of a spatial family (``topology.spatial``), ``<element>_skypix_overlap`` holds
the common pixelization's pixels (htm7) that cover each record's region. For each pair of
elements of two families, ``<a>_<b>_spatial_overlap`` holds the pairs of records whose regions
overlap, found through the shared pixels and refined exactly. Columns are named by DataUnit
(``instrument``, ``visit``, ``skymap``, ``tract``, ``patch``), so queries join them like any
other relation.
"""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa

from ...domain.universe import Universe

SKYPIX_COLUMN = "skypix_index"


def skypix_table_name(element: str) -> str:
    """The name of ``element``'s sky-pixel index table."""
    return f"{element}_skypix_overlap"


def pair_table_name(first: str, second: str) -> str:
    """The name of the table of computed overlaps between records of ``first`` and ``second``."""
    return f"{first}_{second}_spatial_overlap"


def spatial_pairs(universe: Universe) -> list[tuple[str, str]]:
    """Every (a, b) of elements of two different spatial families, in family order."""
    families = [members for _, members in universe.topology.spatial] if universe.topology.has_spatial else []
    return [(a, b) for f1, f2 in itertools.combinations(families, 2) for a in f1 for b in f2]


def unit_columns(universe: Universe, element: str, *, primary_key: bool) -> list[sa.Column[Any]]:
    """One column per unit identifying a record of ``element``, named by the unit."""
    from .schema import column_type
    return [sa.Column(unit, column_type(universe.unit(unit).key), primary_key=primary_key, nullable=False)
            for unit in universe.required(element)]


def spatial_tables(universe: Universe, metadata: sa.MetaData, *, prefix: str = ""
                   ) -> tuple[dict[str, sa.Table], dict[tuple[str, str], sa.Table]]:
    """The skypix index tables (by element) and the overlap tables (by element pair) of ``universe``."""
    if not universe.topology.has_spatial:
        return {}, {}
    skypix: dict[str, sa.Table] = {}
    for element in universe.topology.spatial_elements():
        name = prefix + skypix_table_name(element)
        skypix[element] = sa.Table(
            name, metadata, *unit_columns(universe, element, primary_key=True),
            sa.Column(SKYPIX_COLUMN, sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Index(f"ix_{name}_pixel", SKYPIX_COLUMN),
            comment=f"The common skypix pixels ({universe.topology.common.name if universe.topology.common else ''}) "
                    f"covering each {element} region")
    pairs: dict[tuple[str, str], sa.Table] = {}
    for first, second in spatial_pairs(universe):
        columns: dict[str, sa.Column[Any]] = {}
        for column in (*unit_columns(universe, first, primary_key=True),
                       *unit_columns(universe, second, primary_key=True)):
            columns.setdefault(column.name, column)
        name = prefix + pair_table_name(first, second)
        second_units = list(universe.required(second))
        pairs[(first, second)] = sa.Table(
            name, metadata, *columns.values(), sa.Index(f"ix_{name}_second", *second_units),
            comment=f"Which {first} and {second} regions overlap (computed)")
    return skypix, pairs
