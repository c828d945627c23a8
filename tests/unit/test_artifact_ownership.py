"""Who owns an artifact file: the ownership contract over a chained datastore, and the POSIX details.

A file is deleted only when no registry row records it, under either spelling of its URI; a
path in the way of a put is explained (another dataset's file, or an orphan); a directory where
a file should be is reported as such.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler import ArtifactExistsError, Butler, DatasetType, FileIntegrityError, MissingCollectionError
from databutler.adapters.chained import ChainedDatastore, Child
from databutler.adapters.formats import default_formatter_set
from databutler.adapters.objectstore import make_datastore as make_objectstore
from databutler.adapters.posix import make_datastore as make_posix
from databutler.adapters.sql import SqlRegistry
from databutler.cli.remedies import CLI
from databutler.config.universe import default_universe
from databutler.domain import StorageClassRegistry, StoredArtifact
from databutler.testing.butler import RUN, setup_units
from databutler.testing.butler_ownership import ButlerOwnershipContract

INSTRUMENT = "Cam1"


class TestChainedPosixOwnership(ButlerOwnershipContract):
    """The ownership contract through a chain of two POSIX stores (artifacts recorded by absolute URIs)."""

    @pytest.fixture
    def butler(self, tmp_path: Path) -> Iterator[Butler]:
        chain = ChainedDatastore([Child("personal", make_posix(
            {"adapter": "posix", "root": str(tmp_path / "personal")}, storage_classes=StorageClassRegistry(),
            formatters=default_formatter_set(), create=True, writeable=True)), Child("scratch", make_posix(
                {"adapter": "posix", "root": str(tmp_path / "scratch")}, storage_classes=StorageClassRegistry(),
                formatters=default_formatter_set(), create=True, writeable=True))])
        butler = Butler.from_parts(SqlRegistry.create("sqlite://", default_universe()), chain, run=RUN)
        setup_units(butler)
        yield butler
        butler.close()


class TestFsspecMemoryOwnership(ButlerOwnershipContract):
    """The ownership contract on an fsspec ``memory://`` object store (whose URIs have two spellings)."""

    @pytest.fixture
    def butler(self) -> Iterator[Butler]:
        datastore = make_objectstore({"adapter": "objectstore", "root": f"memory://own-{uuid.uuid4().hex[:8]}"},
                                     storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                                     create=True, writeable=True)
        butler = Butler.from_parts(SqlRegistry.create("sqlite://", default_universe()), datastore, run=RUN)
        setup_units(butler)
        yield butler
        butler.close()


def _repo(root: Path, template: str | None = None) -> Butler:
    config = None if template is None else {"datastore": {"adapter": "posix", "root": "{root}/datasets",
                                                          "template": template}}
    butler = Butler.create(root, config, run="a")
    butler.registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in (1, 2)])
    butler.registry.register_dataset_type(DatasetType("table", ("instrument", "detector"), "StructuredData"))
    return butler


def test_a_file_recorded_under_its_absolute_uri_by_another_row_is_kept(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    first = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    (stored,) = butler.registry.get_artifacts([first.id])[first.id]
    (second,) = butler.registry.insert_datasets("table", "a", [{"instrument": INSTRUMENT, "detector": 2}])
    butler.registry.insert_artifacts([StoredArtifact(second.id, butler.uri(first), stored.formatter,
                                                     stored.storage_class, stored.checksum, stored.size)])
    butler.remove([first])
    assert butler.get(second) == {"a": 1}, "the file another row records by its absolute URI was deleted"
    butler.remove([second])
    assert butler.datastore.exists([stored]) == [False]
    assert butler.find_orphans(older_than_s=0) == []


def test_a_put_in_the_way_of_another_datasets_file_names_that_dataset(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo", template="{dataset_type}/{data_id}")  # no {run}: paths collide across runs
    first = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    with pytest.raises(ArtifactExistsError, match=str(first.id)) as raised:
        butler.put({"b": 2}, "table", instrument=INSTRUMENT, detector=1, run="b")
    assert "orphan" not in str(raised.value)
    assert butler.get(first) == {"a": 1}
    with pytest.raises(MissingCollectionError):  # the failed put left no dataset, and not even its new run
        butler.find_dataset("table", instrument=INSTRUMENT, detector=1, collections="b")


def test_an_orphan_in_the_way_of_a_put_is_named_with_the_command_that_clears_it(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    crashed = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    butler.registry.remove_datasets([crashed.id])  # as a crash between the write and the commit leaves it
    with pytest.raises(ArtifactExistsError, match="orphan") as raised:
        butler.put({"a": 2}, "table", instrument=INSTRUMENT, detector=1)
    assert "butler.remove_orphans(butler.find_orphans(older_than_s=0))" in str(raised.value)
    assert (f"databutler verify {tmp_path / 'repo'} --orphans --remove-orphans --older-than 0"
            in raised.value.message(CLI))
    assert butler.remove_orphans(butler.find_orphans(older_than_s=0))
    ref = butler.put({"a": 2}, "table", instrument=INSTRUMENT, detector=1)
    assert butler.get(ref) == {"a": 2}


def test_a_directory_in_place_of_an_artifact_is_reported_as_a_directory(tmp_path: Path) -> None:
    butler = _repo(tmp_path / "repo")
    ref = butler.put({"a": 1}, "table", instrument=INSTRUMENT, detector=1)
    path = Path(butler.uri(ref).removeprefix("file://"))
    path.unlink()
    path.mkdir()
    with pytest.raises(FileIntegrityError, match="is a directory") as raised:
        butler.get(ref)
    assert "bytes" not in str(raised.value)
    assert "is a directory" in butler.verify([ref])[ref.id]
    with pytest.raises(FileIntegrityError, match="is a directory"):
        butler.get(ref, parameters={"keys": ["a"]})
    shutil.rmtree(path)
