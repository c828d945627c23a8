"""The Datastore contract suite against the POSIX datastore, writeable and read-only."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.posix import PosixDatastore, make_datastore
from databutler.domain import StorageClassRegistry, StoredArtifact
from databutler.ports.capabilities import DatastoreCapability
from databutler.ports.datastore import TransferMode
from databutler.testing.datastore import DatastoreContract

WHOLE_FILES = frozenset(DatastoreCapability) - {DatastoreCapability.DISASSEMBLY}
"""Every capability but DISASSEMBLY: what a file datastore not configured to write composites in parts declares."""

READ_ONLY = WHOLE_FILES - {DatastoreCapability.WRITE, DatastoreCapability.REMOVE,
                                              DatastoreCapability.INGEST}
"""What a read-only file datastore declares: no writes, so no ingest modes either."""


def posix_factory(tmp_path: Path, **options: Any) -> Callable[..., PosixDatastore]:
    """A factory of fresh POSIX datastores under ``tmp_path``."""
    numbers = itertools.count()

    def make(*, writeable: bool = True) -> PosixDatastore:
        root = tmp_path / f"store{next(numbers)}"
        if not writeable:
            root.mkdir()
        return make_datastore({"adapter": "posix", "root": str(root), **options},
                              storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                              create=writeable, writeable=writeable)

    return make


def flip_a_byte(datastore: Any, artifact: StoredArtifact) -> None:
    """Change one byte of an artifact's file in place, keeping its size."""
    path = Path(datastore.uri(artifact).removeprefix("file://"))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


class TestPosixDatastore(DatastoreContract):
    capabilities = WHOLE_FILES | frozenset(TransferMode)

    @pytest.fixture
    def make_datastore(self, tmp_path: Path) -> Callable[..., PosixDatastore]:
        return posix_factory(tmp_path)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestPosixDatastoreDisassembling(DatastoreContract):
    """Composites written one file per component (``disassemble: true``): every group holds, parts included."""

    capabilities = frozenset(DatastoreCapability) | frozenset(TransferMode)

    @pytest.fixture
    def make_datastore(self, tmp_path: Path) -> Callable[..., PosixDatastore]:
        return posix_factory(tmp_path, disassemble=True)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestPosixDatastoreWithoutChecksumsWithFsync(DatastoreContract):
    capabilities = (WHOLE_FILES - {DatastoreCapability.CHECKSUMS}) | frozenset(TransferMode)

    @pytest.fixture
    def make_datastore(self, tmp_path: Path) -> Callable[..., PosixDatastore]:
        return posix_factory(tmp_path, checksum=None, fsync=True)


class TestReadOnlyPosixDatastore(DatastoreContract):
    capabilities = READ_ONLY

    @pytest.fixture
    def make_datastore(self, tmp_path: Path) -> Callable[[], PosixDatastore]:
        factory = posix_factory(tmp_path)
        return lambda: factory(writeable=False)
