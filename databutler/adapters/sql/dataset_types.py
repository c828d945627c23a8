"""Registered DatasetTypes, cached by name and by id."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import sqlalchemy as sa

from ...domain.dataset_type import DatasetType, missing_dataset_type
from ...domain.errors import DatasetTypeError
from ...domain.universe import Universe
from .layout import Layout
from .unit_indexes import ensure_combination_index


class DatasetTypeManager:
    """Reads and writes the ``dataset_type`` table; every type found is remembered until removed."""

    def __init__(self, universe: Universe, layout: Layout) -> None:
        self._universe = universe
        self._layout = layout
        self._table = layout.reads.dataset_type
        self._dataset = layout.reads.dataset
        self._written = layout.writes.dataset_type
        self._by_name: dict[str, tuple[int, DatasetType]] = {}
        self._by_id: dict[int, DatasetType] = {}

    def clear_cache(self) -> None:
        """Forget every remembered DatasetType."""
        self._by_name.clear()
        self._by_id.clear()

    def _remember(self, type_id: int, dataset_type: DatasetType) -> None:
        self._by_name[dataset_type.name] = (type_id, dataset_type)
        self._by_id[type_id] = dataset_type

    def _from_row(self, type_id: Any, name: Any, units: Any, storage_class: Any,
                  is_calibration: Any) -> tuple[int, DatasetType]:
        dataset_type = DatasetType(name, tuple(json.loads(units)), storage_class, is_calibration=bool(is_calibration))
        self._remember(type_id, dataset_type)
        return type_id, dataset_type

    def _columns(self) -> tuple[sa.Column[Any], ...]:
        t = self._table.c
        return (t.id, t.name, t.units, t.storage_class, t.is_calibration)

    def find(self, connection: sa.Connection, name: str) -> tuple[int, DatasetType] | None:
        """The id and definition of DatasetType ``name``, or None if it is not registered."""
        if not isinstance(name, str):
            raise DatasetTypeError(f"a dataset type is named by a string, not {type(name).__name__}")
        hit = self._by_name.get(name)
        if hit is not None:
            return hit
        row = connection.execute(sa.select(*self._columns()).where(self._table.c.name == name)).first()
        return None if row is None else self._from_row(*row)

    def get(self, connection: sa.Connection, name: str) -> tuple[int, DatasetType]:
        """The id and definition of DatasetType ``name``, or MissingDatasetTypeError."""
        found = self.find(connection, name)
        if found is None:
            raise missing_dataset_type(name, (t.name for t in self.query(connection, None)))
        return found

    def by_ids(self, connection: sa.Connection, ids: set[int]) -> dict[int, DatasetType]:
        """The DatasetTypes with these ids."""
        missing = [i for i in ids if i not in self._by_id]
        if missing:
            query = sa.select(*self._columns()).where(self._table.c.id.in_(missing))
            for row in connection.execute(query):
                self._from_row(*row)
        return {i: self._by_id[i] for i in ids if i in self._by_id}

    def cached(self, name: str) -> DatasetType | None:
        """DatasetType ``name`` if it is remembered (no database read)."""
        hit = self.cached_with_id(name)
        return None if hit is None else hit[1]

    def cached_with_id(self, name: str) -> tuple[int, DatasetType] | None:
        """The id and definition of DatasetType ``name`` if it is remembered (no database read)."""
        return self._by_name.get(name)

    def store(self, connection: sa.Connection, dataset_type: DatasetType) -> DatasetType | None:
        """Add ``dataset_type`` (normalized), or return the registered one of that name, storing nothing."""
        existing = self.find(connection, dataset_type.name)
        if existing is not None:
            return existing[1]
        result = connection.execute(self._written.insert().values(
            name=dataset_type.name, units=json.dumps(list(dataset_type.units)),
            storage_class=dataset_type.storage_class, is_calibration=dataset_type.is_calibration))
        key = result.inserted_primary_key
        assert key is not None
        ensure_combination_index(connection, self._universe, self._layout.writes, dataset_type.units)
        self._remember(int(key[0]), dataset_type)
        return None

    def query(self, connection: sa.Connection, pattern: str | None) -> list[DatasetType]:
        """Registered DatasetTypes whose names match glob ``pattern``, sorted by name."""
        rows = connection.execute(sa.select(*self._columns()).order_by(self._table.c.name))
        types = [self._from_row(*row)[1] for row in rows]
        return [t for t in types if pattern is None or fnmatch.fnmatchcase(t.name, pattern)]

    def remove(self, connection: sa.Connection, name: str) -> None:
        """Remove DatasetType ``name`` unless datasets of it exist."""
        type_id, _ = self.get(connection, name)
        self._layout.check_dataset_type(type_id, name, f"remove dataset type {name!r}")
        count = connection.execute(sa.select(sa.func.count()).select_from(self._dataset)
                                   .where(self._dataset.c.dataset_type_id == type_id)).scalar_one()
        if count:
            raise DatasetTypeError(f"dataset type {name!r} still has {count} datasets; remove them before "
                                   "removing the dataset type")
        connection.execute(self._written.delete().where(self._written.c.id == type_id))
        self._by_name.pop(name, None)
        self._by_id.pop(type_id, None)

