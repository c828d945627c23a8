"""The Datastore contract suite: objectstore (S3 on moto, memory://), cache over S3, POSIX layered over S3."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

from databutler.adapters.cache import CachingDatastore
from databutler.adapters.cache import make_datastore as make_cache_datastore
from databutler.adapters.chained import ChainedDatastore, Child
from databutler.adapters.formats import default_formatter_set
from databutler.adapters.objectstore import ObjectStoreDatastore, make_datastore
from databutler.adapters.posix import make_datastore as make_posix_datastore
from databutler.domain import StorageClassRegistry, StoredArtifact
from databutler.ports.capabilities import DatastoreCapability
from databutler.ports.datastore import TransferMode
from databutler.testing.datastore import DatastoreContract, DatastoreDisassemblyContract
from databutler.testing.s3 import S3Fixtures

WHOLE_FILES = frozenset(DatastoreCapability) - {DatastoreCapability.DISASSEMBLY}
"""Every capability but DISASSEMBLY: what a file datastore not configured to write composites in parts declares."""

READ_ONLY = WHOLE_FILES - {DatastoreCapability.WRITE, DatastoreCapability.REMOVE,
                                              DatastoreCapability.INGEST}
"""What a read-only file datastore declares: no writes, so no ingest modes either."""
OBJECT_MODES = frozenset({TransferMode.COPY, TransferMode.MOVE, TransferMode.DIRECT, TransferMode.AUTO})
"""The ingest modes of an object store (no links)."""


def objectstore_factory(root: str, **options: Any) -> Callable[..., ObjectStoreDatastore]:
    """A factory of fresh object-store datastores, each under its own prefix of ``root``."""

    def make(*, writeable: bool = True) -> ObjectStoreDatastore:
        return make_datastore({"adapter": "objectstore", "root": f"{root}/store-{uuid.uuid4().hex[:8]}", **options},
                              storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                              create=writeable, writeable=writeable)

    return make


def flip_a_byte(datastore: Any, artifact: StoredArtifact) -> None:
    """Rewrite an artifact's object with one byte changed, keeping its size, without the port."""
    fs, path = fsspec.core.url_to_fs(datastore.uri(artifact))
    data = bytearray(fs.cat_file(path))
    data[len(data) // 2] ^= 0xFF
    fs.pipe_file(path, bytes(data))


class TestS3Datastore(DatastoreContract, S3Fixtures):
    capabilities = WHOLE_FILES | OBJECT_MODES

    @pytest.fixture
    def make_datastore(self, s3_bucket: str) -> Callable[..., ObjectStoreDatastore]:
        return objectstore_factory(s3_bucket)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestS3DatastoreDisassembling(DatastoreContract, S3Fixtures):
    """Composites written one object per component (``disassemble: [ArrayWithMetadata]``)."""

    capabilities = frozenset(DatastoreCapability) | OBJECT_MODES

    @pytest.fixture
    def make_datastore(self, s3_bucket: str) -> Callable[..., ObjectStoreDatastore]:
        return objectstore_factory(s3_bucket, disassemble=["ArrayWithMetadata"])

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestReadOnlyS3Datastore(DatastoreContract, S3Fixtures):
    capabilities = READ_ONLY

    @pytest.fixture
    def make_datastore(self, s3_bucket: str) -> Callable[[], ObjectStoreDatastore]:
        factory = objectstore_factory(s3_bucket)
        return lambda: factory(writeable=False)


class TestFsspecMemoryDatastore(DatastoreContract):
    capabilities = WHOLE_FILES | OBJECT_MODES

    @pytest.fixture
    def make_datastore(self) -> Iterator[Callable[..., ObjectStoreDatastore]]:
        root = f"memory://contract-{uuid.uuid4().hex[:8]}"
        yield objectstore_factory(root)
        fs, path = fsspec.core.url_to_fs(root)
        if fs.exists(path):
            fs.rm(path, recursive=True)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestFsspecMemoryDatastoreWithoutChecksums(DatastoreContract):
    capabilities = (WHOLE_FILES - {DatastoreCapability.CHECKSUMS}) | OBJECT_MODES

    @pytest.fixture
    def make_datastore(self) -> Callable[..., ObjectStoreDatastore]:
        return objectstore_factory(f"memory://contract-{uuid.uuid4().hex[:8]}", checksum=None)


def cache_factory(remote: Callable[..., Any], directory: Path, **options: Any) -> Callable[..., CachingDatastore]:
    """A factory of caching datastores, each with its own cache directory, over ``remote()``."""
    numbers = itertools.count()

    def make(*, writeable: bool = True) -> CachingDatastore:
        options_ = {"adapter": "cache", "directory": str(directory / f"cache{next(numbers)}"), **options}
        return make_cache_datastore(options_, child=remote(writeable=writeable), storage_classes=StorageClassRegistry(),
                                    formatters=default_formatter_set())

    return make


class TestCacheOverS3(DatastoreContract, S3Fixtures):
    capabilities = WHOLE_FILES | OBJECT_MODES

    @pytest.fixture
    def make_datastore(self, s3_bucket: str, tmp_path: Path) -> Callable[..., CachingDatastore]:
        return cache_factory(objectstore_factory(s3_bucket), tmp_path, max_files=50)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestCacheOverDisassemblingS3(DatastoreDisassemblyContract, S3Fixtures):
    """A cache over an object store writing composites in parts: each part is cached on its own."""

    capabilities = frozenset(DatastoreCapability) | OBJECT_MODES

    @pytest.fixture
    def make_datastore(self, s3_bucket: str, tmp_path: Path) -> Callable[..., CachingDatastore]:
        return cache_factory(objectstore_factory(s3_bucket, disassemble=True), tmp_path)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


def layered_factory(tmp_path: Path, release_root: str) -> Callable[..., ChainedDatastore]:
    """A factory of chains: a fresh POSIX personal store over a read-only S3 release store."""
    numbers = itertools.count()
    release = objectstore_factory(release_root)

    def make(*, writeable: bool = True) -> ChainedDatastore:
        root = tmp_path / f"personal{next(numbers)}"
        root.mkdir()
        personal = make_posix_datastore({"adapter": "posix", "root": str(root)}, storage_classes=StorageClassRegistry(),
                                        formatters=default_formatter_set(), create=writeable, writeable=writeable)
        return ChainedDatastore([Child("personal", personal, read_only=not writeable),
                                 Child("release", release(writeable=False), read_only=True)])

    return make


class TestLayeredPosixOverS3(DatastoreContract, S3Fixtures):
    capabilities = WHOLE_FILES | frozenset(TransferMode)

    @pytest.fixture
    def make_datastore(self, s3_bucket: str, tmp_path: Path) -> Callable[..., ChainedDatastore]:
        return layered_factory(tmp_path, s3_bucket)
