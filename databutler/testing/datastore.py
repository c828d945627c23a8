"""The Datastore contract suite: what every Datastore promises, run against each adapter.

An adapter plugs in with a ``make_datastore`` fixture returning a factory of fresh, empty
datastores that know the builtin StorageClasses and the default formatters, and optionally a
``corrupt_artifact`` fixture: a callable ``(datastore, artifact)`` that changes the stored bytes
without going through the port (the corruption tests are skipped without it)::

    class TestMyDatastore(DatastoreContract):
        @pytest.fixture
        def make_datastore(self, tmp_path):
            return lambda: MyDatastore(sources / "store", ...)

Tests that need a capability skip, naming it, when the datastore does not declare it; for each
capability it does not declare, the suite checks that the calls needing it are refused.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import (
    CapabilityError,
    ConflictingDefinitionError,
    DataButlerError,
    DatasetNotFoundError,
    FileIntegrityError,
    StorageClassError,
)
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore, IngestRequest, ReadRequest, TransferMode
from .datastore_listing import DatastoreListingContract
from .datastore_ownership import DatastoreOwnershipContract
from .datastore_support import INSTRUMENT, RUN, lacks, make_ref, needs
from .formatter import SAMPLES, Sample, assert_same, samples_of

MakeDatastore = Callable[[], Datastore]
CorruptArtifact = Callable[[Datastore, StoredArtifact], None]
__all__ = ["INSTRUMENT", "RUN", "CorruptArtifact", "DatastoreContract", "MakeDatastore", "lacks", "make_ref",
           "needs", "read"]


def read(datastore: Datastore, ref: DatasetRef, artifact: StoredArtifact, parameters: Any = None,
         component: str | None = None) -> Any:
    """Read one Dataset through the port."""
    return datastore.get([ReadRequest(ref, [artifact], parameters, component)])[0]


def _put_one(datastore: Datastore, obj: Any, ref: DatasetRef) -> StoredArtifact:
    (artifact,) = datastore.put([(obj, ref)])
    return artifact


class DatastoreContract(DatastoreListingContract, DatastoreOwnershipContract):
    """The contract of the Datastore port."""

    @pytest.fixture
    def datastore(self, make_datastore: MakeDatastore) -> Iterator[Datastore]:
        """A fresh datastore from the adapter's factory."""
        store = make_datastore()
        yield store
        store.close()

    @pytest.fixture
    def writeable(self, datastore: Datastore) -> Datastore:
        """The datastore, if it declares WRITE (else the test is skipped)."""
        needs(datastore, DatastoreCapability.WRITE)
        return datastore

    @pytest.fixture
    def sources(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        """A directory for files to ingest, apart from any datastore root."""
        return tmp_path_factory.mktemp("ingest-sources")

    @pytest.fixture
    def corrupt(self, request: pytest.FixtureRequest) -> CorruptArtifact:
        """The adapter's backdoor that damages stored bytes (the test is skipped without one)."""
        try:
            return request.getfixturevalue("corrupt_artifact")  # type: ignore[no-any-return]
        except pytest.FixtureLookupError:
            pytest.skip("the adapter provides no corrupt_artifact fixture")

    # -- declarations ---------------------------------------------------------------------------

    def test_declarations_are_consistent(self, datastore: Datastore) -> None:
        assert "://" in datastore.root and datastore.root.endswith("/")
        assert (DatastoreCapability.INGEST in datastore.capabilities) == bool(datastore.ingest_modes)

    def test_put_is_refused_without_write(self, datastore: Datastore) -> None:
        lacks(datastore, DatastoreCapability.WRITE)
        with pytest.raises(CapabilityError):
            datastore.put([({"a": 1}, make_ref())])

    def test_remove_is_refused_without_remove(self, datastore: Datastore) -> None:
        lacks(datastore, DatastoreCapability.REMOVE)
        artifact = StoredArtifact(uuid.uuid4(), "contract/missing.json", "json", "StructuredDataDict")
        with pytest.raises(CapabilityError):
            datastore.remove([artifact])

    def test_ingest_is_refused_without_ingest(self, datastore: Datastore, sources: Path) -> None:
        lacks(datastore, DatastoreCapability.INGEST)
        source = _json_file(sources, {"a": 1})
        for mode in TransferMode:
            with pytest.raises(CapabilityError):
                datastore.ingest([IngestRequest(str(source), make_ref())], mode)

    @pytest.mark.parametrize("mode", list(TransferMode), ids=lambda m: m.value)
    def test_undeclared_transfer_modes_are_refused(self, datastore: Datastore, sources: Path,
                                                   mode: TransferMode) -> None:
        needs(datastore, DatastoreCapability.INGEST)
        if mode in datastore.ingest_modes:
            pytest.skip(f"{type(datastore).__name__} supports transfer mode {mode.value!r}")
        with pytest.raises(CapabilityError):
            datastore.ingest([IngestRequest(str(_json_file(sources, {"a": 1})), make_ref())], mode)

    # -- put and get ----------------------------------------------------------------------------

    @pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
    def test_round_trip_of_every_builtin_storage_class(self, writeable: Datastore, sample: Sample) -> None:
        obj = sample.make()
        ref = make_ref(sample.storage_class)
        artifact = _put_one(writeable, obj, ref)
        assert artifact.dataset_id == ref.id and artifact.storage_class == sample.storage_class
        assert_same(read(writeable, ref, artifact), obj)
        assert writeable.exists([artifact]) == [True]
        assert writeable.verify([artifact]) == [None]

    def test_put_returns_one_artifact_per_item_in_order(self, writeable: Datastore) -> None:
        refs = [make_ref() for _ in range(5)]
        artifacts = writeable.put([({"i": i}, ref) for i, ref in enumerate(refs)])
        assert [a.dataset_id for a in artifacts] == [r.id for r in refs]
        assert len({a.uri for a in artifacts}) == 5
        got = writeable.get([ReadRequest(r, [a]) for r, a in zip(refs, artifacts, strict=True)])
        assert got == [{"i": i} for i in range(5)]

    def test_stored_and_returned_objects_are_independent_copies(self, writeable: Datastore) -> None:
        obj = {"values": [1, 2, 3]}
        ref = make_ref()
        artifact = _put_one(writeable, obj, ref)
        obj["values"].append(4)
        first = read(writeable, ref, artifact)
        assert first == {"values": [1, 2, 3]}
        first["values"].clear()
        assert read(writeable, ref, artifact) == {"values": [1, 2, 3]}

    def test_read_parameter_keys_selects_part_of_a_dict(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = _put_one(writeable, {"a": 1, "b": [2], "c": "3"}, ref)
        assert read(writeable, ref, artifact, {"keys": ["c", "a"]}) == {"c": "3", "a": 1}

    def test_read_parameter_slices_selects_part_of_an_array(self, writeable: Datastore) -> None:
        (sample,) = [s for s in samples_of("NumpyArray") if s.label == "float64-2d"]
        array = sample.make()
        ref = make_ref("NumpyArray")
        artifact = _put_one(writeable, array, ref)
        for parameters, _ in sample.reads:
            assert parameters is not None
            assert_same(read(writeable, ref, artifact, parameters), array[parameters["slices"]], str(parameters))

    def test_components_of_a_composite_are_read_alone(self, writeable: Datastore) -> None:
        (sample,) = samples_of("ArrayWithMetadata")
        composite = sample.make()
        ref = make_ref("ArrayWithMetadata")
        artifact = _put_one(writeable, composite, ref)
        assert_same(read(writeable, ref, artifact, component="metadata"), composite["metadata"])
        assert_same(read(writeable, ref, artifact, component="array"), composite["array"])
        assert_same(read(writeable, ref, artifact, {"slices": slice(1, 3)}, "array"), composite["array"][1:3])
        sliced = read(writeable, ref, artifact, {"slices": (slice(None), 2)})
        assert_same(sliced, {"array": composite["array"][:, 2], "metadata": composite["metadata"]})

    def test_unknown_parameters_and_components_are_refused(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = _put_one(writeable, {"a": 1}, ref)
        with pytest.raises(StorageClassError):
            read(writeable, ref, artifact, {"bbox": (0, 0, 1, 1)})
        with pytest.raises(StorageClassError):
            read(writeable, ref, artifact, component="wcs")

    def test_wrong_type_is_refused_and_leaves_nothing_behind(self, writeable: Datastore) -> None:
        ref = make_ref("StructuredDataDict")
        with pytest.raises(StorageClassError):
            writeable.put([([1, 2, 3], ref)])
        artifact = _put_one(writeable, {"ok": True}, ref)  # the path is still free
        assert read(writeable, ref, artifact) == {"ok": True}

    def test_put_never_overwrites(self, writeable: Datastore) -> None:
        ref = make_ref()
        artifact = _put_one(writeable, {"version": 1}, ref)
        with pytest.raises(ConflictingDefinitionError):
            writeable.put([({"version": 2}, ref)])
        assert read(writeable, ref, artifact) == {"version": 1}

    def test_batch_with_a_bad_item_writes_nothing(self, writeable: Datastore) -> None:
        first, second = make_ref(), make_ref()
        with pytest.raises(StorageClassError):
            writeable.put([({"first": 1}, first), ("not a dict", second)])
        artifacts = writeable.put([({"first": 1}, first), ({"second": 2}, second)])
        assert writeable.exists(artifacts) == [True, True]

    def test_batch_failing_midway_removes_what_it_wrote(self, writeable: Datastore) -> None:
        first, second = make_ref(), make_ref()
        kept = _put_one(writeable, {"second": "original"}, second)
        with pytest.raises(ConflictingDefinitionError):
            writeable.put([({"first": 1}, first), ({"second": "new"}, second)])
        assert read(writeable, second, kept) == {"second": "original"}
        artifact = _put_one(writeable, {"first": 1}, first)  # nothing of the failed batch is left
        assert read(writeable, first, artifact) == {"first": 1}

    def test_duplicate_refs_in_one_batch_conflict(self, writeable: Datastore) -> None:
        ref = make_ref()
        with pytest.raises(ConflictingDefinitionError):
            writeable.put([({"a": 1}, ref), ({"a": 2}, ref)])
        artifact = _put_one(writeable, {"a": 3}, ref)
        assert read(writeable, ref, artifact) == {"a": 3}

    def test_uri_is_absolute_and_under_the_root(self, writeable: Datastore) -> None:
        artifact = _put_one(writeable, {"a": 1}, make_ref())
        assert writeable.uri(artifact).startswith(writeable.root)
        assert writeable.owns(artifact.uri) and writeable.owns(writeable.uri(artifact))

    # -- exists, remove, missing artifacts ------------------------------------------------------

    def test_exists_and_remove_are_idempotent(self, writeable: Datastore) -> None:
        needs(writeable, DatastoreCapability.REMOVE)
        ref = make_ref()
        artifact = _put_one(writeable, {"a": 1}, ref)
        assert writeable.exists([artifact, artifact]) == [True, True]
        writeable.remove([artifact])
        assert writeable.exists([artifact]) == [False]
        writeable.remove([artifact])
        assert writeable.exists([artifact]) == [False]
        again = _put_one(writeable, {"a": 2}, ref)  # the path is free again
        assert read(writeable, ref, again) == {"a": 2}

    def test_reading_a_missing_artifact_raises_dataset_not_found(self, writeable: Datastore) -> None:
        needs(writeable, DatastoreCapability.REMOVE)
        ref = make_ref()
        artifact = _put_one(writeable, {"a": 1}, ref)
        writeable.remove([artifact])
        with pytest.raises(DatasetNotFoundError):
            read(writeable, ref, artifact)
        problem = writeable.verify([artifact])[0]
        assert problem is not None and "missing" in problem

    def test_reading_without_artifacts_raises_dataset_not_found(self, datastore: Datastore) -> None:
        with pytest.raises(DatasetNotFoundError):
            datastore.get([ReadRequest(make_ref(), [])])

    # -- checksums ------------------------------------------------------------------------------

    def test_checksums_and_sizes_are_recorded(self, writeable: Datastore) -> None:
        needs(writeable, DatastoreCapability.CHECKSUMS)
        artifact = _put_one(writeable, {"a": 1}, make_ref())
        assert artifact.checksum and ":" in artifact.checksum
        assert artifact.size is not None and artifact.size > 0

    def test_corruption_is_detected_on_get_and_by_verify(self, writeable: Datastore,
                                                         corrupt: CorruptArtifact) -> None:
        needs(writeable, DatastoreCapability.CHECKSUMS)
        ref = make_ref()
        artifact = _put_one(writeable, {"payload": "x" * 100}, ref)
        corrupt(writeable, artifact)
        with pytest.raises(FileIntegrityError):
            read(writeable, ref, artifact)
        problem = writeable.verify([artifact])[0]
        assert problem is not None

    # -- artifact bytes -------------------------------------------------------------------------

    def test_artifact_bytes_are_what_was_recorded(self, writeable: Datastore) -> None:
        needs(writeable, DatastoreCapability.ARTIFACT_BYTES)
        artifact = _put_one(writeable, {"payload": list(range(50))}, make_ref())
        with writeable.open_artifact(artifact) as stream:
            data = stream.read()
        if artifact.size is not None:
            assert len(data) == artifact.size
        if artifact.checksum is not None:
            algorithm, _, digest = artifact.checksum.partition(":")
            assert hashlib.new(algorithm, data).hexdigest() == digest

    def test_artifact_bytes_of_a_missing_artifact_raise_dataset_not_found(self, writeable: Datastore) -> None:
        needs(writeable, DatastoreCapability.ARTIFACT_BYTES)
        needs(writeable, DatastoreCapability.REMOVE)
        artifact = _put_one(writeable, {"a": 1}, make_ref())
        writeable.remove([artifact])
        with pytest.raises(DatasetNotFoundError):
            writeable.open_artifact(artifact).__enter__().read()

    def test_artifact_bytes_are_refused_without_the_capability(self, datastore: Datastore) -> None:
        lacks(datastore, DatastoreCapability.ARTIFACT_BYTES)
        artifact = StoredArtifact(uuid.uuid4(), "contract/missing.json", "json", "StructuredDataDict")
        with pytest.raises(CapabilityError):
            datastore.open_artifact(artifact)

    # -- ingest ---------------------------------------------------------------------------------

    @pytest.mark.parametrize("mode", list(TransferMode), ids=lambda m: m.value)
    def test_ingest_with_each_declared_mode(self, datastore: Datastore, sources: Path, mode: TransferMode) -> None:
        _needs_mode(datastore, mode)
        content = {"ingested": mode.value, "values": [1, 2]}
        source = _json_file(sources, content)
        ref = make_ref()
        (artifact,) = datastore.ingest([IngestRequest(str(source), ref)], mode)
        assert artifact.dataset_id == ref.id
        assert read(datastore, ref, artifact) == content
        assert datastore.exists([artifact]) == [True]
        assert datastore.verify([artifact]) == [None]
        assert source.exists() == (mode is not TransferMode.MOVE)
        if mode is TransferMode.DIRECT:
            assert "://" in artifact.uri and datastore.uri(artifact) == artifact.uri
        if DatastoreCapability.REMOVE in datastore.capabilities:
            datastore.remove([artifact])
            if mode is TransferMode.DIRECT:
                assert source.exists(), "remove() deleted a file ingested in place"
            else:
                assert datastore.exists([artifact]) == [False]
            if mode is not TransferMode.MOVE:
                assert json.loads(source.read_text()) == content

    def test_ingest_chooses_the_formatter_by_extension(self, datastore: Datastore, sources: Path) -> None:
        mode = _any_mode(datastore)
        content = {"format": "yaml", "list": [1, 2]}
        source = sources / "data.yaml"
        source.write_text(yaml.safe_dump(content))
        ref = make_ref("StructuredDataDict")
        (artifact,) = datastore.ingest([IngestRequest(str(source), ref)], mode)
        assert read(datastore, ref, artifact) == content
        assert datastore.uri(artifact).endswith(".yaml")

    def test_ingest_of_a_missing_file_raises_dataset_not_found(self, datastore: Datastore, sources: Path) -> None:
        mode = _any_mode(datastore)
        with pytest.raises(DatasetNotFoundError):
            datastore.ingest([IngestRequest(str(sources / "absent.json"), make_ref())], mode)

    def test_ingest_of_an_unreadable_extension_is_refused(self, datastore: Datastore, sources: Path) -> None:
        mode = _any_mode(datastore)
        source = sources / "notes.txt"
        source.write_text("hello")
        with pytest.raises(DataButlerError):
            datastore.ingest([IngestRequest(str(source), make_ref())], mode)

    def test_ingest_with_an_unknown_mode_is_refused(self, datastore: Datastore, sources: Path) -> None:
        needs(datastore, DatastoreCapability.INGEST)
        with pytest.raises(CapabilityError):
            datastore.ingest([IngestRequest(str(_json_file(sources, {})), make_ref())], "teleport")  # type: ignore[arg-type]

    @pytest.mark.parametrize("mode", [TransferMode.COPY, TransferMode.MOVE, TransferMode.HARDLINK,
                                      TransferMode.SYMLINK], ids=lambda m: m.value)
    def test_ingest_failing_midway_undoes_the_batch(self, datastore: Datastore, sources: Path,
                                                    mode: TransferMode) -> None:
        _needs_mode(datastore, mode)
        needs(datastore, DatastoreCapability.WRITE)
        first, second = make_ref(), make_ref()
        _put_one(datastore, {"taken": True}, second)
        files = [_json_file(sources, {"n": 1}), _json_file(sources, {"n": 2})]
        requests = [IngestRequest(str(files[0]), first), IngestRequest(str(files[1]), second)]
        with pytest.raises(ConflictingDefinitionError):
            datastore.ingest(requests, mode)
        assert all(f.exists() for f in files), "a failed ingest must leave its source files in place"
        (artifact,) = datastore.ingest([requests[0]], mode)  # nothing of the failed batch is left
        assert read(datastore, first, artifact) == {"n": 1}


def _needs_mode(datastore: Datastore, mode: TransferMode) -> None:
    needs(datastore, DatastoreCapability.INGEST)
    if mode not in datastore.ingest_modes:
        pytest.skip(f"{type(datastore).__name__} does not support transfer mode {mode.value!r}")


def _any_mode(datastore: Datastore) -> TransferMode:
    needs(datastore, DatastoreCapability.INGEST)
    for mode in (TransferMode.COPY, TransferMode.AUTO, TransferMode.DIRECT):
        if mode in datastore.ingest_modes:
            return mode
    return next(iter(datastore.ingest_modes))


_file_numbers = iter(range(1 << 30))


def _json_file(directory: Path, content: Any) -> Path:
    path = directory / f"source-{next(_file_numbers)}.json"
    path.write_text(json.dumps(content))
    return path
