"""The Datastore contract, topic group. Put and get: round trips of every builtin storage class, read
parameters and components, batches, existence, removal and missing artifacts.

Adopt it alone by subclassing ``DatastorePutGetContract`` and providing ``make_datastore``;
``DatastoreContract`` includes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..domain.errors import (
    ConflictingDefinitionError,
    DatasetNotFoundError,
    StorageClassError,
)
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore, ReadRequest
from .datastore_support import DatastoreFixtures, make_ref, put_one, read
from .formatter import SAMPLES, Sample, assert_same, samples_of
from .requirements import requires


class DatastorePutGetContract(DatastoreFixtures):
    """Put and get of the Datastore contract."""

    # -- put and get ----------------------------------------------------------------------------

    @requires(DatastoreCapability.WRITE)
    @pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
    def test_round_trip_of_every_builtin_storage_class(self, writeable: Datastore, sample: Sample) -> None:
        obj = sample.make()
        ref = make_ref(sample.storage_class)
        artifacts = writeable.put([(obj, ref)])  # one per component for a composite written in parts
        assert all(a.dataset_id == ref.id for a in artifacts)
        if len(artifacts) == 1:
            assert artifacts[0].storage_class == sample.storage_class and artifacts[0].component is None
        sample.assert_same(writeable.get([ReadRequest(ref, artifacts)])[0], obj)
        assert writeable.exists(artifacts) == [True] * len(artifacts)
        assert writeable.verify(artifacts) == [None] * len(artifacts)

    @requires(DatastoreCapability.WRITE)
    def test_put_returns_one_artifact_per_item_in_order(self, writeable: Datastore) -> None:
        refs = [make_ref() for _ in range(5)]
        artifacts = writeable.put([({"i": i}, ref) for i, ref in enumerate(refs)])
        assert [a.dataset_id for a in artifacts] == [r.id for r in refs]
        assert len({a.uri for a in artifacts}) == 5
        got = writeable.get([ReadRequest(r, [a]) for r, a in zip(refs, artifacts, strict=True)])
        assert got == [{"i": i} for i in range(5)]

    @requires(DatastoreCapability.WRITE)
    def test_stored_and_returned_objects_are_independent_copies(self, writeable: Datastore) -> None:
        obj = {"values": [1, 2, 3]}
        ref = make_ref()
        artifact = put_one(writeable, obj, ref)
        obj["values"].append(4)
        first = read(writeable, ref, artifact)
        assert first == {"values": [1, 2, 3]}
        first["values"].clear()
        assert read(writeable, ref, artifact) == {"values": [1, 2, 3]}

    @requires(DatastoreCapability.WRITE)
    def test_read_parameter_keys_selects_part_of_a_dict(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = put_one(writeable, {"a": 1, "b": [2], "c": "3"}, ref)
        assert read(writeable, ref, artifact, {"keys": ["c", "a"]}) == {"c": "3", "a": 1}

    @requires(DatastoreCapability.WRITE)
    def test_read_parameter_slices_selects_part_of_an_array(self, writeable: Datastore) -> None:
        (sample,) = [s for s in samples_of("NumpyArray") if s.label == "float64-2d"]
        array = sample.make()
        ref = make_ref("NumpyArray")
        artifact = put_one(writeable, array, ref)
        for parameters, _ in sample.reads:
            assert parameters is not None
            assert_same(read(writeable, ref, artifact, parameters), array[parameters["slices"]], str(parameters))

    @requires(DatastoreCapability.WRITE)
    def test_components_of_a_composite_are_read_alone(self, writeable: Datastore) -> None:
        (sample,) = samples_of("ArrayWithMetadata")
        composite = sample.make()
        ref = make_ref("ArrayWithMetadata")
        artifacts = writeable.put([(composite, ref)])  # whole, or in parts (DISASSEMBLY)

        def read_all(parameters: Any = None, component: str | None = None) -> Any:
            return writeable.get([ReadRequest(ref, artifacts, parameters, component)])[0]

        assert_same(read_all(component="metadata"), composite["metadata"])
        assert_same(read_all(component="array"), composite["array"])
        assert_same(read_all({"slices": slice(1, 3)}, "array"), composite["array"][1:3])
        sliced = read_all({"slices": (slice(None), 2)})
        assert_same(sliced, {"array": composite["array"][:, 2], "metadata": composite["metadata"]})

    @requires(DatastoreCapability.WRITE)
    def test_unknown_parameters_and_components_are_refused(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = put_one(writeable, {"a": 1}, ref)
        with pytest.raises(StorageClassError):
            read(writeable, ref, artifact, {"bbox": (0, 0, 1, 1)})
        with pytest.raises(StorageClassError):
            read(writeable, ref, artifact, component="wcs")

    @requires(DatastoreCapability.WRITE)
    def test_wrong_type_is_refused_and_leaves_nothing_behind(self, writeable: Datastore) -> None:
        ref = make_ref("StructuredDataDict")
        with pytest.raises(StorageClassError):
            writeable.put([([1, 2, 3], ref)])
        artifact = put_one(writeable, {"ok": True}, ref)  # the path is still free
        assert read(writeable, ref, artifact) == {"ok": True}

    @requires(DatastoreCapability.WRITE)
    def test_put_never_overwrites(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = put_one(writeable, {"version": 1}, ref)
        with pytest.raises(ConflictingDefinitionError):
            writeable.put([({"version": 2}, ref)])
        assert read(writeable, ref, artifact) == {"version": 1}

    @requires(DatastoreCapability.WRITE)
    def test_batch_with_a_bad_item_writes_nothing(self, writeable: Datastore) -> None:
        first, second = make_ref(), make_ref()
        with pytest.raises(StorageClassError):
            writeable.put([({"first": 1}, first), ("not a dict", second)])
        artifacts = writeable.put([({"first": 1}, first), ({"second": 2}, second)])
        assert writeable.exists(artifacts) == [True, True]

    @requires(DatastoreCapability.WRITE)
    def test_batch_failing_midway_removes_what_it_wrote(self, writeable: Datastore) -> None:
        first, second = make_ref(), make_ref()
        kept = put_one(writeable, {"second": "original"}, second)
        with pytest.raises(ConflictingDefinitionError):
            writeable.put([({"first": 1}, first), ({"second": "new"}, second)])
        assert read(writeable, second, kept) == {"second": "original"}
        artifact = put_one(writeable, {"first": 1}, first)  # nothing of the failed batch is left
        assert read(writeable, first, artifact) == {"first": 1}

    @requires(DatastoreCapability.WRITE)
    def test_duplicate_refs_in_one_batch_conflict(self, writeable: Datastore) -> None:
        ref = make_ref()
        with pytest.raises(ConflictingDefinitionError):
            writeable.put([({"a": 1}, ref), ({"a": 2}, ref)])
        artifact = put_one(writeable, {"a": 3}, ref)
        assert read(writeable, ref, artifact) == {"a": 3}

    @requires(DatastoreCapability.WRITE)
    def test_uri_is_absolute_and_under_the_root(self, writeable: Datastore) -> None:
        artifact = put_one(writeable, {"a": 1}, make_ref())
        assert writeable.uri(artifact).startswith(writeable.root)
        assert writeable.owns(artifact.uri) and writeable.owns(writeable.uri(artifact))

    # -- exists, remove, missing artifacts ------------------------------------------------------

    @requires(DatastoreCapability.WRITE, DatastoreCapability.REMOVE)
    def test_exists_and_remove_are_idempotent(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = put_one(writeable, {"a": 1}, ref)
        assert writeable.exists([artifact, artifact]) == [True, True]
        writeable.remove([artifact])
        assert writeable.exists([artifact]) == [False]
        writeable.remove([artifact])
        assert writeable.exists([artifact]) == [False]
        again = put_one(writeable, {"a": 2}, ref)  # the path is free again
        assert read(writeable, ref, again) == {"a": 2}

    @requires(DatastoreCapability.WRITE, DatastoreCapability.REMOVE)
    def test_reading_a_missing_artifact_raises_dataset_not_found(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = put_one(writeable, {"a": 1}, ref)
        writeable.remove([artifact])
        with pytest.raises(DatasetNotFoundError):
            read(writeable, ref, artifact)
        problem = writeable.verify([artifact])[0]
        assert problem is not None and "missing" in problem

    def test_reading_without_artifacts_raises_dataset_not_found(self, datastore: Datastore) -> None:
        with pytest.raises(DatasetNotFoundError):
            datastore.get([ReadRequest(make_ref(), [])])
