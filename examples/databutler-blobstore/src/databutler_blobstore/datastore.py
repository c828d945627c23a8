"""BlobDatastore: each artifact's formatted bytes in a row of a SQLite table, built on databutler's file kit."""

from __future__ import annotations

import datetime
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from databutler.adapters.files import BytesDatastore, StoredBytes, file_options
from databutler.domain import (
    ConfigError,
    ConflictingDefinitionError,
    DatasetNotFoundError,
    DatastoreError,
    StorageClassRegistry,
)
from databutler.ports import FormatterSet

_SCHEMA = "CREATE TABLE IF NOT EXISTS artifact (key TEXT PRIMARY KEY, data BLOB NOT NULL, written REAL NOT NULL)"


class BlobDatastore(BytesDatastore):
    """Artifacts as BLOBs keyed by their location; the kit does templates, checksums, batches and ingest."""

    def __init__(self, path: str, **options: Any) -> None:
        """A store in SQLite file ``path``; ``options`` are BytesDatastore's (storage_classes, formatters, ...)."""
        super().__init__(**options)
        self._path = os.path.abspath(path)
        try:
            self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
        except sqlite3.Error as err:
            raise DatastoreError(f"cannot open blob store {self._path}: {err}") from None

    def __repr__(self) -> str:
        return f"BlobDatastore({self._path!r})"

    @property
    def root(self) -> str:
        """``blobdb:///abs/path/file.sqlite3/``."""
        return f"blobdb://{self._path}/"

    def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()

    def _write_bytes(self, location: str, data: bytes) -> None:
        try:
            self._db.execute("INSERT INTO artifact (key, data, written) VALUES (?, ?, ?)",
                             (location, data, datetime.datetime.now(datetime.UTC).timestamp()))
        except sqlite3.IntegrityError:
            raise ConflictingDefinitionError(f"{self.root}{location} already exists") from None
        except sqlite3.Error as err:
            raise DatastoreError(f"blob store {self._path}: cannot write {location}: {err}") from None

    def _read_bytes(self, location: str) -> bytes:
        row = self._db.execute("SELECT data FROM artifact WHERE key = ?", (location,)).fetchone()
        if row is None:
            raise DatasetNotFoundError(f"artifact {location!r} is not in blob store {self._path}")
        return bytes(row[0])

    def _has_bytes(self, location: str) -> bool:
        return self._db.execute("SELECT 1 FROM artifact WHERE key = ?", (location,)).fetchone() is not None

    def _delete_bytes(self, locations: Sequence[str]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM artifact WHERE key = ?", [(location,) for location in locations])

    def _list_bytes(self) -> Iterator[StoredBytes]:
        for key, size, written in self._db.execute("SELECT key, length(data), written FROM artifact").fetchall():
            yield StoredBytes(key, size, datetime.datetime.fromtimestamp(written, datetime.UTC))


def make_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                   create: bool, writeable: bool) -> BlobDatastore:
    """A BlobDatastore from the ``datastore:`` section: ``root`` (its SQLite file), ``template``, ``checksum``."""
    common = file_options(options, formatters, "blobdb")
    root = options.get("root")
    if not isinstance(root, str):
        raise ConfigError("datastore 'blobdb' needs a 'root': the path of its SQLite file")
    return BlobDatastore(root, storage_classes=storage_classes, formatters=common.formatters,
                         templates=common.templates, checksum=common.checksum, writeable=writeable)
