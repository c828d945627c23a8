"""DataUnit records for the labels production wrote: what the metadata columns say exists.

Production's files carry their DataIds in metadata columns, but DESDM keeps no DataUnit records
(no table of instruments, exposures or detectors that databutler's queries join). Adopting reads
the distinct values of the mapped columns of every metadata table and inserts the records they
imply, in universe order (an instrument before its exposures), with implied values the same row
carries (an exposure's day_obs from NITE); records already there are kept as they are. Creating
the side tables adopts once; run ``DbbRegistry.adopt_data_units()`` again after production has
delivered new data (it reads only distinct values, so it is cheap to repeat).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.universe import Universe
from .mapping import OWN_TABLE, MetadataTable

Insert = Callable[[str, Sequence[dict[str, Any]]], int]


def adopt_data_units(connection: sa.Connection, universe: Universe, tables: Sequence[MetadataTable],
                     insert: Insert) -> dict[str, int]:
    """Insert the DataUnit records the metadata tables' labels imply; return how many were new, per DataUnit."""
    added: dict[str, int] = {}
    site_tables = [t for t in tables if t.name != OWN_TABLE]
    for unit in universe.units:
        required = universe.required(unit.name)
        fields = universe.key_fields(unit.name)
        found: dict[tuple[Any, ...], dict[str, Any]] = {}
        for table in site_tables:
            if not table.covers(required):
                continue
            implied = [i for i in unit.implies if i in table.columns]
            keys = [table.value(universe, u) for u in required]
            query = sa.select(*keys, *(table.value(universe, i) for i in implied)).where(
                *(k.is_not(None) for k in keys)).distinct()
            for row in connection.execute(query):
                key = tuple(row[:len(required)])
                record = found.setdefault(key, dict(zip(fields, key, strict=True)))
                for name, value in zip(implied, row[len(required):], strict=True):
                    if value is not None:
                        record.setdefault(name, value)
        if found:
            added[unit.name] = insert(unit.name, list(found.values()))
    return added
