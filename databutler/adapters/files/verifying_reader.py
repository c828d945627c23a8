"""A reader that hashes a stream while a formatter parses it, so a large artifact is fetched once."""

from __future__ import annotations

from typing import IO

from .checksums import _CHUNK, Hash, format_checksum, hash_factory

MAX_GAP = 64 << 10
"""Bytes a parser may skip (padding, a small header field) that the reader still fetches and hashes itself."""


class VerifyingReader:
    """A seekable read-only view of ``stream`` that hashes the bytes read while no read skips any.

    The hashed prefix grows with every read that starts inside it (or at its end), so a parser may
    seek back and read again, or seek ahead without reading (astropy's FITS reader does both), and
    the bytes are still hashed once, in order. A read that skips at most ``MAX_GAP`` bytes (FITS
    padding) first reads and hashes the skipped bytes itself. ``finish`` reads and hashes whatever
    the parser left unread and returns the checksum of the whole stream, or None if a read skipped
    more (the caller then hashes in a second pass).
    """

    def __init__(self, stream: IO[bytes], algorithm: str) -> None:
        self._stream = stream
        self._algorithm = algorithm
        self._digest: Hash | None = hash_factory(algorithm)()
        self._hashed = 0

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all with -1), hashing those past the hashed prefix."""
        position = self._stream.tell()
        if self._digest is not None and 0 < position - self._hashed <= MAX_GAP:
            self._fill_gap(position)
        data = self._stream.read(-1 if size is None else size)
        self._hash(position, data)
        return data

    def _fill_gap(self, position: int) -> None:
        """Hash the few bytes between the hashed prefix and ``position`` that the parser skips (FITS padding)."""
        assert self._digest is not None
        self._stream.seek(self._hashed)
        gap = self._stream.read(position - self._hashed)
        self._stream.seek(position)
        if len(gap) == position - self._hashed:
            self._digest.update(gap)
            self._hashed = position

    def _hash(self, position: int, data: bytes) -> None:
        """Extend the hashed prefix with ``data`` read at ``position``; a read past it (a gap) stops hashing."""
        if self._digest is None:
            return
        end = position + len(data)
        if position > self._hashed:
            self._digest = None  # the bytes in between were never seen
        elif end > self._hashed:
            self._digest.update(memoryview(data)[self._hashed - position:])
            self._hashed = end

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Read into ``buffer``; return the byte count."""
        data = self.read(len(buffer))
        memoryview(buffer)[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move; hashing goes on as long as later reads start within the hashed prefix."""
        return int(self._stream.seek(offset, whence))

    def tell(self) -> int:
        """The current position."""
        return self._stream.tell()

    def readable(self) -> bool:
        """True."""
        return True

    def seekable(self) -> bool:
        """True."""
        return True

    def writable(self) -> bool:
        """False."""
        return False

    def finish(self) -> str | None:
        """The checksum of the whole stream (reading its unread rest), or None if a read skipped bytes."""
        if self._digest is None:
            return None
        self._stream.seek(self._hashed)
        while chunk := self._stream.read(_CHUNK):
            self._digest.update(chunk)
        return format_checksum(self._algorithm, self._digest)
