"""Which metadata columns are which DataUnits, and which metadata table a DatasetType's rows go in.

``butler.yaml`` maps metadata column names to DataUnits once for the site (``units: {CAMSYM:
instrument, EXPNUM: exposure, CCDNUM: detector, BAND: band, ...}``); a metadata table carries a
DataUnit when it has a column mapped to it. The adapter's own ``DBB_METADATA`` table has one
column per DataUnit of the universe and carries them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from ...domain.errors import ConfigError, DatasetTypeError
from ...domain.suggestions import hint
from ...domain.universe import Universe
from ..sql.schema import column_type

OWN_TABLE = "DBB_METADATA"
"""The metadata table of DatasetTypes no site table covers (a side table)."""


def unit_mapping(universe: Universe, units: Any) -> dict[str, str]:
    """The ``units:`` option checked against ``universe``: upper-case column name -> DataUnit."""
    if units is None:
        return {}
    if not isinstance(units, Mapping):
        raise ConfigError(f"dbb registry: 'units' maps metadata columns to DataUnits, e.g. {{CAMSYM: instrument}}; "
                          f"got {units!r}")
    known = [u.name for u in universe.units]
    mapping: dict[str, str] = {}
    for column, unit in units.items():
        if not isinstance(column, str) or not isinstance(unit, str):
            raise ConfigError(f"dbb registry: units: {column!r}: {unit!r} must map a column name to a DataUnit name")
        if unit not in known:
            close = hint(unit, known)
            raise ConfigError(f"dbb registry: metadata column {column!r} is mapped to {unit!r}, which is not a "
                              f"DataUnit of the universe{'; ' + close if close else ''} (DataUnits: {known})")
        mapping[column.upper()] = unit
    if len(set(mapping.values())) != len(mapping):
        raise ConfigError("dbb registry: two metadata columns are mapped to the same DataUnit; map each DataUnit once")
    return mapping


@attrs.frozen
class MetadataTable:
    """A metadata table and the DataUnit each of its mapped columns holds."""

    name: str
    table: sa.Table
    columns: Mapping[str, sa.Column[Any]]
    """DataUnit -> the column holding it."""

    def covers(self, units: Sequence[str]) -> bool:
        """Whether every one of ``units`` has a column here."""
        return all(u in self.columns for u in units)

    def value(self, universe: Universe, unit: str) -> sa.ColumnElement[Any]:
        """The column of ``unit``, cast to the DataUnit's key type when the site stores it otherwise (NITE)."""
        column = self.columns[unit]
        wanted = column_type(universe.unit(unit).key)
        if column.type._type_affinity is wanted._type_affinity:
            return column
        return sa.cast(column, wanted)


def describe_table(universe: Universe, table: sa.Table, mapping: Mapping[str, str], *, own: bool) -> MetadataTable:
    """The DataUnit columns of metadata ``table`` (every unit column of the adapter's own table)."""
    if own:
        columns = {u.name: table.c[u.name] for u in universe.units}
    else:
        columns = {mapping[c.name.upper()]: c for c in table.columns if c.name.upper() in mapping}
    return MetadataTable(str(table.name).upper(), table, columns)


def choose_table(tables: Sequence[MetadataTable], required: Sequence[str]) -> MetadataTable:
    """The first site table carrying every one of ``required``, else the adapter's own one (last)."""
    for table in tables:
        if table.covers(required):
            return table
    raise DatasetTypeError(f"no metadata table has columns for DataUnits {list(required)}")
