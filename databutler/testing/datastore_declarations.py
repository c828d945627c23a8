"""The Datastore contract, topic group. Declarations: what a datastore declares is consistent, and put and
remove are refused where undeclared.

Adopt it alone by subclassing ``DatastoreDeclarationsContract`` and providing ``make_datastore``;
``DatastoreContract`` includes it.
"""

from __future__ import annotations

import uuid

import pytest

from ..domain.dataset import StoredArtifact
from ..domain.errors import (
    CapabilityError,
)
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore
from .datastore_support import DatastoreFixtures, make_ref
from .requirements import refuses


class DatastoreDeclarationsContract(DatastoreFixtures):
    """Declarations of the Datastore contract."""

    def test_declarations_are_consistent(self, datastore: Datastore) -> None:
        assert "://" in datastore.root and datastore.root.endswith("/")
        assert (DatastoreCapability.INGEST in datastore.capabilities) == bool(datastore.ingest_modes)

    @refuses(DatastoreCapability.WRITE)
    def test_put_is_refused_without_write(self, datastore: Datastore) -> None:
        with pytest.raises(CapabilityError):
            datastore.put([({"a": 1}, make_ref())])

    @refuses(DatastoreCapability.REMOVE)
    def test_remove_is_refused_without_remove(self, datastore: Datastore) -> None:
        artifact = StoredArtifact(uuid.uuid4(), "contract/missing.json", "json", "StructuredDataDict")
        with pytest.raises(CapabilityError):
            datastore.remove([artifact])
