"""Composites written in parts, over any (Registry, Datastore) pair whose datastore declares DISASSEMBLY.

Mixed into ``ButlerContract``; it uses that suite's ``butler`` fixture (the ``composite`` dataset type
is an ArrayWithMetadata). The registry must record one artifact per part and give them all back
(reopened too); get, verify, exists, orphans and removal treat the parts as one Dataset; a batch
failing half-way leaves neither rows nor parts.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..domain.dataset import DatasetRef
from ..domain.errors import DataButlerError, DatasetNotFoundError
from ..ports.capabilities import DatastoreCapability, RegistryCapability
from ..service.butler import Butler
from .butler_support import HAS_NUMPY, RUN, ButlerFixtures, data_id
from .requirements import Harness, refuses, requires


def _composite(visit: int, detector: int) -> dict[str, Any]:
    import numpy

    return {"array": numpy.arange(12, dtype="f4").reshape(4, 3) * visit + detector,
            "metadata": {"visit": visit, "detector": detector}}


def _same(left: Any, right: dict[str, Any]) -> bool:
    import numpy

    return bool(set(left) == set(right) and numpy.array_equal(left["array"], right["array"])
                and left["metadata"] == right["metadata"])


def _files(butler: Butler) -> set[str]:
    return {entry.uri for entry in butler.datastore.list_artifacts()}


@pytest.mark.skipif(not HAS_NUMPY, reason="ArrayWithMetadata holds a numpy array")
class ButlerDisassemblyContract(ButlerFixtures):
    """Parts of a composite are one Dataset to every Butler operation."""

    @requires(RegistryCapability.WRITE, DatastoreCapability.DISASSEMBLY)
    def test_the_registry_records_every_part_and_get_reads_them(self, butler: Butler) -> None:
        obj = _composite(1, 2)
        ref = butler.put(obj, "composite", data_id(1, 2))
        parts = butler.registry.get_artifacts([ref.id])[ref.id]
        assert sorted((a.component, a.storage_class) for a in parts) == [
            ("array", "NumpyArray"), ("metadata", "StructuredDataDict")]
        assert _same(butler.get("composite", data_id(1, 2)), obj)
        assert butler.get("composite.metadata", data_id(1, 2)) == obj["metadata"]
        assert (butler.get(ref, component="array", parameters={"slices": (slice(0, 2),)}) == obj["array"][:2]).all()
        assert butler.exists(ref) and butler.verify([ref]) == {}

    @requires(RegistryCapability.WRITE, RegistryCapability.PERSISTENT, DatastoreCapability.DISASSEMBLY,
              DatastoreCapability.PERSISTENT, Harness.BUTLER_YAML)
    def test_a_reopened_repository_reads_the_parts_back(self, butler: Butler) -> None:
        obj = _composite(2, 1)
        butler.put(obj, "composite", data_id(2, 1))
        with Butler(butler.root, collections=[RUN], writeable=False) as again:
            assert _same(again.get("composite", data_id(2, 1)), obj)
            assert again.get("composite", data_id(2, 1), component="metadata") == obj["metadata"]

    @requires(RegistryCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.LIST)
    def test_a_batch_failing_half_way_leaves_no_row_and_no_part(self, butler: Butler) -> None:
        bad = {"array": _composite(1, 1)["array"], "metadata": {"not json": object()}}
        with pytest.raises(DataButlerError):
            butler.put_many([(_composite(1, 1), "composite", data_id(1, 1)), (bad, "composite", data_id(1, 3))])
        assert butler.find_dataset("composite", data_id(1, 1)) is None
        assert _files(butler) == set()

    @requires(RegistryCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.REMOVE)
    def test_a_missing_part_fails_verify_and_exists_and_the_whole_get(self, butler: Butler) -> None:
        ref = butler.put(_composite(1, 3), "composite", data_id(1, 3))
        parts = butler.registry.get_artifacts([ref.id])[ref.id]
        butler.datastore.remove([a for a in parts if a.component == "array"])
        assert "missing" in butler.verify([ref])[ref.id]
        assert not butler.exists(ref)
        with pytest.raises(DatasetNotFoundError):
            butler.get(ref)
        assert butler.get(ref, component="metadata") == {"visit": 1, "detector": 3}

    @requires(RegistryCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.LIST)
    def test_orphans_count_each_unrecorded_part(self, butler: Butler) -> None:
        butler.put(_composite(2, 2), "composite", data_id(2, 2))
        assert butler.find_orphans(older_than_s=0) == []
        ref = butler.put(_composite(2, 3), "composite", data_id(2, 3))
        stray = butler.datastore.put([(_composite(3, 3), DatasetRef(ref.dataset_type, ref.data_id, "stray/run"))])
        orphans = butler.find_orphans(older_than_s=0)
        assert sorted(o.uri for o in orphans) == sorted(butler.datastore.uri(a) for a in stray)

    @requires(RegistryCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.REMOVE,
              DatastoreCapability.LIST)
    def test_removal_deletes_every_part(self, butler: Butler) -> None:
        kept = butler.put(_composite(3, 1), "composite", data_id(3, 1))
        gone = butler.put(_composite(3, 2), "composite", data_id(3, 2))
        kept_files = {butler.datastore.uri(a) for a in butler.registry.get_artifacts([kept.id])[kept.id]}
        butler.remove([gone])
        assert _files(butler) == kept_files
        assert butler.find_orphans(older_than_s=0) == []

    @requires(RegistryCapability.WRITE, DatastoreCapability.WRITE)
    @refuses(DatastoreCapability.DISASSEMBLY)
    def test_composites_are_stored_whole_without_disassembly(self, butler: Butler) -> None:
        ref = butler.put(_composite(1, 4), "composite", data_id(1, 4))
        (artifact,) = butler.registry.get_artifacts([ref.id])[ref.id]
        assert artifact.component is None
