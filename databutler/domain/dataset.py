"""Datasets: references to stored Datasets and the record of where their bytes are."""

from __future__ import annotations

import uuid

import attrs

from .data_id import DataId
from .dataset_type import DatasetType


@attrs.frozen
class DatasetRef:
    """One Dataset: its DatasetType, DataId, unique id and the RUN collection it was written in."""

    dataset_type: DatasetType
    data_id: DataId
    run: str
    id: uuid.UUID = attrs.field(factory=uuid.uuid4)

    def __repr__(self) -> str:
        return (f"DatasetRef({self.dataset_type.name!r}, {dict(self.data_id)!r}, run={self.run!r}, "
                f"id={self.id})")


@attrs.frozen
class StoredArtifact:
    """Where a Datastore put a Dataset's bytes, as recorded by the Registry.

    ``uri`` is relative to the datastore root for artifacts the datastore owns, or an absolute
    URI (``file:///...``, ``s3://...``) for artifacts left in place at ingest.
    """

    dataset_id: uuid.UUID
    uri: str
    formatter: str
    storage_class: str
    checksum: str | None = None
    size: int | None = None
    component: str | None = None
