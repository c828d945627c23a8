"""A directory swapped for a symbolic link after a first write never lets a later write or delete leave the root.

The same Butler is used before and after the swap: nothing it remembers about a directory may
let a later call through.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from databutler import Butler, DataButlerError, DatasetType, FileDataset, PathTemplateError

INSTRUMENT = "Cam1"


def _repo(root: Path) -> Butler:
    butler = Butler.create(root, run="r")
    butler.registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in (1, 2, 3)])
    butler.registry.register_dataset_type(DatasetType("table", ("instrument", "detector"), "StructuredData"))
    return butler


def _tree(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def _swap_for_link(directory: Path, outside: Path) -> None:
    """Move ``directory`` (with its files) to ``outside`` and leave a link to it in its place."""
    shutil.move(directory, outside)
    os.symlink(outside, directory)


@pytest.mark.parametrize("swapped", ["r", "r/table"])
def test_a_put_after_a_directory_became_a_link_out_of_the_root_is_refused(tmp_path: Path, swapped: str) -> None:
    butler = _repo(tmp_path / "repo")
    butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    outside = tmp_path / "outside"
    _swap_for_link(tmp_path / "repo" / "datasets" / swapped, outside)
    before = _tree(outside)
    with pytest.raises(PathTemplateError, match="outside the datastore root"):
        butler.put({"a": 2}, "table", instrument=INSTRUMENT, detector=2)
    assert _tree(outside) == before, "a write went through the link, out of the root"
    assert butler.find_dataset("table", instrument=INSTRUMENT, detector=2) is None


def test_an_ingest_after_a_directory_became_a_link_out_of_the_root_is_refused(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    outside = tmp_path / "outside"
    _swap_for_link(tmp_path / "repo" / "datasets" / "r", outside)
    before = _tree(outside)
    source = tmp_path / "staged.json"
    source.write_text(json.dumps({"a": 2}))
    for mode in ("copy", "hardlink", "symlink", "move"):
        with pytest.raises(PathTemplateError, match="outside the datastore root"):
            butler.ingest([FileDataset(str(source), "table", {"instrument": INSTRUMENT, "detector": 2})],
                          transfer=mode)
    assert _tree(outside) == before
    assert source.exists()


def test_a_removal_never_deletes_through_a_link_out_of_the_root(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    butler = _repo(tmp_path / "repo")
    ref = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    outside = tmp_path / "outside"
    _swap_for_link(tmp_path / "repo" / "datasets" / "r", outside)
    before = _tree(outside)
    with caplog.at_level(logging.ERROR):
        butler.remove([ref])
    assert "outside the datastore root" in caplog.text
    assert _tree(outside) == before, "a deletion went through the link, out of the root"


def test_a_relative_link_climbing_out_of_the_root_is_refused(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    (tmp_path / "outside").mkdir()
    os.symlink("../../outside", tmp_path / "repo" / "datasets" / "r")
    with pytest.raises(PathTemplateError, match="outside the datastore root"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    assert _tree(tmp_path / "outside") == []


def test_a_link_inside_the_root_is_followed_and_its_target_kept(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    datasets = tmp_path / "repo" / "datasets"
    (datasets / "elsewhere").mkdir()
    os.symlink("elsewhere", datasets / "r")
    ref = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    assert (datasets / "elsewhere" / "table").is_dir()
    assert butler.get(ref) == {"a": 1}
    butler.remove([ref])
    assert (datasets / "elsewhere").is_dir() and (datasets / "r").is_symlink(), "pruning removed a link's target"
    assert butler.find_orphans(older_than_s=0) == []


def test_a_link_loop_is_a_domain_error(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    datasets = tmp_path / "repo" / "datasets"
    os.symlink("r", datasets / "r", target_is_directory=True)
    with pytest.raises(DataButlerError):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)


def test_a_file_where_a_directory_belongs_is_a_domain_error(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    (tmp_path / "repo" / "datasets" / "r").write_text("not a directory")
    with pytest.raises(DataButlerError, match="not a directory"):
        butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)


def test_a_batch_opens_each_directory_from_the_root_once_and_the_next_batch_checks_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from databutler.adapters.posix import datastore as posix_datastore

    butler = _repo(tmp_path / "repo")
    opened: list[str] = []
    real_open_chain = posix_datastore.open_chain

    def counting(root: str, real_root: str, relative_dir: str, *, create: bool) -> object:
        opened.append(relative_dir)
        return real_open_chain(root, real_root, relative_dir, create=create)

    monkeypatch.setattr(posix_datastore, "open_chain", counting)
    butler.put_many([({"d": d}, "table", {"instrument": INSTRUMENT, "detector": d}) for d in (1, 2, 3)])
    assert len(opened) == len(set(opened)), f"a directory was opened from the root twice in one batch: {opened}"
    # The descriptors are not kept past the batch: a link swapped in before the next one is refused.
    outside = tmp_path / "outside"
    butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": 0}])
    _swap_for_link(tmp_path / "repo" / "datasets" / "r", outside)
    before = _tree(outside)
    with pytest.raises(PathTemplateError, match="outside the datastore root"):
        butler.put({"a": 2}, "table", instrument=INSTRUMENT, detector=0)
    assert _tree(outside) == before


def test_a_put_after_its_directory_was_moved_away_lands_at_the_path_the_registry_records(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "repo" / "datasets" / "r" / "table", moved)
    ref = butler.put({"a": 2}, "table", instrument=INSTRUMENT, detector=2)
    assert butler.get(ref) == {"a": 2}
    assert [p.name for p in moved.iterdir()] == ["instrument=Cam1_detector=1.json"]
