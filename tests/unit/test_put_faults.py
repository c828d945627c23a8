"""A put that fails at any OS call after its file is published leaves nothing: no row, no file, no temp file.

Faults are injected at the OS-call level (EIO from ``fsync``, ``unlink``, ``link``), since a real
failing disk cannot be produced here; each test then checks the Butler still works.

A put writes its files before its registry transaction, so no lock is held while a file is
written (SQLite runs one writer at a time); a conflict found by the file is still the registry's.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from databutler import (
    Butler,
    CollectionError,
    CollectionKind,
    ConflictingDefinitionError,
    DataButlerError,
    DatasetRef,
    DatasetType,
    DatastoreError,
)

INSTRUMENT = "Cam1"


def _repo(root: Path) -> Butler:
    config = {"datastore": {"adapter": "posix", "root": "{root}/datasets", "fsync": True}}
    butler = Butler.create(root, config, run="r")
    butler.registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in (1, 2, 3)])
    butler.registry.register_dataset_type(DatasetType("table", ("instrument", "detector"), "StructuredData"))
    return butler


def _resolved(butler: Butler, run: str, detector: int) -> DatasetRef:
    """A ref decided in advance, as a pipeline's preflight makes them."""
    definition = butler.registry.get_dataset_type("table")
    (data_id,) = butler.registry.expand_data_ids(definition.units, [{"instrument": INSTRUMENT, "detector": detector}])
    return DatasetRef(definition, data_id, run, uuid.uuid4())


def _files(root: Path) -> list[str]:
    """Every file under the datastore root, temporary ones included."""
    return sorted(str(p.relative_to(root)) for p in (root / "datasets").rglob("*") if not p.is_dir())


def _assert_nothing_left_and_still_works(butler: Butler, root: Path) -> None:
    assert butler.registry.datasets_in_collection("r") == [], "a row outlived the failed put"
    assert _files(root) == [], "a file (or temporary file) outlived the failed put"
    assert butler.find_orphans(older_than_s=0) == []
    ref = butler.put({"after": True}, "table", instrument=INSTRUMENT, detector=1)
    assert butler.get(ref) == {"after": True}


def _failing_once(real: Callable[..., Any], fails: Callable[..., bool]) -> Callable[..., Any]:
    """``real``, except that the first call for which ``fails(*args)`` holds raises EIO."""
    state = {"failed": False}

    def call(*args: Any, **kwargs: Any) -> Any:
        if not state["failed"] and fails(*args, **kwargs):
            state["failed"] = True
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(*args, **kwargs)
    return call


def _is_directory(fd: int) -> bool:
    return stat.S_ISDIR(os.fstat(fd).st_mode)


def test_eio_on_the_directory_fsync_after_publishing_rolls_the_file_back(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    butler = _repo(tmp_path / "repo")
    monkeypatch.setattr(os, "fsync", _failing_once(os.fsync, _is_directory))
    with pytest.raises(DatastoreError, match="Input/output error"):
        butler.put_many([({"d": d}, "table", {"instrument": INSTRUMENT, "detector": d}) for d in (1, 2)])
    monkeypatch.undo()
    _assert_nothing_left_and_still_works(butler, tmp_path / "repo")


def test_eio_on_the_second_files_directory_fsync_rolls_back_the_first_too(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    butler = _repo(tmp_path / "repo")
    calls = {"n": 0}

    def second_directory(fd: int) -> bool:
        if _is_directory(fd):
            calls["n"] += 1
        return calls["n"] == 2

    monkeypatch.setattr(os, "fsync", _failing_once(os.fsync, second_directory))
    with pytest.raises(DatastoreError):
        butler.put_many([({"d": d}, "table", {"instrument": INSTRUMENT, "detector": d}) for d in (1, 2, 3)])
    monkeypatch.undo()
    _assert_nothing_left_and_still_works(butler, tmp_path / "repo")


def test_a_failed_unlink_of_the_temporary_name_after_linking_rolls_the_file_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    butler = _repo(tmp_path / "repo")
    monkeypatch.setattr(os, "unlink", _failing_once(os.unlink, lambda name, **_: str(name).endswith(".tmp")))
    with pytest.raises(DatastoreError, match="Input/output error"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    monkeypatch.undo()
    _assert_nothing_left_and_still_works(butler, tmp_path / "repo")


def test_eio_from_link_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    butler = _repo(tmp_path / "repo")
    monkeypatch.setattr(os, "link", _failing_once(os.link, lambda *_, **__: True))
    with pytest.raises(DatastoreError, match="Input/output error"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    monkeypatch.undo()
    _assert_nothing_left_and_still_works(butler, tmp_path / "repo")


def test_without_hard_links_a_failed_directory_fsync_rolls_the_renamed_file_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    butler = _repo(tmp_path / "repo")

    def no_hard_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, "hard links not supported here")

    monkeypatch.setattr(os, "link", no_hard_links)
    monkeypatch.setattr(os, "fsync", _failing_once(os.fsync, _is_directory))
    with pytest.raises(DatastoreError, match="Input/output error"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    assert _files(tmp_path / "repo") == []
    ref = butler.put({"a": 2}, "table", instrument=INSTRUMENT, detector=2)  # the fallback itself works
    assert butler.get(ref) == {"a": 2}
    monkeypatch.undo()
    butler.remove([ref])
    _assert_nothing_left_and_still_works(butler, tmp_path / "repo")


def test_eio_on_the_file_fsync_before_publishing_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    butler = _repo(tmp_path / "repo")
    monkeypatch.setattr(os, "fsync", _failing_once(os.fsync, lambda fd: not _is_directory(fd)))
    with pytest.raises(DatastoreError, match="Input/output error"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    monkeypatch.undo()
    _assert_nothing_left_and_still_works(butler, tmp_path / "repo")


# -- object stores without conditional create: the key is published by a move (a copy, then a delete) --


def _objectstore_butler(root: str) -> Butler:
    from databutler.adapters.formats import default_formatter_set
    from databutler.adapters.objectstore import make_datastore
    from databutler.adapters.sql import SqlRegistry
    from databutler.config.universe import default_universe
    from databutler.domain import StorageClassRegistry

    datastore = make_datastore({"adapter": "objectstore", "root": root}, storage_classes=StorageClassRegistry(),
                               formatters=default_formatter_set(), create=True, writeable=True)
    butler = Butler.from_parts(SqlRegistry.create("sqlite://", default_universe()), datastore, run="r")
    butler.registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in (1, 2, 3)])
    butler.registry.register_dataset_type(DatasetType("table", ("instrument", "detector"), "StructuredData"))
    return butler


def test_a_failed_delete_of_the_temporary_key_after_its_copy_rolls_the_object_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    from fsspec.implementations.memory import MemoryFileSystem

    root = f"memory://put-faults-{uuid.uuid4().hex[:8]}"
    butler = _objectstore_butler(root)
    fs = MemoryFileSystem()
    monkeypatch.setattr(MemoryFileSystem, "rm", _failing_once(MemoryFileSystem.rm,
                                                              lambda self, path, *_, **__: ".tmp" in str(path)))
    with pytest.raises(DatastoreError, match="OSError"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    monkeypatch.undo()
    assert butler.registry.datasets_in_collection("r") == []
    assert fs.find(root.removeprefix("memory:/")) == [], "an object (or temporary key) outlived the failed put"
    ref = butler.put({"after": True}, "table", instrument=INSTRUMENT, detector=1)
    assert butler.get(ref) == {"after": True}


def test_an_objectstore_root_on_a_local_directory_is_refused(tmp_path: Path) -> None:
    from databutler import ConfigError

    with pytest.raises(ConfigError, match="adapter: posix"):
        _objectstore_butler(str(tmp_path / "objects"))


@pytest.mark.parametrize("how", ["put", "put_resolved"])
def test_another_writer_commits_while_a_put_writes_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            how: str) -> None:
    butler = _repo(tmp_path)
    butler.put({"first": 1}, "table", instrument=INSTRUMENT, detector=1)  # the run exists: the put only inserts
    real_fsync = os.fsync
    other_writes: list[str] = []

    def fsync_then_write_elsewhere(fd: int) -> None:
        real_fsync(fd)
        if not other_writes:  # the first fsync is the new file's: the put is writing it now
            other = sqlite3.connect(tmp_path / "registry.sqlite3", timeout=0.5)
            try:
                other.execute("BEGIN IMMEDIATE")  # sqlite3.OperationalError if the put held the write lock
                other.execute("COMMIT")
                other_writes.append("committed")
            finally:
                other.close()

    monkeypatch.setattr(os, "fsync", fsync_then_write_elsewhere)
    if how == "put":
        ref = butler.put({"second": 2}, "table", instrument=INSTRUMENT, detector=2)
    else:  # a pipeline's outputs, with ids decided in advance
        (ref,) = butler.put_resolved([({"second": 2}, _resolved(butler, "r", detector=2))])
    monkeypatch.undo()
    assert other_writes == ["committed"]
    assert butler.get(ref) == {"second": 2}
    assert len(butler.registry.datasets_in_collection("r")) == 2


def test_a_second_put_of_a_data_id_is_the_registry_conflict_and_keeps_the_first(tmp_path: Path) -> None:
    butler = _repo(tmp_path)
    first = butler.put({"v": 1}, "table", instrument=INSTRUMENT, detector=1)
    files = _files(tmp_path)
    with pytest.raises(ConflictingDefinitionError, match=rf"already exists in run 'r' \(id {first.id}\)"):
        butler.put({"v": 2}, "table", instrument=INSTRUMENT, detector=1)
    assert butler.get("table", instrument=INSTRUMENT, detector=1) == {"v": 1}
    assert _files(tmp_path) == files
    assert butler.find_orphans(older_than_s=0) == []


def test_a_data_id_twice_in_one_put_many_writes_nothing(tmp_path: Path) -> None:
    butler = _repo(tmp_path)
    items: list[tuple[Any, str, dict[str, Any]]] = [
        ({"a": 1}, "table", {"instrument": INSTRUMENT, "detector": 1}),
        ({"a": 2}, "table", {"instrument": INSTRUMENT, "detector": 1}),
    ]
    with pytest.raises(ConflictingDefinitionError, match="appears twice"):
        butler.put_many(items)
    assert _files(tmp_path) == []
    assert butler.registry.datasets_in_collection("r") == []


@pytest.mark.parametrize("how", ["put", "put_resolved"])
def test_a_refused_run_leaves_no_file(tmp_path: Path, how: str) -> None:
    butler = _repo(tmp_path)
    butler.registry.register_collection("tagged", CollectionKind.TAGGED)
    with pytest.raises(DataButlerError, match="tagged"):
        if how == "put":
            butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1, run="tagged")
        else:  # its files are written first, then discarded when the registry refuses the run
            butler.put_resolved([({"a": 1}, _resolved(butler, "tagged", detector=1))])
    assert _files(tmp_path) == []
    assert butler.find_orphans(older_than_s=0) == []


@pytest.mark.parametrize("how", ["put", "put_resolved"])
@pytest.mark.parametrize("run", ["\ud800", "a/../b", "bad\\name", "/lead", "x" * 1000])
def test_an_invalid_run_name_is_refused_before_any_file_is_written(tmp_path: Path, run: str, how: str) -> None:
    butler = _repo(tmp_path)  # the run's name is a path in the file template: it is checked first
    with pytest.raises(CollectionError, match="collection name"):
        if how == "put":
            butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1, run=run)
        else:
            butler.put_resolved([({"a": 1}, _resolved(butler, run, detector=1))])
    assert _files(tmp_path) == []
    assert [c.name for c in butler.registry.query_collections()] == ["r"]  # the Butler's own run only
