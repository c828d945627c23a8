"""DatasetTypes in the Data Backbone: an OPS_FILETYPE row, its metadata table, and a ``DBB_DATASET_TYPE`` row.

Registering a DatasetType whose name is already an OPS_FILETYPE (a file type production made)
adopts it: its metadata table must carry the DatasetType's DataUnits. Otherwise a new file type is
written to OPS_FILETYPE and OPS_FILETYPE_METADATA (one row per mapped column, as DESDM lists the
header values it reads), described by the first site metadata table carrying all its DataUnits, or
by the adapter's own ``DBB_METADATA``.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import sqlalchemy as sa

from ...domain.dataset_type import DatasetType, missing_dataset_type
from ...domain.errors import DatasetTypeError
from ...domain.universe import Universe
from .catalog import MODULE, Catalog
from .mapping import OWN_TABLE, MetadataTable


@attrs.frozen
class TypeRecord:
    """A registered DatasetType, its integer id and its metadata table."""

    id: int
    definition: DatasetType
    table: MetadataTable


class DatasetTypes:
    """Reads, adopts, registers and removes DatasetTypes (remembered once read)."""

    def __init__(self, universe: Universe, catalog: Catalog) -> None:
        self._universe = universe
        self._catalog = catalog
        self._known: dict[str, TypeRecord] = {}
        self._by_id: dict[int, TypeRecord] = {}

    def clear_cache(self) -> None:
        """Forget remembered DatasetTypes (after a rollback)."""
        self._known.clear()
        self._by_id.clear()

    def _record(self, row: Any) -> TypeRecord:
        type_id, name, units, storage_class, table = row
        record = TypeRecord(type_id, DatasetType(name, tuple(json.loads(units)), storage_class),
                            self._catalog.metadata_table(table))
        self._known[name] = self._by_id[type_id] = record
        return record

    def _select(self) -> sa.Select[tuple[int, str, str, str, str]]:
        t = self._catalog.side.dataset_type.c
        return sa.select(t.id, t.filetype, t.units, t.storage_class, t.metadata_table)

    def find(self, connection: sa.Connection, name: str) -> TypeRecord | None:
        """DatasetType ``name``, or None."""
        hit = self._known.get(name)
        if hit is not None:
            return hit
        row = connection.execute(self._select().where(self._catalog.side.dataset_type.c.filetype == name)).first()
        return None if row is None else self._record(row)

    def cached(self, name: str) -> DatasetType | None:
        """DatasetType ``name`` if remembered."""
        hit = self._known.get(name)
        return None if hit is None else hit.definition

    def by_ids(self, connection: sa.Connection, ids: set[int]) -> dict[int, TypeRecord]:
        """The DatasetTypes with these ids."""
        missing = [i for i in ids if i not in self._by_id]
        if missing:
            for row in connection.execute(self._select().where(self._catalog.side.dataset_type.c.id.in_(missing))):
                self._record(row)
        return {i: self._by_id[i] for i in ids if i in self._by_id}

    def by_filetypes(self, connection: sa.Connection, names: set[str]) -> dict[str, TypeRecord]:
        """The DatasetTypes of these file types (file types never registered are absent)."""
        found = {n: self._known[n] for n in names if n in self._known}
        missing = [n for n in names if n not in found]
        if missing:
            for row in connection.execute(self._select().where(
                    self._catalog.side.dataset_type.c.filetype.in_(missing))):
                record = self._record(row)
                found[record.definition.name] = record
        return found

    def all(self, connection: sa.Connection) -> list[DatasetType]:
        """Every registered DatasetType."""
        return [self._record(row).definition for row in connection.execute(self._select())]

    def store(self, connection: sa.Connection, dataset_type: DatasetType) -> DatasetType | None:
        """Register ``dataset_type`` (adopting its OPS_FILETYPE if there is one); return the stored one if any."""
        existing = self.find(connection, dataset_type.name)
        if existing is not None:
            return existing.definition
        required = dataset_type.units
        desdm = self._catalog.desdm
        f = desdm.ops_filetype.c
        row = connection.execute(sa.select(f.METADATA_TABLE).where(f.FILETYPE == dataset_type.name)).first()
        if row is not None:
            table = self._adopted_table(dataset_type.name, row[0], required)
        else:
            table = self._choose(required)
            connection.execute(desdm.ops_filetype.insert().values(
                FILETYPE=dataset_type.name, METADATA_TABLE=table.name,
                DESCRIPTION=f"databutler DatasetType {dataset_type.name} ({dataset_type.storage_class})",
                FILETYPE_MGMT=MODULE))
            columns = [c for unit, c in table.columns.items() if unit in dataset_type.units or unit in required]
            if columns:
                connection.execute(desdm.ops_filetype_metadata.insert(), [
                    {"FILETYPE": dataset_type.name, "FILE_HEADER_NAME": str(c.name).lower(), "STATUS": "r",
                     "FILE_HDU": None, "DERIVED": "c"} for c in columns])
        connection.execute(self._catalog.side.dataset_type.insert().values(
            filetype=dataset_type.name, units=json.dumps(list(dataset_type.units)),
            storage_class=dataset_type.storage_class, metadata_table=table.name))
        return None

    def _adopted_table(self, name: str, metadata_table: str | None, required: tuple[str, ...]) -> MetadataTable:
        if not metadata_table:
            raise DatasetTypeError(f"file type {name!r} has no metadata table in OPS_FILETYPE, so its files carry no "
                                   "DataId; give it one (OPS_FILETYPE.METADATA_TABLE) before registering it")
        known = self._catalog.metadata_tables.get(metadata_table.upper())
        if known is None:
            raise DatasetTypeError(f"file type {name!r} names metadata table {metadata_table!r}, which is not in "
                                   "the database")
        missing = [u for u in required if u not in known.columns]
        if missing:
            raise DatasetTypeError(f"file type {name!r}: its metadata table {known.name} has no column mapped to "
                                   f"DataUnits {missing} (mapped: {_mapped(known)}); map one "
                                   "in the registry's 'units' option or register the DatasetType with other DataUnits")
        return known

    def _choose(self, required: tuple[str, ...]) -> MetadataTable:
        tables = sorted(self._catalog.metadata_tables.values(), key=lambda t: (t.name == OWN_TABLE, t.name))
        for table in tables:
            if table.covers(required):
                return table
        raise DatasetTypeError(f"no metadata table has columns for DataUnits {list(required)}")

    def remove(self, connection: sa.Connection, name: str, in_use: bool) -> None:
        """Remove DatasetType ``name`` (and the file type databutler made for it) unless it has datasets."""
        record = self.find(connection, name)
        if record is None:
            raise missing_dataset_type(name, (t.name for t in self.all(connection)))
        if in_use:
            raise DatasetTypeError(f"cannot remove dataset type {name!r}: datasets of it exist; remove them first")
        desdm, side = self._catalog.desdm, self._catalog.side
        connection.execute(side.dataset_type.delete().where(side.dataset_type.c.filetype == name))
        f = desdm.ops_filetype.c
        if connection.execute(sa.select(f.FILETYPE_MGMT).where(f.FILETYPE == name)).scalar() == MODULE:
            m = desdm.ops_filetype_metadata
            connection.execute(m.delete().where(m.c.FILETYPE == name))
            connection.execute(desdm.ops_filetype.delete().where(f.FILETYPE == name))
        self._known.pop(name, None)
        self._by_id.pop(record.id, None)


def _mapped(table: MetadataTable) -> dict[str, str]:
    """DataUnit -> column name of a metadata table, for messages."""
    return {unit: str(column.name).upper() for unit, column in sorted(table.columns.items())}
