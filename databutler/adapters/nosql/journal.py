"""Append-only, crash-safe journals on any fsspec URL: length-prefixed, checksummed records.

A record is ``MAGIC (2 bytes) | length (4 bytes, big-endian) | crc32 of the payload (4 bytes) |
payload``. A writer appends whole records and never rewrites one, and ends the journal with an
empty *end record* (magic ``END``) when it closes. Each writer has its own journal file, so no
writer ever appends after another's torn tail; a writer whose append fails cuts the journal back
to its last whole record, so a write that raised is not replayed later. If even that cut fails (a
second fault), the writer continues in a new journal file: the old one then ends with the failed
record, read as a torn tail if it is incomplete, and replayed if it is whole.

Reading tells a crash from damage. A killed writer leaves at most one incomplete or garbled
record at the end of its journal (the *torn tail*): it is dropped with a warning, and nothing
acknowledged is lost, since the writer never returned from that append. Anything else that fails
its checksum is damage (a flipped byte, a bad disk, a wrong copy): a record that does not read
back followed by one that does, or anything wrong before the end record of a closed journal.
That raises JournalDamageError naming the journal, the byte offset and the record number, so no
registry is ever opened, or merged, with some of its writes silently missing.

Filesystems that cannot append (object stores) get the whole journal re-uploaded per record,
which an object store replaces atomically. Journals written before the end record existed read
as journals whose writer never closed them.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import struct
import uuid
import zlib
from typing import Any

import fsspec

from ...domain.errors import RegistryError

MAGIC = b"DJ"
END = b"DE"
"""The magic of the end record: the writer closed the journal, so it has no torn tail."""
_HEADER = struct.Struct(">2sII")
_LOG = logging.getLogger(__name__)


class JournalDamageError(RegistryError):
    """A journal holds a record that does not read back (not a torn tail a crash leaves)."""


def frame(payload: bytes, magic: bytes = MAGIC) -> bytes:
    """One journal record holding ``payload``."""
    return _HEADER.pack(magic, len(payload), zlib.crc32(payload)) + payload


END_RECORD = frame(b"", END)
"""What a writer appends when it closes its journal."""


def _record_at(data: bytes, offset: int) -> tuple[bytes, bytes, int] | None:
    """(magic, payload, offset after it) of the intact record at ``offset``, or None if there is none."""
    if len(data) - offset < _HEADER.size:
        return None
    magic, length, checksum = _HEADER.unpack_from(data, offset)
    start = offset + _HEADER.size
    payload = data[start:start + length]
    if magic not in (MAGIC, END) or len(payload) != length or zlib.crc32(payload) != checksum:
        return None
    return magic, payload, start + length


def _intact_record_from(data: bytes, offset: int) -> bool:
    """Whether a whole, intact record starts at ``offset`` or anywhere after it."""
    for magic in (MAGIC, END):
        found = data.find(magic, offset)
        while found != -1:
            if _record_at(data, found) is not None:
                return True
            found = data.find(magic, found + 1)
    return False


def records(data: bytes, name: str = "journal") -> list[tuple[int, bytes]]:
    """(byte offset, payload) of each record of journal ``data``, a torn tail dropped.

    Raises JournalDamageError if a record is damaged anywhere but in the torn tail.
    """
    found: list[tuple[int, bytes]] = []
    offset = 0
    ended = False
    while offset < len(data) and not ended:
        record = _record_at(data, offset)
        if record is None:
            break
        magic, payload, end = record
        ended = magic == END
        if not ended:
            found.append((offset, payload))
        offset = end
    if offset < len(data):
        if ended and _intact_record_from(data, offset):
            raise JournalDamageError(
                f"the journal {name} is damaged at byte {offset}: records follow its end record (record "
                f"{len(found) + 1}), which no writer appends; restore the journal from a copy, or move it aside "
                f"to open the registry without its writes")
        if not ended and _intact_record_from(data, offset + 1):
            raise JournalDamageError(
                f"the journal {name} is damaged at byte {offset} (record {len(found) + 1}): that record fails "
                f"its checksum or framing, and intact records follow it, so this is not a write a crash "
                f"interrupted; {len(data) - offset} bytes from there would be lost. Restore the journal from a "
                f"copy, or move it aside to open the registry without its writes")
        what = "after the journal's end record" if ended else "of a write that did not finish"
        _LOG.warning("%s: ignoring %d bytes at byte %d, after record %d (%s)", name, len(data) - offset,
                     offset, len(found), what)
    return found


def unframe(data: bytes, name: str = "journal") -> list[bytes]:
    """The payloads of the records of journal ``data`` (see ``records``)."""
    return [payload for _, payload in records(data, name)]


def new_journal_path(directory: str) -> str:
    """A new journal file name in ``directory`` that sorts after every journal begun before it."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{directory}/{stamp}-{uuid.uuid4().hex}.log"


class JournalWriter:
    """Appends records to journal files in one directory, each durable (flushed, fsynced) before ``append`` returns."""

    def __init__(self, fs: Any, directory: str) -> None:
        self._fs = fs
        self._directory = directory
        self._path = new_journal_path(directory)
        self._stream: Any = None
        self._size = 0  # bytes of whole records in the current journal file
        self._written = b""  # what was written, for filesystems that re-upload instead of appending
        self._closed = False
        # Object stores buffer an appended file until it is closed: re-upload the journal instead.
        self._local = bool({"file", "local"} & set(_protocols(fs)))
        self._appendable = self._local or "memory" in _protocols(fs)

    @property
    def path(self) -> str:
        """The journal file being appended to."""
        return self._path

    def append(self, payload: bytes) -> None:
        """Write one record; if that fails, the journal is left as it was before (or continues in a new file)."""
        if self._closed:
            raise RegistryError(f"the journal {self._path} is closed")
        self._write(frame(payload))

    def _write(self, record: bytes) -> None:
        try:
            if self._appendable:
                if self._stream is None:
                    self._stream = self._fs.open(self._path, "ab")
                    self._size = self._stream.tell()
                try:
                    self._stream.write(record)
                    self._stream.flush()
                    _fsync(self._stream)
                except BaseException:
                    self._undo()
                    raise
                self._size += len(record)
            else:
                self._fs.pipe_file(self._path, self._written + record)
                self._written += record
        except (OSError, ValueError, NotImplementedError) as err:
            raise RegistryError(f"cannot write the journal {self._path}: {err}") from None

    def _undo(self) -> None:
        """Cut the journal back to its whole records after a failed append, so no later record follows a torn one."""
        stream, self._stream = self._stream, None
        with contextlib.suppress(OSError, ValueError):  # the truncation below settles what reached the file
            stream.close()
        try:
            if not self._local:
                raise OSError("cannot truncate this filesystem's files")
            with open(self._path, "r+b") as file:
                file.truncate(self._size)
                os.fsync(file.fileno())
        except OSError as err:
            # What remains is the end of that journal, read as a torn tail; later records go elsewhere.
            _LOG.warning("cannot cut the journal %s back to %d bytes after a failed write (%s); continuing in a "
                         "new journal", self._path, self._size, err)
            self._path = new_journal_path(self._directory)
            self._size = 0

    def close(self) -> None:
        """End the journal (if anything was written to it) with its end record, and close the file."""
        if self._closed:
            return
        self._closed = True
        if self._size == 0 and not self._written:
            return  # nothing was written: no journal file to end
        try:
            self._write(END_RECORD)
        except RegistryError as err:  # the journal then reads as one whose writer never closed it
            _LOG.warning("cannot end the journal %s: %s", self._path, err)
        finally:
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


def read_journal(fs: Any, path: str) -> list[tuple[int, bytes]]:
    """(byte offset, payload) of the records of the journal at ``path`` (see ``records``)."""
    try:
        data = fs.cat_file(path)
    except OSError as err:
        raise RegistryError(f"cannot read the journal {path}: {err}") from None
    return records(bytes(data), path)


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and path of ``url`` (a local path or any fsspec URL)."""
    fs, path = fsspec.core.url_to_fs(url)
    return fs, str(path).rstrip("/")
