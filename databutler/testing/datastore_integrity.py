"""The Datastore contract, topic group. Integrity: checksums and sizes recorded, corruption detected,
artifact bytes handed out.

Adopt it alone by subclassing ``DatastoreIntegrityContract`` and providing ``make_datastore`` and, for
the corruption test, ``corrupt_artifact``; ``DatastoreContract`` includes it.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest

from ..domain.dataset import StoredArtifact
from ..domain.errors import (
    CapabilityError,
    DatasetNotFoundError,
    FileIntegrityError,
)
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore
from .datastore_support import CorruptArtifact, DatastoreFixtures, make_ref, put_one, read
from .requirements import Harness, refuses, requires


class DatastoreIntegrityContract(DatastoreFixtures):
    """Integrity of the Datastore contract."""

    # -- checksums ------------------------------------------------------------------------------

    @requires(DatastoreCapability.WRITE, DatastoreCapability.CHECKSUMS)
    def test_checksums_and_sizes_are_recorded(self, writeable: Datastore) -> None:
        artifact = put_one(writeable, {"a": 1}, make_ref())
        assert artifact.checksum and ":" in artifact.checksum
        assert artifact.size is not None and artifact.size > 0

    @requires(DatastoreCapability.WRITE, DatastoreCapability.CHECKSUMS)
    @requires(Harness.CORRUPT_ARTIFACT)
    def test_corruption_is_detected_on_get_and_by_verify(self, writeable: Datastore,
                                                         corrupt_artifact: CorruptArtifact) -> None:
        ref = make_ref()
        artifact = put_one(writeable, {"payload": "x" * 100}, ref)
        corrupt_artifact(writeable, artifact)
        with pytest.raises(FileIntegrityError):
            read(writeable, ref, artifact)
        problem = writeable.verify([artifact])[0]
        assert problem is not None

    # -- artifact bytes -------------------------------------------------------------------------

    @requires(DatastoreCapability.WRITE, DatastoreCapability.ARTIFACT_BYTES)
    def test_artifact_bytes_are_what_was_recorded(self, writeable: Datastore) -> None:
        artifact = put_one(writeable, {"payload": list(range(50))}, make_ref())
        with writeable.open_artifact(artifact) as stream:
            data = stream.read()
        if artifact.size is not None:
            assert len(data) == artifact.size
        if artifact.checksum is not None:
            algorithm, _, digest = artifact.checksum.partition(":")
            assert hashlib.new(algorithm, data).hexdigest() == digest

    @requires(DatastoreCapability.WRITE, DatastoreCapability.ARTIFACT_BYTES, DatastoreCapability.REMOVE)
    def test_artifact_bytes_of_a_missing_artifact_raise_dataset_not_found(self, writeable: Datastore) -> None:
        artifact = put_one(writeable, {"a": 1}, make_ref())
        writeable.remove([artifact])
        with pytest.raises(DatasetNotFoundError):
            writeable.open_artifact(artifact).__enter__().read()

    @refuses(DatastoreCapability.ARTIFACT_BYTES)
    def test_artifact_bytes_are_refused_without_the_capability(self, datastore: Datastore) -> None:
        artifact = StoredArtifact(uuid.uuid4(), "contract/missing.json", "json", "StructuredDataDict")
        with pytest.raises(CapabilityError):
            datastore.open_artifact(artifact)
