"""The Datastore contract suite against the in-memory datastore, writeable and read-only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.memory import MemoryDatastore, make_datastore
from databutler.domain import DataId, DatasetRef, DatasetType, StorageClassRegistry
from databutler.domain.errors import ConfigError
from databutler.ports.capabilities import DatastoreCapability
from databutler.testing.datastore import DatastoreContract


def memory_factory(*, writeable: bool = True) -> Callable[[], MemoryDatastore]:
    """A factory of fresh memory datastores."""
    return lambda: make_datastore({"adapter": "memory"}, storage_classes=StorageClassRegistry(),
                                  formatters=default_formatter_set(), create=True, writeable=writeable)


class TestMemoryDatastore(DatastoreContract):
    capabilities = frozenset({DatastoreCapability.LIST, DatastoreCapability.REMOVE, DatastoreCapability.WRITE})

    @pytest.fixture
    def make_datastore(self) -> Callable[[], MemoryDatastore]:
        return memory_factory()


class TestReadOnlyMemoryDatastore(DatastoreContract):
    capabilities = frozenset({DatastoreCapability.LIST})

    @pytest.fixture
    def make_datastore(self) -> Callable[[], MemoryDatastore]:
        return memory_factory(writeable=False)


def test_uris_name_the_instance_and_the_rendered_path() -> None:
    datastore = memory_factory()()
    ref = DatasetRef(DatasetType("calexp", ("instrument", "visit"), "StructuredData"),
                     DataId({"instrument": "Cam", "visit": 1}), run="run")
    (artifact,) = datastore.put([({"a": 1}, ref)])
    assert datastore.root.startswith("memory://") and datastore.root.endswith("/")
    assert artifact.uri == "run/calexp/instrument=Cam_visit=1"
    assert datastore.uri(artifact) == datastore.root + artifact.uri
    other = memory_factory()()
    assert other.root != datastore.root and other.exists([artifact]) == [False]


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown options"):
        make_datastore({"adapter": "memory", "root": "/x"}, storage_classes=StorageClassRegistry(),
                       formatters=default_formatter_set(), create=True, writeable=True)
