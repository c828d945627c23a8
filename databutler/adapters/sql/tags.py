"""TAGGED collection membership: associate and disassociate existing datasets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.dataset import DatasetRef
from ...domain.errors import ConflictingDefinitionError, DatasetNotFoundError
from .collections import CollectionManager
from .dialect import chunks, insert_many, uuid_column, uuid_from_db, where_in
from .layout import Layout


class TagManager:
    """Reads and writes ``dataset_tag``: at most one dataset per (DatasetType, DataId) in a TAGGED collection."""

    def __init__(self, layout: Layout, collections: CollectionManager) -> None:
        self._schema = layout.reads
        self._written = layout.writes.dataset_tag
        self._collections = collections

    def associate(self, connection: sa.Connection, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Add ``refs`` to TAGGED collection ``tagged`` (see Registry.associate)."""
        collection = self._collections.get(connection, tagged)  # RegistryBase checked kind and writability
        d, t = self._schema.dataset.c, self._schema.dataset_tag.c
        ids = list(dict.fromkeys(ref.id for ref in refs))
        identity: dict[uuid.UUID, tuple[int, str]] = {}
        query: sa.Select[Any] = sa.select(uuid_column(d.id), d.dataset_type_id, d.data_id_key)
        for dataset_id, type_id, key in where_in(connection, query, d.id, ids):
            identity[uuid_from_db(dataset_id)] = (type_id, key)
        unknown = [i for i in ids if i not in identity]
        if unknown:
            raise DatasetNotFoundError(f"cannot tag {len(unknown)} datasets into {tagged!r}: dataset {unknown[0]} "
                                       "is not in the registry")
        wanted: dict[tuple[int, str], uuid.UUID] = {}
        for dataset_id in ids:
            other = wanted.setdefault(identity[dataset_id], dataset_id)
            if other != dataset_id:
                raise ConflictingDefinitionError(f"datasets {other} and {dataset_id} have the same dataset type and "
                                                 f"data ID; a TAGGED collection holds only one of them")
        present: dict[tuple[int, str], uuid.UUID] = {}
        by_type: dict[int, list[str]] = {}
        for type_id, key in wanted:
            by_type.setdefault(type_id, []).append(key)
        for type_id, keys in by_type.items():
            in_tag: sa.Select[Any] = sa.select(t.data_id_key, uuid_column(t.dataset_id)).where(
                t.collection_id == collection.id, t.dataset_type_id == type_id)
            for key, dataset_id in where_in(connection, in_tag, t.data_id_key, keys):
                present[(type_id, key)] = uuid_from_db(dataset_id)
        new = []
        for (type_id, key), dataset_id in wanted.items():
            existing = present.get((type_id, key))
            if existing is None:
                new.append({"collection_id": collection.id, "dataset_type_id": type_id, "data_id_key": key,
                            "dataset_id": dataset_id})
            elif existing != dataset_id:
                raise ConflictingDefinitionError(
                    f"cannot tag dataset {dataset_id} into {tagged!r}: dataset {existing} with the same dataset type "
                    "and data ID is already there; disassociate it first")
        insert_many(connection, self._written, new)

    def disassociate(self, connection: sa.Connection, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Remove ``refs`` from TAGGED collection ``tagged``; absent refs are ignored."""
        collection = self._collections.get(connection, tagged)
        t = self._written.c
        for part in chunks(list(dict.fromkeys(ref.id for ref in refs))):
            connection.execute(self._written.delete().where(t.collection_id == collection.id,
                                                            t.dataset_id.in_(part)))
