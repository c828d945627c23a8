"""Checksums of artifacts: computed while writing, verified while reading (any storage)."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from ...domain.errors import ConfigError, DatastoreError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

Hash = Any  # hashlib's hash objects have no public class
DEFAULT_ALGORITHM = "blake2b"
_CHUNK = 1 << 20


@functools.cache
def hash_factory(algorithm: str) -> Callable[[], Hash]:
    """A constructor of ``algorithm`` hashes; ConfigError for an unknown or variable-length one."""
    constructor = getattr(hashlib, algorithm, None)
    if algorithm not in hashlib.algorithms_available and constructor is None:
        raise ConfigError(f"checksum algorithm {algorithm!r} is not available; choose one of "
                          f"{sorted(hashlib.algorithms_guaranteed)}")
    factory: Callable[[], Hash] = constructor if callable(constructor) else functools.partial(hashlib.new, algorithm)
    if factory().digest_size == 0:
        raise ConfigError(f"checksum algorithm {algorithm!r} has no fixed digest size; choose another")
    return factory


def format_checksum(algorithm: str, digest: Hash) -> str:
    """The recorded form of a checksum: ``<algorithm>:<hex digest>``."""
    return f"{algorithm}:{digest.hexdigest()}"


def checksum_algorithm(checksum: str) -> str:
    """The algorithm of a recorded checksum."""
    algorithm, sep, _ = checksum.partition(":")
    if not sep:
        raise DatastoreError(f"recorded checksum {checksum!r} is not of the form '<algorithm>:<hex>'")
    try:
        hash_factory(algorithm)
    except ConfigError as err:
        raise DatastoreError(f"recorded checksum {checksum!r}: {err}") from None
    return algorithm


def checksum_of_bytes(data: bytes, algorithm: str) -> str:
    """The checksum of ``data``."""
    digest = hash_factory(algorithm)()
    digest.update(data)
    return format_checksum(algorithm, digest)


def checksum_of_stream(stream: IO[bytes], algorithm: str) -> str:
    """The checksum of the rest of ``stream``, read in chunks."""
    digest = hash_factory(algorithm)()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return format_checksum(algorithm, digest)


class HashingWriter:
    """A write-only binary stream that counts and hashes what it writes on to ``target``.

    ``target`` is a file descriptor (written with ``os.write``, the fast local path) or a binary
    stream such as an object-store upload. A plain object rather than an ``io`` class, to keep
    the per-file cost low; it cannot seek or tell, so formats that would seek while writing (zip)
    stream instead.
    """

    def __init__(self, target: int | IO[bytes], algorithm: str | None) -> None:
        self._fd = target if isinstance(target, int) else -1
        self._stream = None if isinstance(target, int) else target
        self._algorithm = algorithm
        self._digest = hash_factory(algorithm)() if algorithm else None
        self.size = 0

    def write(self, data: ReadableBuffer) -> int:
        """Write all of ``data``, hashing it on the way."""
        view = memoryview(data)
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
        size = view.nbytes
        if self._digest is not None:
            self._digest.update(view)
        if self._stream is not None:
            self._stream.write(view)
        else:
            while view:
                view = view[os.write(self._fd, view):]
        self.size += size
        return size

    def writable(self) -> bool:
        """True."""
        return True

    def readable(self) -> bool:
        """False."""
        return False

    def seekable(self) -> bool:
        """False."""
        return False

    def flush(self) -> None:
        """Nothing to do: every write goes straight to the file."""

    @property
    def checksum(self) -> str | None:
        """The checksum of everything written so far (None without an algorithm)."""
        if self._algorithm is None:
            return None
        return format_checksum(self._algorithm, self._digest)
