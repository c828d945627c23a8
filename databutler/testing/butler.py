"""The Butler contract suite: get/put/ingest/remove/collections over any (Registry, Datastore) pair.

Plug an adapter pair in with a ``make_butler`` fixture returning a fresh, empty Butler::

    class TestMyPair(ButlerContract):
        @pytest.fixture
        def make_butler(self, tmp_path):
            def make(run="test/run", collections=None):
                return Butler.from_parts(MyRegistry(...), MyDatastore(...), run=run, collections=collections)
            return make
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..domain.errors import (
    CapabilityError,
    CollectionError,
    ConflictingDefinitionError,
    DataButlerError,
    DataIdError,
    DatasetNotFoundError,
    MissingDatasetTypeError,
    StorageClassError,
    UnknownDataUnitError,
)
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import TransferMode
from ..service.butler import Butler
from ..service.file_dataset import FileDataset
from .butler_orphans import ButlerOrphanContract
from .butler_ownership import ButlerOwnershipContract
from .butler_persistence import ButlerPersistenceContract
from .forwarding import ForwardingDatastore, ForwardingRegistry, RecordingDatastore
from .requirements import Declared, requires, skip_undeclared

MakeButler = Callable[..., Butler]
RUN = "test/run"
INSTRUMENT = "ContractCam"
HAS_NUMPY = importlib.util.find_spec("numpy") is not None


class InjectedFaultError(RuntimeError):
    """The failure the fault-injection tests raise on purpose."""


def setup_units(butler: Butler) -> None:
    """Insert one instrument, two filters, four detectors, one night and three visits."""
    registry = butler.registry
    registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    registry.insert_data_units("physical_filter", [
        {"instrument": INSTRUMENT, "name": "CC-r", "band": "r"},
        {"instrument": INSTRUMENT, "name": "CC-g", "band": "g"},
    ])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d, "purpose": "SCIENCE"}
                                            for d in range(1, 5)])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": 20240101}])
    registry.insert_data_units("visit", [
        {"instrument": INSTRUMENT, "id": v, "physical_filter": "CC-r" if v < 3 else "CC-g",
         "day_obs": 20240101, "exposure_time": 30.0} for v in (1, 2, 3)
    ])
    for name, storage_class in (("summary", "StructuredDataDict"), ("catalog", "StructuredData"),
                                ("image", "NumpyArray"), ("composite", "ArrayWithMetadata")):
        registry.register_dataset_type(DatasetType(name, ("instrument", "visit", "detector"), storage_class))


def payload(visit: int, detector: int) -> dict[str, Any]:
    """A small deterministic dict for one DataId."""
    return {"visit": visit, "detector": detector, "mean": visit * 10.5 + detector, "ok": True,
            "label": f"v{visit}d{detector}"}


def data_id(visit: int, detector: int) -> dict[str, Any]:
    """The DataId of one visit and detector of the contract instrument."""
    return {"instrument": INSTRUMENT, "visit": visit, "detector": detector}


class ButlerContract(ButlerPersistenceContract, ButlerOrphanContract, ButlerOwnershipContract):
    """Behaviour every (Registry, Datastore) pair must give a Butler."""

    @pytest.fixture
    def butler(self, make_butler: MakeButler, request: pytest.FixtureRequest) -> Butler:
        """A fresh Butler writing to RUN, with the contract DataUnits and dataset types.

        A test whose ``requires``/``refuses`` marks the pair does not meet is skipped here, before set-up.
        """
        butler = make_butler(run=RUN)
        skip_undeclared(request.node, Declared.of(butler.registry, butler.datastore))
        setup_units(butler)
        return butler

    @staticmethod
    def _artifacts(butler: Butler, refs: list[DatasetRef]) -> list[StoredArtifact]:
        found = butler.registry.get_artifacts([r.id for r in refs])
        return [a for r in refs for a in found.get(r.id, [])]

    # -- put and get ----------------------------------------------------------------------------

    def test_put_then_get_by_data_id_kwargs_and_by_ref(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 2), "summary", instrument=INSTRUMENT, visit=1, detector=2)
        assert ref.run == RUN
        assert dict(ref.data_id) == data_id(1, 2)
        assert butler.get("summary", instrument=INSTRUMENT, visit=1, detector=2) == payload(1, 2)
        assert butler.get("summary", data_id(1, 2)) == payload(1, 2)
        assert butler.get(ref) == payload(1, 2)
        assert butler.exists(ref)
        assert butler.exists("summary", data_id(1, 2))
        assert not butler.exists("summary", data_id(1, 3))

    def test_get_returns_an_independent_copy(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 1), "summary", data_id(1, 1))
        first = butler.get(ref)
        first["mean"] = -1
        assert butler.get(ref) == payload(1, 1)

    def test_put_expands_implied_data_units(self, butler: Butler) -> None:
        ref = butler.put(payload(3, 1), "summary", data_id(3, 1))
        assert ref.data_id.implied.get("physical_filter") == "CC-g"
        assert ref.data_id.implied.get("band") == "g"

    def test_put_many_returns_refs_in_order_and_all_are_readable(self, butler: Butler) -> None:
        items = [(payload(v, d), "summary", data_id(v, d)) for v in (1, 2) for d in (1, 2, 3)]
        refs = butler.put_many(items)
        assert [dict(r.data_id) for r in refs] == [d for _, _, d in items]
        assert butler.get_many(refs) == [p for p, _, _ in items]

    def test_put_many_with_one_bad_object_writes_nothing(self, butler: Butler) -> None:
        items: list[tuple[Any, str, dict[str, Any]]] = [
            (payload(1, 1), "summary", data_id(1, 1)),
            ("not a dict", "summary", data_id(1, 2)),
        ]
        with pytest.raises(StorageClassError):
            butler.put_many(items)
        assert butler.find_dataset("summary", data_id(1, 1)) is None
        assert butler.registry.datasets_in_collection(RUN) == []

    def test_second_put_of_same_data_id_conflicts_and_keeps_the_first(self, butler: Butler) -> None:
        butler.put(payload(1, 1), "summary", data_id(1, 1))
        with pytest.raises(ConflictingDefinitionError):
            butler.put({"other": 1}, "summary", data_id(1, 1))
        assert butler.get("summary", data_id(1, 1)) == payload(1, 1)
        assert len(butler.registry.datasets_in_collection(RUN)) == 1

    def test_wrong_python_type_is_refused_and_nothing_is_written(self, butler: Butler) -> None:
        with pytest.raises(StorageClassError):
            butler.put([1, 2, 3], "summary", data_id(1, 1))
        assert butler.find_dataset("summary", data_id(1, 1)) is None

    def test_unregistered_dataset_type_is_refused(self, butler: Butler) -> None:
        with pytest.raises(MissingDatasetTypeError, match="calexpp"):
            butler.put(payload(1, 1), "calexpp", data_id(1, 1))

    @pytest.mark.parametrize(("bad", "error", "message"), [
        ({"instrument": INSTRUMENT, "visit": 1, "detectr": 1}, UnknownDataUnitError, "detector"),
        ({"instrument": INSTRUMENT, "visit": 1}, DataIdError, "detector"),
        ({"instrument": INSTRUMENT, "visit": "one", "detector": 1}, DataIdError, "integer"),
        ({"instrument": INSTRUMENT, "visit": 99, "detector": 1}, DataIdError, "99"),
        ({"instrument": "../etc", "visit": 1, "detector": 1}, DataIdError, "etc"),
    ])
    def test_bad_data_ids_are_refused_and_nothing_is_written(
            self, butler: Butler, bad: dict[str, Any], error: type[Exception], message: str) -> None:
        with pytest.raises(error, match=message):
            butler.put(payload(1, 1), "summary", bad)
        assert butler.registry.datasets_in_collection(RUN) == []

    def test_missing_dataset_raises_not_found(self, butler: Butler) -> None:
        with pytest.raises(DatasetNotFoundError):
            butler.get("summary", data_id(2, 4))

    def test_get_with_keys_parameter_returns_a_subset(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 1), "summary", data_id(1, 1))
        assert butler.get(ref, parameters={"keys": ["label", "ok"]}) == {"label": "v1d1", "ok": True}
        with pytest.raises(StorageClassError):
            butler.get(ref, parameters={"nonsense": 1})

    @pytest.mark.skipif(not HAS_NUMPY, reason="numpy is not installed")
    def test_get_array_slices_and_composite_components(self, butler: Butler) -> None:
        import numpy as np

        array = np.arange(60, dtype=np.float64).reshape(6, 10)
        ref = butler.put(array, "image", data_id(1, 1))
        np.testing.assert_array_equal(butler.get(ref), array)
        np.testing.assert_array_equal(butler.get(ref, parameters={"slices": (slice(2, 4),)}), array[2:4])
        composite = {"array": array, "metadata": {"exptime": 30.0}}
        cref = butler.put(composite, "composite", data_id(1, 2))
        assert butler.get(cref, component="metadata") == {"exptime": 30.0}
        assert butler.get("composite.metadata", data_id(1, 2)) == {"exptime": 30.0}
        np.testing.assert_array_equal(butler.get(cref, component="array"), array)

    def test_uri_names_the_stored_artifact(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 1), "summary", data_id(1, 1))
        uri = butler.uri(ref)
        assert "://" in uri
        assert butler.datastore.owns(uri)

    # -- transactional put ----------------------------------------------------------------------

    def test_put_rolls_back_registry_when_datastore_write_fails(self, butler: Butler) -> None:
        class FailingDatastore(ForwardingDatastore):
            def put(self, items: Any) -> list[StoredArtifact]:
                raise InjectedFaultError("disk full")

        faulty = Butler.from_parts(butler.registry, FailingDatastore(butler.datastore),
                                   storage_classes=butler.storage_classes, run=RUN)
        with pytest.raises(InjectedFaultError):
            faulty.put(payload(1, 1), "summary", data_id(1, 1))
        assert butler.find_dataset("summary", data_id(1, 1)) is None
        assert butler.registry.datasets_in_collection(RUN) == []

    def test_registry_failure_after_write_leaves_no_artifact(self, butler: Butler) -> None:
        recording = RecordingDatastore(butler.datastore)
        written = recording.written

        class FailingRegistry(ForwardingRegistry):
            def insert_artifacts(self, artifacts: Any) -> None:
                raise InjectedFaultError("database went away")

        faulty = Butler.from_parts(FailingRegistry(butler.registry), recording,
                                   storage_classes=butler.storage_classes, run=RUN)
        with pytest.raises(InjectedFaultError):
            faulty.put(payload(1, 1), "summary", data_id(1, 1))
        assert written, "the datastore write happened before the registry failed"
        assert butler.datastore.exists(written) == [False] * len(written)
        assert butler.find_dataset("summary", data_id(1, 1)) is None

    def test_failure_at_commit_leaves_no_artifact(self, butler: Butler) -> None:
        recording = RecordingDatastore(butler.datastore)
        written = recording.written

        class CommitFailingRegistry(ForwardingRegistry):
            def transaction(self) -> Any:
                from contextlib import contextmanager

                @contextmanager
                def failing() -> Any:
                    with self.inner.transaction():
                        yield
                        raise InjectedFaultError("commit failed")
                return failing()

        faulty = Butler.from_parts(CommitFailingRegistry(butler.registry), recording,
                                   storage_classes=butler.storage_classes, run=RUN)
        with pytest.raises(InjectedFaultError):
            faulty.put(payload(1, 1), "summary", data_id(1, 1))
        assert written
        assert butler.datastore.exists(written) == [False]
        assert butler.find_dataset("summary", data_id(1, 1)) is None

    # -- collections ----------------------------------------------------------------------------

    def test_search_path_returns_the_first_match(self, make_butler: MakeButler) -> None:
        butler = make_butler(run="a")
        setup_units(butler)
        butler.put({"from": "a"}, "summary", data_id(1, 1))
        butler.put({"from": "b"}, "summary", data_id(1, 1), run="b")
        assert butler.get("summary", data_id(1, 1), collections=["b", "a"]) == {"from": "b"}
        assert butler.get("summary", data_id(1, 1), collections=["a", "b"]) == {"from": "a"}
        butler.define_chain("chain", ["b", "a"])
        assert butler.get("summary", data_id(1, 1), collections="chain") == {"from": "b"}
        butler.define_chain("chain", ["a", "b"])
        assert butler.get("summary", data_id(1, 1), collections="chain") == {"from": "a"}

    def test_tagged_collections_associate_and_disassociate(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
        assert butler.register_collection("best", CollectionKind.TAGGED)
        butler.associate("best", refs[:1])
        assert butler.get("summary", data_id(1, 1), collections="best") == payload(1, 1)
        assert butler.find_dataset("summary", data_id(1, 2), collections="best") is None
        butler.disassociate("best", refs[:1])
        assert butler.find_dataset("summary", data_id(1, 1), collections="best") is None
        assert butler.get(refs[0]) == payload(1, 1)

    def test_remove_collection_refuses_runs(self, butler: Butler) -> None:
        butler.put(payload(1, 1), "summary", data_id(1, 1))
        with pytest.raises(CollectionError, match="remove_runs"):
            butler.remove_collection(RUN)
        assert butler.exists("summary", data_id(1, 1))

    def test_remove_runs_deletes_datasets_and_artifacts(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2, 3)])
        artifacts = self._artifacts(butler, refs)
        butler.remove_runs([RUN])
        assert butler.datastore.exists(artifacts) == [False] * 3
        assert butler.registry.get_datasets([r.id for r in refs]) == [None] * 3
        assert RUN not in [c.name for c in butler.registry.query_collections()]

    def test_remove_runs_is_all_or_nothing_when_a_run_is_in_a_chain(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
        butler.define_chain("chain", [RUN])
        with pytest.raises(CollectionError, match="chain"):
            butler.remove_runs([RUN])
        assert butler.get_many(refs) == [payload(1, 1), payload(1, 2)]
        assert butler.registry.get_collection(RUN).kind is CollectionKind.RUN

    # -- removal --------------------------------------------------------------------------------

    def test_remove_unstore_and_forget(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2, 3, 4)])
        artifacts = self._artifacts(butler, refs)
        butler.remove(refs[:2])
        assert butler.datastore.exists(artifacts) == [False, False, True, True]
        assert butler.registry.get_datasets([r.id for r in refs[:2]]) == [None, None]
        assert butler.get_many(refs[2:]) == [payload(1, 3), payload(1, 4)]

    def test_unstore_without_forget_keeps_the_dataset_known(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 1), "summary", data_id(1, 1))
        butler.remove([ref], unstore=True, forget=False)
        assert butler.registry.get_datasets([ref.id]) == [ref]
        assert not butler.exists(ref)
        with pytest.raises(DatasetNotFoundError):
            butler.get(ref)

    def test_forget_without_unstore_is_refused_while_artifacts_exist(self, butler: Butler) -> None:
        ref = butler.put(payload(1, 1), "summary", data_id(1, 1))
        with pytest.raises(ConflictingDefinitionError, match="unstore"):
            butler.remove([ref], unstore=False, forget=True)
        assert butler.get(ref) == payload(1, 1)

    # -- ingest ---------------------------------------------------------------------------------

    def _stage(self, directory: Path, n: int) -> list[FileDataset]:
        import json

        directory.mkdir(parents=True, exist_ok=True)
        files = []
        for d in range(1, n + 1):
            path = directory / f"summary_{d}.json"
            path.write_text(json.dumps(payload(2, d)))
            files.append(FileDataset(str(path), "summary", data_id(2, d)))
        return files

    @requires(DatastoreCapability.INGEST)
    @pytest.mark.parametrize("mode", [  # move is a copy, then a delete of the source
        pytest.param(mode, marks=requires(TransferMode.COPY if mode == "move" else TransferMode(mode)))
        for mode in ("copy", "move", "direct", "hardlink", "symlink", "relsymlink", "auto")])
    def test_ingest_by_each_declared_mode(self, butler: Butler, tmp_path: Path, mode: str) -> None:
        files = self._stage(tmp_path / "staging", 3)
        refs = butler.ingest(files, transfer=mode)
        assert butler.get_many(refs) == [payload(2, d) for d in (1, 2, 3)]
        sources_remain = [os.path.exists(f.path) for f in files]
        assert sources_remain == ([False] * 3 if mode == "move" else [True] * 3)

    def test_ingest_of_a_missing_file_ingests_nothing(self, butler: Butler, tmp_path: Path) -> None:
        if DatastoreCapability.INGEST not in butler.datastore.capabilities:
            with pytest.raises(CapabilityError):
                butler.ingest(self._stage(tmp_path / "s", 1), transfer="copy")
            return
        files = [*self._stage(tmp_path / "staging", 2),
                 FileDataset(str(tmp_path / "absent.json"), "summary", data_id(2, 3))]
        with pytest.raises(DataButlerError):
            butler.ingest(files, transfer="copy")
        assert butler.registry.datasets_in_collection(RUN) == []
        assert all(os.path.exists(f.path) for f in files[:2])

    # -- integrity ------------------------------------------------------------------------------

    def test_verify_reports_nothing_for_sound_datasets(self, butler: Butler) -> None:
        refs = butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
        assert butler.verify(refs) == {}
        butler.remove(refs[:1], unstore=True, forget=False)
        assert set(butler.verify(refs)) == {refs[0].id}
