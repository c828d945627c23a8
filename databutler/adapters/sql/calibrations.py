"""Certifications in CALIBRATION collections: the storage of ``dataset_calib`` (rules: ports/calibration_rules.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.calibration import Certification, conflict
from ...domain.collection import CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset_type import DatasetType
from ...domain.errors import DataButlerError
from ...domain.values import Timespan
from .calibration_schema import from_columns, to_columns
from .collections import CollectionManager
from .dataset_types import DatasetTypeManager
from .datasets import DatasetManager
from .dialect import chunks
from .layout import Layout


class CalibrationManager:
    """Reads and writes ``dataset_calib``: one row per certified validity range."""

    def __init__(self, layout: Layout, collections: CollectionManager, dataset_types: DatasetTypeManager,
                 datasets: DatasetManager) -> None:
        self._layout = layout
        self._table = layout.reads.dataset_calib
        self._written = layout.writes.dataset_calib
        self._collections = collections
        self._types = dataset_types
        self._datasets = datasets

    def _collection_id(self, connection: sa.Connection, collection: str) -> int:
        return self._collections.get(connection, collection, CollectionKind.CALIBRATION).id

    def lock(self, connection: sa.Connection) -> None:
        """On PostgreSQL, block other writers of ``dataset_calib`` (not its readers) until the transaction ends.

        The overlap check reads before it writes; without the lock two writers could both find no
        overlap (the exclusion constraint, where btree_gist exists, would refuse the second anyway).
        """
        if connection.dialect.name == "postgresql":
            table = connection.dialect.identifier_preparer.format_table(self._written)
            connection.execute(sa.text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))

    def find(self, connection: sa.Connection, collection: str, dataset_type: DatasetType,
             data_ids: Sequence[DataId] | None, timespan: Timespan | None) -> list[Certification]:
        """Certifications of one type in ``collection`` for ``data_ids`` (all: None) overlapping ``timespan``."""
        c = self._table.c
        collection_id = self._collection_id(connection, collection)
        type_id, _ = self._types.get(connection, dataset_type.name)
        query = sa.select(c.dataset_id, c.validity_begin, c.validity_end).where(
            c.collection_id == collection_id, c.dataset_type_id == type_id)
        if timespan is not None:
            begin, end = to_columns(timespan)
            query = query.where(c.validity_begin < end, begin < c.validity_end)
        rows: list[tuple[Any, int, int]] = []
        if data_ids is None:
            rows.extend(tuple(row) for row in connection.execute(query))
        else:
            for part in chunks(list(dict.fromkeys(d.key() for d in data_ids))):
                rows.extend(tuple(row) for row in connection.execute(query.where(c.data_id_key.in_(part))))
        refs = {ref.id: ref for ref in self._datasets.get(connection, list(dict.fromkeys(r[0] for r in rows)))
                if ref is not None}
        return [Certification(refs[row[0]], from_columns(row[1], row[2])) for row in rows if row[0] in refs]

    def insert(self, connection: sa.Connection, collection: str, certifications: Sequence[Certification]) -> None:
        """Add rows for checked ``certifications`` (PostgreSQL's exclusion constraint refuses an overlap itself)."""
        if not certifications:
            return
        collection_id = self._collection_id(connection, collection)
        self._layout.check_collection(collection_id, collection, f"certify datasets into {collection!r}")
        rows = []
        for certification in certifications:
            ref = certification.ref
            type_id, _ = self._types.get(connection, ref.dataset_type.name)
            begin, end = to_columns(certification.timespan)
            rows.append({"collection_id": collection_id, "dataset_type_id": type_id, "data_id_key": ref.data_id.key(),
                         "validity_begin": begin, "validity_end": end, "dataset_id": ref.id})
        connection.execute(self._written.insert(), rows)

    def explain_conflict(self, connection: sa.Connection, collection: str,
                         certifications: Sequence[Certification]) -> DataButlerError:
        """Name the stored range that made an insert of ``certifications`` violate the exclusion constraint."""
        for certification in certifications:
            ref = certification.ref
            for existing in self.find(connection, collection, ref.dataset_type, [ref.data_id], certification.timespan):
                return conflict(collection, ref.dataset_type.name, ref.data_id, certification.timespan,
                                existing.timespan)
        first = certifications[0]
        return conflict(collection, first.ref.dataset_type.name, first.ref.data_id, first.timespan, first.timespan)

    def remove(self, connection: sa.Connection, collection: str, certifications: Sequence[Certification]) -> None:
        """Delete the rows of ``certifications`` (identified by type, DataId and range begin)."""
        if not certifications:
            return
        collection_id = self._collection_id(connection, collection)
        self._layout.check_collection(collection_id, collection, f"decertify datasets from {collection!r}")
        c = self._written.c
        by_type: dict[int, list[tuple[str, int]]] = {}
        for certification in certifications:
            type_id, _ = self._types.get(connection, certification.ref.dataset_type.name)
            begin, _ = to_columns(certification.timespan)
            by_type.setdefault(type_id, []).append((certification.ref.data_id.key(), begin))
        for type_id, keys in by_type.items():
            for part in chunks(keys):
                connection.execute(self._written.delete().where(
                    c.collection_id == collection_id, c.dataset_type_id == type_id,
                    sa.tuple_(c.data_id_key, c.validity_begin).in_(part)))
