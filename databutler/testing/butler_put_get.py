"""The Butler contract, topic group. Put and get: by DataId and by ref, batches, refusals that write
nothing, read parameters, and a put that fails at any step leaving no row and no file.

Adopt it alone by subclassing ``ButlerPutGetContract`` and providing ``make_butler``; ``ButlerContract``
includes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..domain.dataset import StoredArtifact
from ..domain.errors import (
    ConflictingDefinitionError,
    DataIdError,
    DatasetNotFoundError,
    MissingDatasetTypeError,
    StorageClassError,
    UnknownDataUnitError,
)
from ..service.butler import Butler
from .butler_support import (
    HAS_NUMPY,
    INSTRUMENT,
    RUN,
    ButlerFixtures,
    InjectedFaultError,
    data_id,
    payload,
)
from .forwarding import ForwardingDatastore, ForwardingRegistry, RecordingDatastore


class ButlerPutGetContract(ButlerFixtures):
    """Put and get of the Butler contract."""

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
