"""Checksums of the POSIX datastore: hashing while writing, parsing recorded checksums."""

from __future__ import annotations

import array
import hashlib
import os
from pathlib import Path

import pytest

from databutler.adapters.files.checksums import (
    HashingWriter,
    checksum_algorithm,
    checksum_of_bytes,
    checksum_of_stream,
    hash_factory,
)
from databutler.domain import ConfigError, DatastoreError


def test_hashing_writer_writes_counts_and_hashes(tmp_path: Path) -> None:
    path = tmp_path / "out"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        writer = HashingWriter(fd, "sha256")
        assert writer.write(b"hello ") == 6
        assert writer.write(memoryview(b"world")) == 5
        ints = array.array("i", [1, 2, 3])
        assert writer.write(ints) == ints.itemsize * 3
    finally:
        os.close(fd)
    data = path.read_bytes()
    assert data == b"hello world" + ints.tobytes()
    assert writer.size == len(data)
    assert writer.checksum == f"sha256:{hashlib.sha256(data).hexdigest()}"


def test_hashing_writer_without_algorithm_only_counts(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)
    try:
        writer = HashingWriter(fd, None)
        writer.write(b"abc")
    finally:
        os.close(fd)
    assert writer.checksum is None and writer.size == 3


def test_stream_and_bytes_checksums_agree(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    path = tmp_path / "big"
    path.write_bytes(data)
    with open(path, "rb") as stream:
        assert checksum_of_stream(stream, "blake2b") == checksum_of_bytes(data, "blake2b")


@pytest.mark.parametrize("name", ["no-such-hash", "shake_128"])
def test_unusable_algorithms_are_config_errors(name: str) -> None:
    with pytest.raises(ConfigError):
        hash_factory(name)


@pytest.mark.parametrize("recorded", ["deadbeef", "nohash:00"])
def test_malformed_recorded_checksums_are_datastore_errors(recorded: str) -> None:
    with pytest.raises(DatastoreError):
        checksum_algorithm(recorded)


def test_recorded_checksum_names_its_algorithm() -> None:
    assert checksum_algorithm("sha256:00ff") == "sha256"
