"""The public file-datastore kit: five storage hooks make a datastore that passes the whole Datastore contract."""

from __future__ import annotations

import datetime
import errno
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from databutler.adapters.files import BytesDatastore, StoredBytes, file_options
from databutler.adapters.formats import default_formatter_set
from databutler.domain import (
    ConfigError,
    ConflictingDefinitionError,
    DatasetNotFoundError,
    DatastoreError,
    StorageClassRegistry,
    StoredArtifact,
)
from databutler.ports import IngestRequest, TransferMode
from databutler.testing.datastore import DatastoreContract, make_ref


class DictDatastore(BytesDatastore):
    """The smallest backend: locations in a dict. Everything else comes from the kit."""

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(storage_classes=StorageClassRegistry(), formatters=default_formatter_set(), **options)
        self.blobs: dict[str, bytes] = {}
        self._name = name

    @property
    def root(self) -> str:
        return f"dict://{self._name}/"

    def _write_bytes(self, location: str, data: bytes) -> None:
        if location in self.blobs:
            raise ConflictingDefinitionError(f"{location} is taken")
        self.blobs[location] = data

    def _read_bytes(self, location: str) -> bytes:
        try:
            return self.blobs[location]
        except KeyError:
            raise DatasetNotFoundError(f"{location} is not stored") from None

    def _has_bytes(self, location: str) -> bool:
        return location in self.blobs

    def _delete_bytes(self, locations: Sequence[str]) -> None:
        for location in locations:
            self.blobs.pop(location, None)

    def _list_bytes(self) -> Iterator[StoredBytes]:
        now = datetime.datetime.now(datetime.UTC)
        return iter([StoredBytes(location, len(data), now) for location, data in self.blobs.items()])


def corrupt(datastore: Any, artifact: StoredArtifact) -> None:
    """Flip one byte behind the port's back."""
    data = bytearray(datastore.blobs[artifact.uri])
    data[len(data) // 2] ^= 0xFF
    datastore.blobs[artifact.uri] = bytes(data)


class TestDictDatastore(DatastoreContract):
    """The shipped Datastore suite over the five-hook backend."""

    @pytest.fixture
    def make_datastore(self) -> Callable[[], DictDatastore]:
        names = iter(range(1 << 20))
        return lambda: DictDatastore(f"store{next(names)}")

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return corrupt


def test_link_modes_cannot_be_declared_on_a_store_of_bytes() -> None:
    with pytest.raises(ConfigError, match="symlink"):
        DictDatastore("links", ingest_modes=frozenset({TransferMode.COPY, TransferMode.SYMLINK}))


def test_a_failed_move_puts_back_the_sources_already_moved_and_keeps_no_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datastore = DictDatastore("moves")
    sources = [tmp_path / f"m{i}.json" for i in range(2)]
    for i, source in enumerate(sources):
        source.write_text(f'{{"n": {i}}}')
    unlink = os.unlink

    def failing_unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if os.fspath(path) == str(sources[1]):
            raise OSError(errno.EIO, "Input/output error")
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", failing_unlink)
    with pytest.raises(DatastoreError, match="cannot move"):
        datastore.ingest([IngestRequest(str(source), make_ref()) for source in sources], TransferMode.MOVE)
    assert [source.read_text() for source in sources] == ['{"n": 0}', '{"n": 1}'], "a moved file was lost"
    assert datastore.blobs == {}, "a failed ingest left copies behind"


def test_file_options_refuse_an_unknown_option() -> None:
    with pytest.raises(ConfigError, match="chekcsum"):
        file_options({"root": "x", "chekcsum": "md5"}, default_formatter_set(), "dict")


def test_file_options_read_template_checksum_and_formatters() -> None:
    common = file_options({"root": "x", "template": "{run}/{id}", "checksum": "md5"}, default_formatter_set(), "dict")
    assert common.checksum == "md5"
    assert common.templates.render(make_ref(run="r")).startswith("r/")
