"""Append-only, crash-safe journals on any fsspec URL: length-prefixed, checksummed records.

A record is ``MAGIC (2 bytes) | length (4 bytes, big-endian) | crc32 of the payload (4 bytes) |
payload``. A writer appends whole records and never rewrites one; a reader stops at the first
record that is incomplete or fails its checksum (the tail a killed writer was writing) and
ignores the rest of that journal, so earlier records are always readable. Each writer has its own
journal file, so no writer ever appends after another's torn tail. Filesystems that cannot append
(object stores) get the whole journal re-uploaded per record, which an object store replaces
atomically.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from typing import Any

import fsspec

from ...domain.errors import RegistryError

MAGIC = b"DJ"
_HEADER = struct.Struct(">2sII")
_LOG = logging.getLogger(__name__)


def frame(payload: bytes) -> bytes:
    """One journal record holding ``payload``."""
    return _HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def unframe(data: bytes, name: str = "journal") -> list[bytes]:
    """The payloads of the complete, intact records at the start of ``data`` (a torn tail is dropped)."""
    payloads: list[bytes] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < _HEADER.size:
            break
        magic, length, checksum = _HEADER.unpack_from(data, offset)
        payload = data[offset + _HEADER.size:offset + _HEADER.size + length]
        if magic != MAGIC or len(payload) != length or zlib.crc32(payload) != checksum:
            break
        payloads.append(payload)
        offset += _HEADER.size + length
    if offset < len(data):
        _LOG.warning("%s: ignoring %d bytes after record %d (a write that did not finish)", name,
                     len(data) - offset, len(payloads))
    return payloads


class JournalWriter:
    """Appends records to one journal file, each durable (flushed and fsynced) before ``append`` returns."""

    def __init__(self, fs: Any, path: str) -> None:
        self._fs = fs
        self._path = path
        self._stream: Any = None
        self._written = b""  # what was written, for filesystems that re-upload instead of appending
        # Object stores buffer an appended file until it is closed: re-upload the journal instead.
        self._appendable = bool({"file", "local", "memory"} & set(_protocols(fs)))

    def append(self, payload: bytes) -> None:
        """Write one record; on failure nothing is promised about it, but earlier records stay intact."""
        record = frame(payload)
        try:
            if self._appendable:
                if self._stream is None:
                    self._stream = self._fs.open(self._path, "ab")
                self._stream.write(record)
                self._stream.flush()
                _fsync(self._stream)
            else:
                self._fs.pipe_file(self._path, self._written + record)
                self._written += record
        except (OSError, ValueError, NotImplementedError) as err:
            raise RegistryError(f"cannot write the journal {self._path}: {err}") from None

    def close(self) -> None:
        """Close the journal file."""
        if self._stream is not None:
            try:
                self._stream.close()
            finally:
                self._stream = None


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _fsync(stream: Any) -> None:
    try:
        fileno = stream.fileno()
    except (OSError, ValueError, TypeError, AttributeError, NotImplementedError):
        return  # not an OS file (memory://): flushing is all the filesystem offers
    os.fsync(fileno)


def read_journal(fs: Any, path: str) -> list[bytes]:
    """The intact records of the journal at ``path``."""
    try:
        data = fs.cat_file(path)
    except OSError as err:
        raise RegistryError(f"cannot read the journal {path}: {err}") from None
    return unframe(bytes(data), path)


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and path of ``url`` (a local path or any fsspec URL)."""
    fs, path = fsspec.core.url_to_fs(url)
    return fs, str(path).rstrip("/")
