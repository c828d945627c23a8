"""The orphan part of the Butler contract: files no registry row points at are found and removed, nothing else.

Mixed into ``ButlerContract``; it uses that suite's ``butler`` fixture (RUN registered, the
contract DataUnits and the ``summary`` dataset type in place).
"""

from __future__ import annotations

from typing import Any

import pytest

from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import CapabilityError
from ..ports.capabilities import DatastoreCapability
from ..service.butler import Butler
from .butler_support import ButlerFixtures
from .requirements import refuses, requires

_RUN = "test/run"
_INSTRUMENT = "ContractCam"


def _summary(visit: int, detector: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A payload and the DataId of the contract ``summary`` dataset of one visit and detector."""
    data_id = {"instrument": _INSTRUMENT, "visit": visit, "detector": detector}
    return {"visit": visit, "detector": detector, "orphan_test": True}, data_id


def _items(visit: int, detectors: tuple[int, ...]) -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    """``put_many`` items of the ``summary`` datasets of one visit."""
    return [(obj, "summary", data_id) for obj, data_id in (_summary(visit, d) for d in detectors)]


def plant_orphan(butler: Butler, visit: int = 3, detector: int = 4) -> tuple[DatasetRef, StoredArtifact]:
    """Write a dataset's file through the datastore alone, as a crash before the registry commit leaves it."""
    obj, data_id = _summary(visit, detector)
    ref = DatasetRef(butler.registry.get_dataset_type("summary"), DataId(data_id), run=_RUN)
    (artifact,) = butler.datastore.put([(obj, ref)])
    return ref, artifact


class ButlerOrphanContract(ButlerFixtures):
    """``find_orphans`` and ``remove_orphans`` over any (Registry, Datastore) pair."""

    @refuses(DatastoreCapability.LIST)
    def test_find_orphans_is_refused_without_list(self, butler: Butler) -> None:
        with pytest.raises(CapabilityError, match="'list'"):
            butler.find_orphans(older_than_s=0)
        with pytest.raises(CapabilityError, match="'list'"):
            butler.remove_orphans([])

    @requires(DatastoreCapability.LIST)
    def test_registered_datasets_are_never_orphans(self, butler: Butler) -> None:
        refs = butler.put_many(_items(1, (1, 2, 3)))
        assert butler.find_orphans(older_than_s=0) == []
        butler.remove(refs[:1])
        assert butler.find_orphans(older_than_s=0) == [], "a removed dataset leaves no file behind"

    @requires(DatastoreCapability.LIST)
    def test_a_file_written_without_its_row_is_exactly_the_orphan(self, butler: Butler) -> None:
        butler.put_many(_items(1, (1, 2)))
        _, planted = plant_orphan(butler)
        orphans = butler.find_orphans(older_than_s=0)
        assert [o.uri for o in orphans] == [butler.datastore.uri(planted)]
        if planted.size is not None:
            assert orphans[0].size == planted.size

    @requires(DatastoreCapability.LIST)
    def test_a_fresh_orphan_is_not_reported_at_the_default_age(self, butler: Butler) -> None:
        plant_orphan(butler)  # as a concurrent put's file looks before its row commits
        assert butler.find_orphans() == []

    @requires(DatastoreCapability.LIST)
    def test_remove_orphans_removes_it_and_every_dataset_still_reads_back(self, butler: Butler) -> None:
        items = _items(1, (1, 2, 3))
        refs = butler.put_many(items)
        _, planted = plant_orphan(butler)
        orphans = butler.find_orphans(older_than_s=0)
        assert butler.remove_orphans(orphans) == orphans
        assert butler.datastore.exists([planted]) == [False]
        assert butler.find_orphans(older_than_s=0) == []
        assert butler.get_many(refs) == [obj for obj, _, _ in items]
        assert butler.verify(refs) == {}
        obj, data_id = _summary(3, 4)  # the orphan's path no longer blocks a put of its DataId
        assert butler.get(butler.put(obj, "summary", data_id)) == obj

    @requires(DatastoreCapability.LIST)
    def test_a_row_committed_after_the_scan_keeps_its_file(self, butler: Butler) -> None:
        ref, planted = plant_orphan(butler)
        orphans = butler.find_orphans(older_than_s=0)
        assert [o.uri for o in orphans] == [butler.datastore.uri(planted)]
        with butler.registry.transaction():  # the slow put commits after all
            butler.registry.import_datasets([ref])
            butler.registry.insert_artifacts([planted])
        assert butler.remove_orphans(orphans) == []
        assert butler.get(ref) == _summary(3, 4)[0]
        assert butler.find_orphans(older_than_s=0) == []
