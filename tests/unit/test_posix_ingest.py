"""PosixDatastore.ingest: every transfer mode, formatter choice, ownership and undo."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.posix import PosixDatastore, make_datastore
from databutler.domain import (
    CapabilityError,
    ConfigError,
    ConflictingDefinitionError,
    DataId,
    DatasetRef,
    DatasetType,
    DatastoreError,
    StorageClassError,
    StorageClassRegistry,
    StoredArtifact,
)
from databutler.ports import IngestRequest, ReadRequest, TransferMode

DICT_TYPE = DatasetType("raw", ("instrument", "visit"), "StructuredDataDict")
_visits = iter(range(1, 10**6))


@pytest.fixture
def store(tmp_path: Path) -> PosixDatastore:
    return make_datastore({"root": str(tmp_path / "store")}, storage_classes=StorageClassRegistry(),
                          formatters=default_formatter_set(), create=True, writeable=True)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    return path


def ref() -> DatasetRef:
    return DatasetRef(DICT_TYPE, DataId({"instrument": "Cam", "visit": next(_visits)}), run="run")


def json_file(directory: Path, content: Any, name: str | None = None) -> Path:
    path = directory / (name or f"file{next(_visits)}.json")
    path.write_text(json.dumps(content))
    return path


def ingest_one(store: PosixDatastore, path: Path | str, dataset: DatasetRef, mode: TransferMode,
               formatter: str | None = None) -> StoredArtifact:
    (artifact,) = store.ingest([IngestRequest(str(path), dataset, formatter)], mode)
    return artifact


def read(store: PosixDatastore, dataset: DatasetRef, artifact: StoredArtifact) -> Any:
    return store.get([ReadRequest(dataset, [artifact])])[0]


def test_copy_records_the_checksum_and_size_of_the_content(store: PosixDatastore, outside: Path) -> None:
    source = json_file(outside, {"a": 1})
    dataset = ref()
    artifact = ingest_one(store, source, dataset, TransferMode.COPY)
    (put,) = store.put([({"a": 1}, ref())])
    assert artifact.checksum == put.checksum and artifact.size == put.size
    assert artifact.uri == f"run/raw/instrument=Cam_visit={dataset.data_id['visit']}.json"
    assert not os.path.samefile(source, store.uri(artifact).removeprefix("file://"))


def test_move_removes_the_source(store: PosixDatastore, outside: Path) -> None:
    source = json_file(outside, {"a": 1})
    dataset = ref()
    artifact = ingest_one(store, source, dataset, TransferMode.MOVE)
    assert not source.exists() and read(store, dataset, artifact) == {"a": 1}
    assert artifact.checksum is not None


def test_hardlink_shares_the_file(store: PosixDatastore, outside: Path) -> None:
    source = json_file(outside, {"a": 1})
    artifact = ingest_one(store, source, ref(), TransferMode.HARDLINK)
    assert os.path.samefile(source, store.uri(artifact).removeprefix("file://"))


@pytest.mark.parametrize("mode", [TransferMode.SYMLINK, TransferMode.RELSYMLINK])
def test_symlinks_point_at_the_source(store: PosixDatastore, outside: Path, mode: TransferMode) -> None:
    source = json_file(outside, {"a": 1})
    dataset = ref()
    artifact = ingest_one(store, source, dataset, mode)
    link = store.uri(artifact).removeprefix("file://")
    assert os.path.islink(link)
    assert os.path.isabs(os.readlink(link)) == (mode is TransferMode.SYMLINK)
    assert os.path.samefile(link, source)
    source.write_text(json.dumps({"a": 2}))  # the link follows the source; its checksum no longer matches
    assert store.verify([artifact])[0] is not None
    store.remove([artifact])
    assert source.exists() and not os.path.lexists(link)


def test_direct_from_outside_records_an_absolute_uri_and_is_never_deleted(store: PosixDatastore,
                                                                          outside: Path) -> None:
    source = json_file(outside, {"a": 1})
    dataset = ref()
    artifact = ingest_one(store, source, dataset, TransferMode.DIRECT)
    assert artifact.uri == f"file://{source}" and store.uri(artifact) == artifact.uri
    assert read(store, dataset, artifact) == {"a": 1}
    store.remove([artifact])
    assert source.exists()


@pytest.mark.parametrize("mode", [TransferMode.DIRECT, TransferMode.AUTO])
def test_a_file_already_inside_the_root_is_recorded_relative_and_owned(store: PosixDatastore, tmp_path: Path,
                                                                       mode: TransferMode) -> None:
    (tmp_path / "store" / "incoming").mkdir()
    source = json_file(tmp_path / "store" / "incoming", {"a": 1}, "exposure.json")
    dataset = ref()
    artifact = ingest_one(store, source, dataset, mode)
    assert artifact.uri == "incoming/exposure.json"
    assert read(store, dataset, artifact) == {"a": 1}
    store.remove([artifact])
    assert not source.exists() and not (tmp_path / "store" / "incoming").exists()


def test_auto_copies_a_file_from_outside(store: PosixDatastore, outside: Path) -> None:
    source = json_file(outside, {"a": 1})
    artifact = ingest_one(store, source, ref(), TransferMode.AUTO)
    assert "://" not in artifact.uri and source.exists()
    assert not os.path.samefile(source, store.uri(artifact).removeprefix("file://"))


def test_transfer_mode_may_be_given_by_value(store: PosixDatastore, outside: Path) -> None:
    artifact = ingest_one(store, json_file(outside, {}), ref(), "copy")  # type: ignore[arg-type]
    assert "://" not in artifact.uri
    with pytest.raises(CapabilityError, match="teleport"):
        ingest_one(store, json_file(outside, {}), ref(), "teleport")  # type: ignore[arg-type]


def test_source_may_be_a_file_uri(store: PosixDatastore, outside: Path) -> None:
    source = json_file(outside, {"a": 1})
    dataset = ref()
    assert read(store, dataset, ingest_one(store, f"file://{source}", dataset, TransferMode.COPY)) == {"a": 1}


def test_yaml_file_is_read_by_the_yaml_formatter_and_keeps_its_extension(store: PosixDatastore,
                                                                         outside: Path) -> None:
    source = outside / "data.yaml"
    source.write_text(yaml.safe_dump({"b": [1, 2]}))
    dataset = ref()
    artifact = ingest_one(store, source, dataset, TransferMode.COPY)
    assert artifact.formatter == "yaml" and artifact.uri.endswith(".yaml")
    assert read(store, dataset, artifact) == {"b": [1, 2]}


def test_a_named_formatter_decides_the_extension(store: PosixDatastore, outside: Path) -> None:
    source = outside / "data.txt"
    source.write_text("b: 2\n")
    dataset = ref()
    artifact = ingest_one(store, source, dataset, TransferMode.COPY, formatter="yaml")
    assert artifact.uri.endswith(".yaml") and read(store, dataset, artifact) == {"b": 2}
    with pytest.raises(StorageClassError):
        ingest_one(store, source, ref(), TransferMode.COPY, formatter="npy")
    with pytest.raises(ConfigError):
        ingest_one(store, source, ref(), TransferMode.COPY, formatter="no-such-formatter")
    with pytest.raises(ConfigError):
        ingest_one(store, source, ref(), TransferMode.COPY)


def test_only_regular_files_are_ingested(store: PosixDatastore, outside: Path) -> None:
    with pytest.raises(DatastoreError, match="not a regular file"):
        ingest_one(store, outside, ref(), TransferMode.COPY)


@pytest.mark.parametrize("mode", [TransferMode.COPY, TransferMode.MOVE, TransferMode.HARDLINK,
                                  TransferMode.SYMLINK, TransferMode.RELSYMLINK])
def test_a_failed_batch_is_undone(store: PosixDatastore, outside: Path, tmp_path: Path, mode: TransferMode) -> None:
    taken = ref()
    store.put([({"taken": True}, taken)])
    before = sorted(p.name for p in (tmp_path / "store").rglob("*"))
    sources = [json_file(outside, {"n": n}) for n in range(3)]
    requests = [IngestRequest(str(sources[0]), ref()), IngestRequest(str(sources[1]), ref()),
                IngestRequest(str(sources[2]), taken)]
    with pytest.raises(ConflictingDefinitionError):
        store.ingest(requests, mode)
    assert sorted(p.name for p in (tmp_path / "store").rglob("*")) == before
    assert [json.loads(s.read_text()) for s in sources] == [{"n": 0}, {"n": 1}, {"n": 2}]
