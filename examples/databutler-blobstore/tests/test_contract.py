"""The example adapter runs databutler's shipped contract suites, as any third-party adapter would."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from databutler_blobstore import BlobDatastore

from databutler import Butler, ConfigError, ReadOnlyError
from databutler.adapters.formats import default_formatter_set
from databutler.config.plugins import DATASTORE_GROUP, available
from databutler.domain import StorageClassRegistry, StoredArtifact
from databutler.testing.butler import ButlerContract
from databutler.testing.datastore import DatastoreContract


def corrupt(datastore: Any, artifact: StoredArtifact) -> None:
    """Flip one byte of the stored BLOB behind the port's back."""
    path = datastore.root.removeprefix("blobdb://").rstrip("/")
    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT data FROM artifact WHERE key = ?", (artifact.uri,)).fetchone()
        changed = bytearray(data)
        changed[len(changed) // 2] ^= 0xFF
        db.execute("UPDATE artifact SET data = ? WHERE key = ?", (bytes(changed), artifact.uri))


class TestBlobDatastoreContract(DatastoreContract):
    """The shipped Datastore suite: ingest is undeclared, so the suite checks it is refused."""

    @pytest.fixture
    def make_datastore(self, tmp_path: Path) -> Iterator[Callable[[], BlobDatastore]]:
        numbers = itertools.count()
        made: list[BlobDatastore] = []

        def make() -> BlobDatastore:
            store = BlobDatastore(str(tmp_path / f"blobs{next(numbers)}.sqlite3"),
                                  storage_classes=StorageClassRegistry(), formatters=default_formatter_set())
            made.append(store)
            return store

        yield make
        for store in made:
            store.close()

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return corrupt


class TestBlobDatastoreUnderButler(ButlerContract):
    """The shipped Butler suite, with the adapter chosen by name in butler.yaml (entry point)."""

    @pytest.fixture
    def make_butler(self, tmp_path: Path) -> Iterator[Callable[..., Butler]]:
        made: list[Butler] = []

        def make(run: str | None = None, collections: Any = None) -> Butler:
            config = {"datastore": {"adapter": "blobdb", "root": "{root}/blobs.sqlite3"}}
            butler = Butler.create(tmp_path / f"repo{len(made)}", config, run=run, collections=collections)
            made.append(butler)
            return butler

        yield make
        for butler in made:
            butler.close()


def test_the_adapter_is_found_through_its_entry_point() -> None:
    assert "blobdb" in available(DATASTORE_GROUP)


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "b.sqlite3")
    BlobDatastore(path, storage_classes=StorageClassRegistry(), formatters=default_formatter_set()).close()
    store = BlobDatastore(path, storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                          writeable=False)
    with pytest.raises(ReadOnlyError):
        store.remove([])
    store.close()


def test_a_misspelt_option_is_refused(tmp_path: Path) -> None:
    config = {"datastore": {"adapter": "blobdb", "root": "{root}/blobs.sqlite3", "tempalte": "{run}/{id}"}}
    with pytest.raises(ConfigError, match="tempalte"):
        Butler.create(tmp_path / "repo", config)
