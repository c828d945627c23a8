"""BlobDatastore: each artifact's formatted bytes in a row of a SQLite table."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from databutler.domain import (
    ConfigError,
    ConflictingDefinitionError,
    DatasetNotFoundError,
    DatasetRef,
    DatastoreError,
    FileIntegrityError,
    FileTemplate,
    ReadOnlyError,
    StorageClassError,
    StorageClassRegistry,
    StoredArtifact,
)
from databutler.ports import (
    Datastore,
    DatastoreCapability,
    FormatterSet,
    IngestRequest,
    ReadRequest,
    TransferMode,
    require,
)

_SCHEMA = "CREATE TABLE IF NOT EXISTS artifact (key TEXT PRIMARY KEY, data BLOB NOT NULL)"


class BlobDatastore(Datastore):
    """Stores artifacts as BLOBs keyed by their rendered template path; no ingest."""

    def __init__(self, path: str, *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                 template: str | None = None, writeable: bool = True) -> None:
        self._path = os.path.abspath(path)
        self._storage_classes = storage_classes
        self._formatters = formatters
        self._template = FileTemplate(template) if template else FileTemplate()
        self._writeable = writeable
        try:
            self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
        except sqlite3.Error as err:
            raise DatastoreError(f"cannot open blob store {self._path}: {err}") from None

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """WRITE (unless read-only), REMOVE, CHECKSUMS, PERSISTENT."""
        caps = {DatastoreCapability.CHECKSUMS, DatastoreCapability.PERSISTENT}
        if self._writeable:
            caps |= {DatastoreCapability.WRITE, DatastoreCapability.REMOVE}
        return frozenset(caps)

    @property
    def root(self) -> str:
        """``blobdb:///abs/path/file.sqlite3/``."""
        return f"blobdb://{self._path}/"

    def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()

    def _check(self, capability: DatastoreCapability, action: str) -> None:
        if capability in (DatastoreCapability.WRITE, DatastoreCapability.REMOVE) and not self._writeable:
            raise ReadOnlyError(f"blob store {self._path} is read-only; cannot {action}")
        require(self.capabilities, capability, "BlobDatastore", action)

    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Format each object and insert its bytes, all in one SQLite transaction."""
        self._check(DatastoreCapability.WRITE, "put datasets")
        rows: list[tuple[str, bytes]] = []
        artifacts = []
        for obj, ref in items:
            storage_class = self._storage_classes[ref.dataset_type.storage_class]
            if not storage_class.accepts(obj):
                raise StorageClassError(f"{type(obj).__name__} is not of storage class {storage_class.name!r}")
            formatter = self._formatters.for_storage_class(storage_class.name)
            buffer = io.BytesIO()
            formatter.write(obj, buffer, storage_class)
            data = buffer.getvalue()
            key = self._template.render(ref) + formatter.extension
            rows.append((key, data))
            artifacts.append(StoredArtifact(ref.id, key, formatter.name, storage_class.name,
                                            "sha256:" + hashlib.sha256(data).hexdigest(), len(data)))
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT INTO artifact (key, data) VALUES (?, ?)", rows)
        except sqlite3.IntegrityError:
            raise ConflictingDefinitionError("an artifact with the same key already exists") from None
        except sqlite3.Error as err:
            raise DatastoreError(f"blob store write failed: {err}") from None
        return artifacts

    def _load(self, artifact: StoredArtifact) -> bytes:
        row = self._db.execute("SELECT data FROM artifact WHERE key = ?", (artifact.uri,)).fetchone()
        if row is None:
            raise DatasetNotFoundError(f"artifact {artifact.uri!r} is not in blob store {self._path}")
        data: bytes = row[0]
        if artifact.checksum and "sha256:" + hashlib.sha256(data).hexdigest() != artifact.checksum:
            raise FileIntegrityError(f"artifact {artifact.uri!r} does not match its checksum")
        return data

    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """Read and deserialize each requested artifact."""
        results = []
        for request in requests:
            if not request.artifacts:
                raise DatasetNotFoundError(f"{request.ref} has no recorded artifact in blob store {self._path}")
            artifact = request.artifacts[0]
            storage_class = self._storage_classes[artifact.storage_class]
            formatter = self._formatters.by_name(artifact.formatter)
            results.append(formatter.read(io.BytesIO(self._load(artifact)), storage_class,
                                          request.parameters, request.component))
        return results

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether each key has a row."""
        return [self._db.execute("SELECT 1 FROM artifact WHERE key = ?", (a.uri,)).fetchone() is not None
                for a in artifacts]

    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Delete the rows; absent keys are ignored."""
        self._check(DatastoreCapability.REMOVE, "remove datasets")
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM artifact WHERE key = ?", [(a.uri,) for a in artifacts])

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Refused: this datastore does not declare INGEST."""
        self._check(DatastoreCapability.INGEST, "ingest files")
        raise AssertionError("unreachable")  # pragma: no cover

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """None for each sound artifact, else what is wrong with it."""
        problems: list[str | None] = []
        for artifact in artifacts:
            try:
                self._load(artifact)
                problems.append(None)
            except (DatasetNotFoundError, FileIntegrityError) as err:
                problems.append(str(err))
        return problems

    def uri(self, artifact: StoredArtifact) -> str:
        """``blobdb:///path/file.sqlite3/<key>``."""
        return self.root + artifact.uri


def make_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry,
                   formatters: FormatterSet, create: bool, writeable: bool) -> BlobDatastore:
    """Build a BlobDatastore from the ``datastore:`` section (``path``, optional ``template``)."""
    path = options.get("path")
    if not isinstance(path, str):
        raise ConfigError("datastore 'blobdb' needs a 'path' to its SQLite file")
    return BlobDatastore(path, storage_classes=storage_classes, formatters=formatters,
                         template=options.get("template"), writeable=writeable)
