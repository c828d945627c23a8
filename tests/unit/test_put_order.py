"""A put writes its files before its registry transaction: no lock is held while a file is written.

SQLite runs one writer at a time; a put that wrote its file inside its transaction kept every
other writer of the repository waiting that long. The file is written first, so another writer
commits while it is being written; a conflict is still the registry's, named as such.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, CollectionKind, ConflictingDefinitionError, DataButlerError, DatasetType

INSTRUMENT = "Cam1"


def _repo(root: Path) -> Butler:
    config = {"datastore": {"adapter": "posix", "root": "{root}/datasets", "fsync": True}}
    butler = Butler.create(root, config, run="r")
    butler.registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in (1, 2, 3)])
    butler.registry.register_dataset_type(DatasetType("table", ("instrument", "detector"), "StructuredData"))
    return butler


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "datasets").rglob("*") if not p.is_dir())


def test_another_writer_commits_while_a_put_writes_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    ref = butler.put({"second": 2}, "table", instrument=INSTRUMENT, detector=2)
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


def test_a_refused_run_leaves_no_file(tmp_path: Path) -> None:
    butler = _repo(tmp_path)
    butler.registry.register_collection("tagged", CollectionKind.TAGGED)
    with pytest.raises(DataButlerError, match="tagged"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1, run="tagged")
    assert _files(tmp_path) == []
    assert butler.find_orphans(older_than_s=0) == []
