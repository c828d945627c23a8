"""Where the SQL registry reads and where it writes: its own tables, or a personal layer over a release.

A plain registry reads and writes the same tables. A personal registry layered over a read-only
release registry (the seed's "proxy registry") reads through views that union the release's rows
with its own, and writes only its own tables; the managers take a :class:`Layout` and never need
to know which of the two they serve. Personal collections and dataset types are numbered from
``PERSONAL_ID_START``, so an id alone says which layer a row belongs to; datasets (UUIDs) are
looked up in the release tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import attrs
import sqlalchemy as sa

from ...domain.errors import ReleaseWriteError
from .dialect import chunks, where_in
from .schema import Schema

PERSONAL_ID_START = 1_000_000_000
"""The first collection and dataset type id of a personal registry; release ids must stay below it."""


@attrs.frozen
class Layout:
    """The tables a registry reads (``reads``), the ones it writes (``writes``), and the release below, if any."""

    reads: Schema
    writes: Schema
    release: Schema | None = None
    release_name: str = ""

    @classmethod
    def single(cls, schema: Schema) -> Layout:
        """The layout of a plain registry: it reads and writes ``schema``."""
        return cls(schema, schema)

    @property
    def layered(self) -> bool:
        """Whether a read-only release lies under this registry's own tables."""
        return self.release is not None

    def _refuse(self, what: str, action: str) -> ReleaseWriteError:
        return ReleaseWriteError(f"cannot {action}: {what} belongs to the read-only release registry "
                                 f"{self.release_name}; write to a collection of your personal registry instead")

    def check_collection(self, collection_id: int, name: str, action: str) -> None:
        """Refuse ``action`` on collection ``name`` if it is a release collection."""
        if self.release is not None and collection_id < PERSONAL_ID_START:
            raise self._refuse(f"collection {name!r}", action)

    def check_dataset_type(self, type_id: int, name: str, action: str) -> None:
        """Refuse ``action`` on dataset type ``name`` if the release registered it."""
        if self.release is not None and type_id < PERSONAL_ID_START:
            raise self._refuse(f"dataset type {name!r}", action)

    def check_records(self, connection: sa.Connection, element: str, fields: Sequence[str],
                      keys: Sequence[tuple[object, ...]], action: str) -> None:
        """Refuse ``action`` if any record of ``element`` with these keys is a release record."""
        if self.release is None or not keys:
            return
        table = self.release.elements[element]
        columns = [table.c[f] for f in fields]
        for part in chunks(list(keys)):
            where = columns[0].in_([k[0] for k in part]) if len(columns) == 1 else sa.tuple_(*columns).in_(part)
            found = connection.execute(sa.select(*columns).where(where).limit(1)).first()
            if found is not None:
                raise self._refuse(f"{element} record {dict(zip(fields, found, strict=True))}", action)

    def check_datasets(self, connection: sa.Connection, ids: Sequence[uuid.UUID], action: str) -> None:
        """Refuse ``action`` if any of the datasets ``ids`` is a release dataset."""
        if self.release is None or not ids:
            return
        dataset, collection = self.release.dataset, self.release.collection
        query = sa.select(dataset.c.id, collection.c.name).join_from(dataset, collection,
                                                                      dataset.c.run_id == collection.c.id)
        for found in where_in(connection, query, dataset.c.id, list(dict.fromkeys(ids))):
            raise self._refuse(f"dataset {found[0]} of run {found[1]!r}", action)
