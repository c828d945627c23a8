"""What the Datastore contract tests share: fresh DatasetRefs and skipping on capabilities."""

from __future__ import annotations

import pytest

from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore

RUN = "contract/run"
INSTRUMENT = "ContractCam"
_visits = iter(range(1, 1 << 30))


def make_ref(storage_class: str = "StructuredDataDict", visit: int | None = None, run: str = RUN) -> DatasetRef:
    """A new DatasetRef of a DatasetType of ``storage_class`` (a fresh visit unless one is given)."""
    dataset_type = DatasetType(f"contract_{storage_class.lower()}", ("instrument", "visit"), storage_class)
    return DatasetRef(dataset_type, DataId({"instrument": INSTRUMENT, "visit": next(_visits) if visit is None
                                            else visit}), run=run)


def needs(datastore: Datastore, capability: DatastoreCapability) -> None:
    """Skip the test unless ``datastore`` declares ``capability``."""
    if capability not in datastore.capabilities:
        pytest.skip(f"{type(datastore).__name__} does not declare the capability {capability.value!r}")


def lacks(datastore: Datastore, capability: DatastoreCapability) -> None:
    """Skip the test if ``datastore`` declares ``capability`` (a test of its refusal)."""
    if capability in datastore.capabilities:
        pytest.skip(f"{type(datastore).__name__} declares the capability {capability.value!r}")
