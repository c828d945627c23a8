"""The Datastore contract, topic group. Disassembly: composites written one artifact per component.

A datastore declaring ``DatastoreCapability.DISASSEMBLY`` writes each component of an
``ArrayWithMetadata`` composite to its own artifact (the builtin composite with an assembler), reads a
component from its part alone and the whole by assembling every part, and treats the parts as one
Dataset in verify, removal, listing and transfer. One that does not declare it stores composites whole.

Adopt it alone by subclassing ``DatastoreDisassemblyContract`` and providing ``make_datastore`` (and
``corrupt_artifact`` for the damaged-part test); ``DatastoreContract`` includes it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import DataButlerError, DatasetNotFoundError, FileIntegrityError, StorageClassError
from ..ports.capabilities import DatastoreCapability
from ..ports.datastore import Datastore, ReadRequest
from .datastore_support import CorruptArtifact, DatastoreFixtures, MakeDatastore, make_ref
from .requirements import Harness, refuses, requires

HAS_NUMPY = importlib.util.find_spec("numpy") is not None
needs_numpy = pytest.mark.skipif(not HAS_NUMPY, reason="ArrayWithMetadata holds a numpy array")
COMPOSITE = "ArrayWithMetadata"


def composite(rows: int = 4) -> dict[str, Any]:
    """A small ArrayWithMetadata: a float array of ``rows`` x 3 and a dict."""
    import numpy

    return {"array": numpy.arange(rows * 3, dtype="f8").reshape(rows, 3), "metadata": {"exposure": 30.0, "ok": True}}


def get(datastore: Datastore, ref: DatasetRef, artifacts: list[StoredArtifact], parameters: Any = None,
        component: str | None = None) -> Any:
    """Read one Dataset through the port, from all its recorded artifacts."""
    return datastore.get([ReadRequest(ref, artifacts, parameters, component)])[0]


def same(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Whether two ArrayWithMetadata composites are equal."""
    import numpy

    return bool(left.keys() == right.keys() and numpy.array_equal(left["array"], right["array"])
                and left["metadata"] == right["metadata"])


def listed(datastore: Datastore) -> set[str]:
    """The URIs of every file ``datastore`` holds."""
    return {entry.uri for entry in datastore.list_artifacts()}


@needs_numpy
class DatastoreDisassemblyContract(DatastoreFixtures):
    """Disassembly of the Datastore contract."""

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY)
    def test_a_composite_is_written_one_artifact_per_component(self, writeable: Datastore) -> None:
        ref = make_ref(COMPOSITE)
        artifacts = writeable.put([(composite(), ref)])
        assert sorted((a.component, a.storage_class) for a in artifacts) == [
            ("array", "NumpyArray"), ("metadata", "StructuredDataDict")]
        assert all(a.dataset_id == ref.id for a in artifacts)
        assert len({writeable.uri(a) for a in artifacts}) == 2
        assert writeable.exists(artifacts) == [True, True]

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY)
    def test_the_whole_is_assembled_from_its_parts(self, writeable: Datastore) -> None:
        ref = make_ref(COMPOSITE)
        obj = composite()
        artifacts = writeable.put([(obj, ref)])
        assert same(get(writeable, ref, artifacts), obj)

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.REMOVE)
    def test_a_component_is_read_from_its_own_part_alone(self, writeable: Datastore) -> None:
        ref = make_ref(COMPOSITE)
        obj = composite()
        artifacts = writeable.put([(obj, ref)])
        array_part = next(a for a in artifacts if a.component == "array")
        writeable.remove([array_part])  # were the array file read, the metadata read would fail now
        assert get(writeable, ref, artifacts, component="metadata") == obj["metadata"]
        with pytest.raises(DatasetNotFoundError):
            get(writeable, ref, artifacts)
        with pytest.raises(DatasetNotFoundError):
            get(writeable, ref, artifacts, component="array")

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY)
    def test_read_parameters_go_to_the_parts_that_accept_them(self, writeable: Datastore) -> None:
        ref = make_ref(COMPOSITE)
        obj = composite(rows=6)
        artifacts = writeable.put([(obj, ref)])
        rows = {"slices": (slice(1, 3),)}
        sliced = get(writeable, ref, artifacts, rows)
        assert same(sliced, {"array": obj["array"][1:3], "metadata": obj["metadata"]})
        assert (get(writeable, ref, artifacts, rows, component="array") == obj["array"][1:3]).all()
        assert get(writeable, ref, artifacts, rows, component="metadata") == obj["metadata"]
        with pytest.raises(StorageClassError):  # not a parameter of the composite: refused, nothing read
            get(writeable, ref, artifacts, {"keys": ["exposure"]})
        with pytest.raises(StorageClassError):
            get(writeable, ref, artifacts, component="wcs")

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.LIST)
    def test_a_batch_failing_half_way_leaves_no_part(self, writeable: Datastore) -> None:
        bad = {"array": composite()["array"], "metadata": {"not json": object()}}  # its array part is written first
        with pytest.raises(DataButlerError):
            writeable.put([(composite(), make_ref(COMPOSITE)), (bad, make_ref(COMPOSITE))])
        assert listed(writeable) == set()

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.LIST)
    def test_a_component_of_the_wrong_type_is_refused_before_anything_is_written(self, writeable: Datastore) -> None:
        with pytest.raises(StorageClassError, match="array"):
            writeable.put([(composite(), make_ref(COMPOSITE)),
                           ({"array": "not an array", "metadata": {}}, make_ref(COMPOSITE))])
        with pytest.raises(StorageClassError):
            writeable.put([({"array": composite()["array"]}, make_ref(COMPOSITE))])  # a component missing
        assert listed(writeable) == set()

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.CHECKSUMS)
    @requires(Harness.CORRUPT_ARTIFACT)
    def test_verify_checks_every_part(self, writeable: Datastore, corrupt_artifact: CorruptArtifact) -> None:
        ref = make_ref(COMPOSITE)
        artifacts = sorted(writeable.put([(composite(), ref)]), key=lambda a: a.component or "")
        assert writeable.verify(artifacts) == [None, None]
        corrupt_artifact(writeable, artifacts[1])  # the metadata part
        problems = writeable.verify(artifacts)
        assert problems[0] is None and problems[1] is not None
        with pytest.raises(FileIntegrityError):
            get(writeable, ref, artifacts)
        assert get(writeable, ref, artifacts, component="array").shape == (4, 3)  # the sound part still reads

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.REMOVE,
              DatastoreCapability.LIST)
    def test_every_part_is_listed_and_removed(self, writeable: Datastore) -> None:
        artifacts = writeable.put([(composite(), make_ref(COMPOSITE))])
        assert listed(writeable) == {writeable.uri(a) for a in artifacts}
        writeable.remove(artifacts)
        assert listed(writeable) == set()
        assert writeable.exists(artifacts) == [False, False]

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY, DatastoreCapability.ARTIFACT_BYTES,
              DatastoreCapability.INGEST)
    def test_transfer_copies_every_part(self, writeable: Datastore, make_datastore: MakeDatastore) -> None:
        from ..service.transfer import transfer

        ref = make_ref(COMPOSITE)
        obj = composite()
        artifacts = writeable.put([(obj, ref)])
        target = make_datastore()
        try:
            copies = transfer([(ref, a) for a in artifacts], writeable, target)
            assert sorted(c.component or "" for c in copies) == ["array", "metadata"]
            assert [c.checksum for c in copies] == [a.checksum for a in artifacts]
            assert same(get(target, ref, copies), obj)
        finally:
            target.close()

    @requires(DatastoreCapability.WRITE, DatastoreCapability.DISASSEMBLY)
    def test_a_dataset_that_is_not_a_composite_is_written_whole(self, writeable: Datastore) -> None:
        (artifact,) = writeable.put([({"a": 1}, make_ref())])
        assert artifact.component is None

    @requires(DatastoreCapability.WRITE)
    @refuses(DatastoreCapability.DISASSEMBLY)
    def test_composites_are_written_whole_without_disassembly(self, writeable: Datastore) -> None:
        ref = make_ref(COMPOSITE)
        obj = composite()
        (artifact,) = writeable.put([(obj, ref)])
        assert artifact.component is None
        assert same(get(writeable, ref, [artifact]), obj)
