"""On the embedded default (SQLite + POSIX): corruption detection and reopening a repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from databutler import Butler, DatasetType, FileIntegrityError, ReadOnlyError

INSTRUMENT = "Cam1"


def _repo(root: Path) -> Butler:
    butler = Butler.create(root, run="r")
    butler.registry.insert_data_units("instrument", [{"name": INSTRUMENT}])
    butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": 1}])
    butler.registry.register_dataset_type(DatasetType("table", ("instrument", "detector"), "StructuredData"))
    return butler


def test_a_corrupted_file_is_detected_by_checksum_on_get(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    ref = butler.put({"a": 1, "b": [1, 2, 3]}, "table", instrument=INSTRUMENT, detector=1)
    path = Path(butler.uri(ref).removeprefix("file://"))
    original = path.read_bytes()
    path.write_bytes(original.replace(b"1", b"7", 1))
    with pytest.raises(FileIntegrityError, match=path.name):
        butler.get(ref)
    assert ref.id in butler.verify([ref])
    path.write_bytes(original)
    assert butler.get(ref) == {"a": 1, "b": [1, 2, 3]}
    assert butler.verify([ref]) == {}


def test_a_truncated_file_is_detected(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    ref = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    path = Path(butler.uri(ref).removeprefix("file://"))
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(FileIntegrityError):
        butler.get(ref)


def test_reopened_repository_serves_what_was_written(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    ref = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    butler.close()
    reopened = Butler(tmp_path / "repo", collections="r")
    assert reopened.get("table", instrument=INSTRUMENT, detector=1) == {"a": 1}
    assert reopened.get(ref) == {"a": 1}
    reopened.close()


def test_read_only_butler_refuses_writes_and_still_reads(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    ref = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    butler.close()
    reader = Butler(tmp_path / "repo", run="r", writeable=False)
    with pytest.raises(ReadOnlyError):
        reader.put({"a": 2}, "table", instrument=INSTRUMENT, detector=1, run="other")
    with pytest.raises(ReadOnlyError):
        reader.remove([ref])
    assert reader.get(ref) == {"a": 1}
    reader.close()
