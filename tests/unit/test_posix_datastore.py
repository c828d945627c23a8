"""PosixDatastore: file layout, atomic all-or-nothing writes, integrity checks, read-only mode."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.posix import PosixDatastore, integrity, make_datastore
from databutler.domain import (
    ConflictingDefinitionError,
    DataId,
    DatasetRef,
    DatasetType,
    DatastoreError,
    FileIntegrityError,
    FormatterError,
    PathTemplateError,
    ReadOnlyError,
    StorageClassRegistry,
    StoredArtifact,
)
from databutler.ports import DatastoreCapability, IngestRequest, ReadRequest, TransferMode

WHOLE_FILES = frozenset(DatastoreCapability) - {DatastoreCapability.DISASSEMBLY}
"""Every capability but DISASSEMBLY: what a file datastore not configured to write composites in parts declares."""

DICT_TYPE = DatasetType("calexp", ("instrument", "visit"), "StructuredDataDict")


def make(root: Path, *, create: bool = True, writeable: bool = True, **options: Any) -> PosixDatastore:
    return make_datastore({"root": str(root), **options}, storage_classes=StorageClassRegistry(),
                          formatters=default_formatter_set(), create=create, writeable=writeable)


def ref(visit: int = 1, run: str = "run", dataset_type: DatasetType = DICT_TYPE) -> DatasetRef:
    return DatasetRef(dataset_type, DataId({"instrument": "Cam", "visit": visit}), run=run)


def get(datastore: PosixDatastore, dataset: DatasetRef, artifact: StoredArtifact, parameters: Any = None) -> Any:
    return datastore.get([ReadRequest(dataset, [artifact], parameters)])[0]


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def test_put_writes_the_rendered_path_with_the_formatter_extension(tmp_path: Path) -> None:
    datastore = make(tmp_path / "store")
    (artifact,) = datastore.put([({"a": 1}, ref())])
    assert artifact.uri == "run/calexp/instrument=Cam_visit=1.json"
    assert artifact.formatter == "json" and artifact.storage_class == "StructuredDataDict"
    assert (tmp_path / "store" / artifact.uri).read_bytes() == b'{"a": 1}'
    assert datastore.root == f"file://{tmp_path}/store/"
    assert datastore.uri(artifact) == f"file://{tmp_path}/store/run/calexp/instrument=Cam_visit=1.json"


def test_checksum_is_the_named_algorithm_over_the_file_bytes(tmp_path: Path) -> None:
    for algorithm in ("blake2b", "sha256"):
        datastore = make(tmp_path / algorithm, checksum=algorithm)
        (artifact,) = datastore.put([({"a": [1, 2]}, ref())])
        data = (tmp_path / algorithm / artifact.uri).read_bytes()
        assert artifact.checksum == f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
        assert artifact.size == len(data)


def test_artifacts_are_verified_with_their_recorded_algorithm(tmp_path: Path) -> None:
    (artifact,) = make(tmp_path, checksum="sha256").put([({"a": 1}, ref())])
    assert get(make(tmp_path, checksum="blake2b"), ref(), artifact) == {"a": 1}


def test_failed_batch_leaves_no_files_and_no_temporary_files(tmp_path: Path) -> None:
    datastore = make(tmp_path)
    datastore.put([({"taken": 1}, ref(3))])
    with pytest.raises(ConflictingDefinitionError):
        datastore.put([({"a": 1}, ref(1)), ({"b": 2}, ref(2)), ({"c": 3}, ref(3))])
    with pytest.raises(FormatterError):
        datastore.put([({"a": 1}, ref(1)), ({"b": object()}, ref(2))])
    assert files_under(tmp_path) == ["run/calexp/instrument=Cam_visit=3.json"]


def test_symbolic_link_leading_out_of_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    datastore = make(tmp_path / "store")
    os.symlink(outside, tmp_path / "store" / "run")
    with pytest.raises(PathTemplateError, match="outside the datastore root"):
        datastore.put([({"a": 1}, ref())])
    assert list(outside.iterdir()) == []


def test_symbolic_link_inside_the_root_is_followed(tmp_path: Path) -> None:
    datastore = make(tmp_path / "store")
    (tmp_path / "store" / "elsewhere").mkdir()
    os.symlink(tmp_path / "store" / "elsewhere", tmp_path / "store" / "run")
    (artifact,) = datastore.put([({"a": 1}, ref())])
    assert get(datastore, ref(), artifact) == {"a": 1}


def test_root_reached_through_a_symbolic_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    datastore = make(tmp_path / "link", create=False)
    (artifact,) = datastore.put([({"a": 1}, ref())])
    assert (tmp_path / "real" / artifact.uri).exists()


def test_remove_prunes_emptied_directories_but_not_the_root(tmp_path: Path) -> None:
    datastore = make(tmp_path)
    first, second = datastore.put([({"a": 1}, ref(1)), ({"b": 2}, ref(2))])
    datastore.remove([first])
    assert (tmp_path / "run" / "calexp").is_dir()
    datastore.remove([second])
    assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []
    (again,) = datastore.put([({"c": 3}, ref(1))])  # the pruned directory is made again
    assert get(datastore, ref(1), again) == {"c": 3}


def test_put_recreates_a_directory_removed_behind_its_back(tmp_path: Path) -> None:
    datastore = make(tmp_path)
    datastore.put([({"a": 1}, ref(1))])
    shutil.rmtree(tmp_path / "run")
    (artifact,) = datastore.put([({"b": 2}, ref(2))])
    assert get(datastore, ref(2), artifact) == {"b": 2}


def test_size_change_is_detected_on_get_and_by_verify(tmp_path: Path) -> None:
    datastore = make(tmp_path)
    (artifact,) = datastore.put([({"a": 1}, ref())])
    with open(tmp_path / artifact.uri, "ab") as file:
        file.write(b" ")
    with pytest.raises(FileIntegrityError, match=str(tmp_path / artifact.uri)):
        get(datastore, ref(), artifact)
    (problem,) = datastore.verify([artifact])
    assert problem is not None and "bytes" in problem and artifact.uri in problem


def test_artifact_without_checksum_or_size_is_read_unchecked(tmp_path: Path) -> None:
    datastore = make(tmp_path)
    (artifact,) = datastore.put([({"a": 1}, ref())])
    bare = attrs.evolve(artifact, checksum=None, size=None)
    assert get(datastore, ref(), bare) == {"a": 1}
    assert datastore.verify([bare]) == [None]


def test_partial_reads_check_the_size_only(tmp_path: Path) -> None:
    numpy = pytest.importorskip("numpy")
    array_ref = ref(dataset_type=DatasetType("image", ("instrument", "visit"), "NumpyArray"))
    datastore = make(tmp_path)
    array = numpy.arange(1000.0).reshape(100, 10)
    (artifact,) = datastore.put([(array, array_ref)])
    path = tmp_path / artifact.uri
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # damages the last row only
    path.write_bytes(bytes(data))
    with pytest.raises(FileIntegrityError):
        get(datastore, array_ref, artifact)
    assert numpy.array_equal(get(datastore, array_ref, artifact, {"slices": slice(0, 5)}), array[:5])
    path.write_bytes(bytes(data[:-80]))
    with pytest.raises(FileIntegrityError):
        get(datastore, array_ref, artifact, {"slices": slice(0, 5)})


def test_relative_uris_that_escape_the_root_are_refused(tmp_path: Path) -> None:
    datastore = make(tmp_path / "store")
    (tmp_path / "secret.json").write_text("{}")
    artifact = StoredArtifact(ref().id, "../secret.json", "json", "StructuredDataDict")
    with pytest.raises(PathTemplateError):
        get(datastore, ref(), artifact)
    with pytest.raises(PathTemplateError):
        datastore.remove([artifact])
    assert (tmp_path / "secret.json").exists()


def test_uris_that_are_not_local_files_are_refused(tmp_path: Path) -> None:
    datastore = make(tmp_path)
    artifact = StoredArtifact(ref().id, "s3://bucket/key.json", "json", "StructuredDataDict")
    assert not datastore.owns(artifact.uri)
    with pytest.raises(DatastoreError, match="not a local file"):
        get(datastore, ref(), artifact)


def test_absolute_uri_of_an_owned_artifact_is_read_and_removed(tmp_path: Path) -> None:
    datastore = make(tmp_path)
    (artifact,) = datastore.put([({"a": 1}, ref(run="with space/é"))])
    absolute = attrs.evolve(artifact, uri=datastore.uri(artifact))
    assert "%20" in absolute.uri and datastore.owns(absolute.uri)
    assert get(datastore, ref(run="with space/é"), absolute) == {"a": 1}
    datastore.remove([absolute])
    assert datastore.exists([artifact]) == [False]


def test_formatters_option_overrides_a_default(tmp_path: Path) -> None:
    datastore = make(tmp_path, formatters={"StructuredDataDict": "yaml"})
    (artifact,) = datastore.put([({"a": [1, 2]}, ref())])
    assert artifact.uri.endswith(".yaml") and artifact.formatter == "yaml"
    assert (tmp_path / artifact.uri).read_text() == "a:\n- 1\n- 2\n"
    assert get(datastore, ref(), artifact) == {"a": [1, 2]}


def test_template_option_per_dataset_type(tmp_path: Path) -> None:
    datastore = make(tmp_path, template={"default": "{run}/{id}", "calexp": "{run}/cx/v{visit}"})
    (artifact,) = datastore.put([({"a": 1}, ref(7))])
    assert artifact.uri == "run/cx/v7.json"


def test_fsync_option_writes_the_same_files(tmp_path: Path) -> None:
    datastore = make(tmp_path, fsync=True)
    (artifact,) = datastore.put([({"a": 1}, ref())])
    assert get(datastore, ref(), artifact) == {"a": 1}


def test_read_only_datastore_reads_but_refuses_writes(tmp_path: Path) -> None:
    (artifact,) = make(tmp_path).put([({"a": 1}, ref(1))])
    source = tmp_path / "source.json"
    source.write_text("{}")
    read_only = make(tmp_path, create=False, writeable=False)
    assert get(read_only, ref(1), artifact) == {"a": 1}
    assert not {DatastoreCapability.WRITE, DatastoreCapability.REMOVE} & read_only.capabilities
    assert read_only.ingest_modes == frozenset()
    with pytest.raises(ReadOnlyError):
        read_only.put([({"b": 2}, ref(2))])
    with pytest.raises(ReadOnlyError):
        read_only.remove([artifact])
    with pytest.raises(ReadOnlyError):
        read_only.ingest([IngestRequest(str(source), ref(3))], TransferMode.COPY)
    assert read_only.exists([artifact]) == [True]


def test_capabilities(tmp_path: Path) -> None:
    assert make(tmp_path).capabilities == WHOLE_FILES
    assert DatastoreCapability.CHECKSUMS not in make(tmp_path, checksum=None).capabilities
    assert make(tmp_path).ingest_modes == frozenset(TransferMode)


def test_files_above_the_in_memory_limit_are_hashed_then_parsed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(integrity, "IN_MEMORY_LIMIT", 8)
    datastore = make(tmp_path)
    (artifact,) = datastore.put([({"a": "long enough to pass the limit"}, ref())])
    assert get(datastore, ref(), artifact) == {"a": "long enough to pass the limit"}
    path = tmp_path / artifact.uri
    path.write_bytes(path.read_bytes().replace(b"long", b"LONG"))
    with pytest.raises(FileIntegrityError, match="corrupt"):
        get(datastore, ref(), artifact)
