"""What a put leaves behind, over any (Registry, Datastore) pair: recorded exactly, at any valid size, reopenable.

Mixed into ``ButlerContract``; it uses that suite's ``butler`` fixture (RUN registered, the
contract DataUnits and the ``summary`` dataset type in place). A registry column too small for a
value one datastore produces, or for a name the domain allows, fails here on the pair that has it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..domain.collection import COLLECTION_NAME_MAX_LENGTH
from ..domain.dataset_type import DATASET_TYPE_NAME_MAX_LENGTH, DatasetType
from ..domain.errors import CollectionError, DatasetTypeError
from ..ports.capabilities import DatastoreCapability, RegistryCapability
from ..service.butler import Butler
from .butler_support import ButlerFixtures
from .forwarding import RecordingDatastore
from .requirements import Harness, requires

_RUN = "test/run"
_INSTRUMENT = "ContractCam"
_UNITS = ("instrument", "visit", "detector")


def _items(visit: int, detectors: tuple[int, ...], dataset_type: str = "summary") -> list[tuple[Any, str, Any]]:
    """``put_many`` items of small dicts of one visit."""
    return [({"visit": visit, "detector": d, "label": f"kept-{visit}-{d}"}, dataset_type,
             {"instrument": _INSTRUMENT, "visit": visit, "detector": d}) for d in detectors]


class ButlerPersistenceContract(ButlerFixtures):
    """The registry keeps what the datastore reports, names up to their limits fit, and a reopened repo reads it."""

    def test_the_registry_returns_artifacts_exactly_as_the_datastore_wrote_them(self, butler: Butler) -> None:
        recording = RecordingDatastore(butler.datastore)
        writer = Butler.from_parts(butler.registry, recording, storage_classes=butler.storage_classes, run=_RUN)
        refs = writer.put_many(_items(1, (1, 2, 3)))
        recorded = butler.registry.get_artifacts([r.id for r in refs])
        assert sorted((a for found in recorded.values() for a in found), key=repr) == sorted(recording.written,
                                                                                             key=repr)
        if DatastoreCapability.CHECKSUMS in butler.datastore.capabilities:
            assert all(a.checksum for a in recording.written), "a datastore that declares checksums records them"
        assert butler.verify(refs) == {}

    def test_names_at_their_limits_work_and_longer_ones_are_refused(self, butler: Butler) -> None:
        long_type = "t" * DATASET_TYPE_NAME_MAX_LENGTH
        butler.registry.register_dataset_type(DatasetType(long_type, _UNITS, "StructuredDataDict"))
        long_run = "/".join(["r" * 120, "s" * 120, "u" * (COLLECTION_NAME_MAX_LENGTH - 242)])
        assert len(long_run) == COLLECTION_NAME_MAX_LENGTH
        (obj, _, data_id), = _items(2, (1,), long_type)
        ref = butler.put(obj, long_type, data_id, run=long_run)
        assert butler.get(long_type, data_id, collections=[long_run]) == obj
        assert butler.verify([ref]) == {}
        with pytest.raises(CollectionError, match=str(COLLECTION_NAME_MAX_LENGTH)):
            butler.put(obj, "summary", data_id, run=long_run + "x")
        with pytest.raises(DatasetTypeError, match=str(DATASET_TYPE_NAME_MAX_LENGTH)):
            DatasetType(long_type + "x", _UNITS, "StructuredDataDict")
        assert long_run + "x" not in [c.name for c in butler.registry.query_collections()]

    @requires(RegistryCapability.PERSISTENT, DatastoreCapability.PERSISTENT, Harness.BUTLER_YAML)
    def test_a_reopened_repository_reads_back_what_was_put(self, butler: Butler) -> None:
        items = _items(3, (1, 2))
        refs = butler.put_many(items)
        with Butler(butler.root, collections=[_RUN], writeable=False) as again:
            assert again.get_many(refs) == [obj for obj, _, _ in items]
            assert again.get("summary", items[0][2]) == items[0][0]
            assert again.verify(refs) == {}
