"""What every Datastore contract group shares: the fixtures an adapter provides, the suite's own, and fresh refs.

Fixtures the adapter's test class provides:

- ``make_datastore`` (must override): a factory of fresh, empty datastores that know the builtin
  StorageClasses and the default formatters.
- ``corrupt_artifact`` (optional): a callable ``(datastore, artifact)`` that changes the stored
  bytes without going through the port. Without it, tests that require
  ``Harness.CORRUPT_ARTIFACT`` are skipped at collection.

The class declares what its datastore reports, ingest modes included, as ``capabilities = {...}``
(see ``databutler.testing.requirements``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..ports.datastore import Datastore, ReadRequest, TransferMode
from .requirements import Declaring, Reported, check_declared, decided_when_built, declared_of, refuses, requires

RUN = "contract/run"
INSTRUMENT = "ContractCam"
MakeDatastore = Callable[[], Datastore]
CorruptArtifact = Callable[[Datastore, StoredArtifact], None]
_visits = iter(range(1, 1 << 30))
_file_numbers = iter(range(1 << 30))


def make_ref(storage_class: str = "StructuredDataDict", visit: int | None = None, run: str = RUN) -> DatasetRef:
    """A new DatasetRef of a DatasetType of ``storage_class`` (a fresh visit unless one is given)."""
    dataset_type = DatasetType(f"contract_{storage_class.lower()}", ("instrument", "visit"), storage_class)
    return DatasetRef(dataset_type, DataId({"instrument": INSTRUMENT, "visit": next(_visits) if visit is None
                                            else visit}), run=run)


def each_mode(modes: Iterable[TransferMode] = TransferMode, *, refused: bool = False) -> list[Any]:
    """Parameters of ``modes``, each marked as requiring (or, with ``refused``, refusing) its transfer mode."""
    mark = refuses if refused else requires
    return [pytest.param(mode, marks=mark(mode), id=mode.value) for mode in modes]


def read(datastore: Datastore, ref: DatasetRef, artifact: StoredArtifact, parameters: Any = None,
         component: str | None = None) -> Any:
    """Read one Dataset through the port."""
    return datastore.get([ReadRequest(ref, [artifact], parameters, component)])[0]


def put_one(datastore: Datastore, obj: Any, ref: DatasetRef) -> StoredArtifact:
    """Put one object and return its artifact."""
    (artifact,) = datastore.put([(obj, ref)])
    return artifact


def json_file(directory: Path, content: Any) -> Path:
    """A new JSON file of ``content`` in ``directory``, to ingest."""
    path = directory / f"source-{next(_file_numbers)}.json"
    path.write_text(json.dumps(content))
    return path


class DatastoreFixtures(Declaring):
    """The fixtures of every Datastore contract group; subclass a group and provide ``make_datastore``."""

    @pytest.fixture
    def make_datastore(self) -> MakeDatastore:
        """Override: a factory of fresh, empty datastores (``writeable=`` optional)."""
        pytest.fail("the adapter's test class must provide a make_datastore fixture", pytrace=False)

    @pytest.fixture(autouse=True)
    def _undeclared_needs(self, request: pytest.FixtureRequest) -> None:
        """For a class that declares no capabilities: build the datastore first, to decide the test's marks."""
        if decided_when_built(request.node):
            request.getfixturevalue("datastore")

    @pytest.fixture
    def datastore(self, make_datastore: MakeDatastore, request: pytest.FixtureRequest) -> Iterator[Datastore]:
        """A fresh datastore from the adapter's factory (checked against the class's declaration)."""
        store = make_datastore()
        try:
            check_declared(request.node, Reported.of_datastore(store))
            yield store
        finally:
            store.close()

    @pytest.fixture
    def writeable(self, datastore: Datastore) -> Datastore:
        """The datastore, for tests that require DatastoreCapability.WRITE."""
        return datastore

    @pytest.fixture
    def sources(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        """A directory for files to ingest, apart from any datastore root."""
        return tmp_path_factory.mktemp("ingest-sources")

    def test_the_class_declares_what_the_datastore_reports(self, make_datastore: MakeDatastore,
                                                           request: pytest.FixtureRequest) -> None:
        """A class that declares capabilities declares exactly those its datastore reports."""
        if declared_of(request.node) is not None:
            store = make_datastore()
            try:
                check_declared(request.node, Reported.of_datastore(store))
            finally:
                store.close()
