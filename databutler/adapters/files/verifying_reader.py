"""A reader that hashes a stream while a formatter parses it, so a large artifact is fetched once."""

from __future__ import annotations

from typing import IO

from .checksums import _CHUNK, Hash, format_checksum, hash_factory


class VerifyingReader:
    """A seekable read-only view of ``stream`` that hashes the bytes read while reads stay sequential.

    ``finish`` reads and hashes whatever the parser left unread and returns the checksum of the
    whole stream, or None if the parser seeked away (the caller then hashes in a second pass).
    """

    def __init__(self, stream: IO[bytes], algorithm: str) -> None:
        self._stream = stream
        self._algorithm = algorithm
        self._digest: Hash | None = hash_factory(algorithm)()
        self._hashed = 0

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all with -1), hashing them if they follow the hashed prefix."""
        data = self._stream.read(-1 if size is None else size)
        if self._digest is not None:
            self._digest.update(data)
            self._hashed += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Read into ``buffer``; return the byte count."""
        data = self.read(len(buffer))
        memoryview(buffer)[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move; hashing stops for good unless the new position is where hashing left off."""
        position = self._stream.seek(offset, whence)
        if position != self._hashed:
            self._digest = None
        return position

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
        """The checksum of the whole stream (reading its unread rest), or None if reads were not sequential."""
        if self._digest is None or self._stream.tell() != self._hashed:
            return None
        while chunk := self._stream.read(_CHUNK):
            self._digest.update(chunk)
        return format_checksum(self._algorithm, self._digest)
