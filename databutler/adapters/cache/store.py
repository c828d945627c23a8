"""A local directory of cached artifact copies, keyed by URI, shared safely by several processes.

Layout under the cache directory: ``objects/<hh>/<sha256 of the URI>`` (complete copies only),
``tmp/`` (downloads in progress) and ``claims/`` (one O_EXCL file per download in progress, so
concurrent readers of the same URI wait for one download instead of repeating it). Copies are
published with ``os.link`` from ``tmp/``: a reader sees a whole file or none. Recency is the
file's mtime, touched on every hit; eviction removes the least recently used copies. A reader
holding a copy open keeps reading it even if another process evicts it meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable

from ...domain.errors import ConfigError
from ..files.checksums import HashingWriter

_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_LOW_WATER = 0.9
"""Eviction frees space down to this fraction of the limits, so it does not run on every fill."""
_RESCAN_EVERY = 256
"""Fills between rescans of the directory (other processes fill it too)."""

Download = Callable[[HashingWriter], None]
Check = Callable[[str | None, int], None]


class LocalCache:
    """Complete local copies of remote artifacts, bounded by total bytes and/or file count (LRU)."""

    def __init__(self, directory: str, *, max_bytes: int | None = None, max_files: int | None = None,
                 claim_timeout: float = 60.0) -> None:
        self.directory = os.path.abspath(directory)
        self._objects = os.path.join(self.directory, "objects")
        self._tmp = os.path.join(self.directory, "tmp")
        self._claims = os.path.join(self.directory, "claims")
        try:
            for path in (self._objects, self._tmp, self._claims):
                os.makedirs(path, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"cache datastore: cannot create cache directory {self.directory}: "
                              f"{err.strerror}") from None
        self.max_bytes = max_bytes
        self.max_files = max_files
        self._claim_timeout = claim_timeout
        self._usage: tuple[int, int] | None = None  # (bytes, files) as last scanned plus own fills
        self._fills = 0

    def path(self, uri: str) -> str:
        """Where the copy of ``uri`` lives."""
        key = hashlib.sha256(uri.encode()).hexdigest()
        return os.path.join(self._objects, key[:2], key)

    def open(self, uri: str) -> int | None:
        """A file descriptor on the copy of ``uri`` (marked as just used), or None on a miss."""
        path = self.path(uri)
        try:
            fd = os.open(path, _OPEN_READ)
        except FileNotFoundError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return fd

    def fill(self, uri: str, download: Download, *, algorithm: str | None, check: Check) -> int:
        """Download ``uri`` into the cache (or wait for another process doing it); return an open descriptor.

        ``download`` writes the bytes to the writer it is given; ``check(checksum, size)`` raises if
        they are not the recorded ones, and then nothing is published.
        """
        path = self.path(uri)
        claim = os.path.join(self._claims, os.path.basename(path))
        claimed = self._claim(claim, path)
        try:
            if not claimed and (fd := self.open(uri)) is not None:
                return fd  # another process published it while we waited
            temp = os.path.join(self._tmp, f"{os.getpid()}.{uuid.uuid4().hex}")
            fd = os.open(temp, _CREATE_NEW, 0o644)
            try:
                try:
                    writer = HashingWriter(fd, algorithm)
                    download(writer)
                finally:
                    os.close(fd)
                check(writer.checksum, writer.size)
                # Opened before it is published: an eviction (ours below, or another process's) that
                # removes the copy at once cannot take the bytes from under the caller.
                copy = os.open(temp, _OPEN_READ)
                try:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with contextlib.suppress(FileExistsError):  # someone else's complete copy is as good
                        os.link(temp, path)
                except BaseException:
                    os.close(copy)
                    raise
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
        finally:
            if claimed:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(claim)
        try:
            self._account(writer.size)
        except BaseException:
            os.close(copy)
            raise
        return copy

    def _claim(self, claim: str, path: str) -> bool:
        """Claim the download of ``path``: True if ours; False after another process finished (or gave up)."""
        deadline = time.monotonic() + self._claim_timeout
        while True:
            try:
                os.close(os.open(claim, _CREATE_NEW, 0o644))
                return True
            except FileExistsError:
                pass
            if os.path.exists(path):
                return False
            try:
                stale = time.time() - os.stat(claim).st_mtime > self._claim_timeout
            except FileNotFoundError:
                continue  # released just now: try to claim again
            if stale or time.monotonic() > deadline:  # its owner died or hangs: take over
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(claim)
                continue
            time.sleep(0.01)

    def invalidate(self, uri: str) -> None:
        """Drop the copy of ``uri``, if any."""
        path = self.path(uri)
        try:
            size = os.stat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            return
        if self._usage is not None:
            self._usage = (self._usage[0] - size, self._usage[1] - 1)

    def usage(self) -> tuple[int, int]:
        """Bytes and files in the cache now (scans the directory)."""
        entries = self._entries()
        return sum(size for _, size, _ in entries), len(entries)

    def _account(self, size: int) -> None:
        self._fills += 1
        if self.max_bytes is None and self.max_files is None:
            return
        if self._usage is None or self._fills % _RESCAN_EVERY == 0:
            self._usage = self.usage()
        else:
            self._usage = (self._usage[0] + size, self._usage[1] + 1)
        total, files = self._usage
        if (self.max_bytes is not None and total > self.max_bytes) or (
                self.max_files is not None and files > self.max_files):
            self.evict()

    def evict(self) -> None:
        """Remove least recently used copies until the cache is within its limits (at the low-water mark)."""
        entries = sorted(self._entries(), key=lambda entry: entry[2])
        total, files = sum(size for _, size, _ in entries), len(entries)
        byte_goal = None if self.max_bytes is None else int(self.max_bytes * _LOW_WATER)
        file_goal = None if self.max_files is None else int(self.max_files * _LOW_WATER)
        for path, size, _ in entries:
            if (byte_goal is None or total <= byte_goal) and (file_goal is None or files <= file_goal):
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            total, files = total - size, files - 1
        self._usage = (total, files)

    def _entries(self) -> list[tuple[str, int, float]]:
        found = []
        for bucket in os.scandir(self._objects):
            if not bucket.is_dir():
                continue
            for entry in os.scandir(bucket.path):
                with contextlib.suppress(FileNotFoundError):
                    info = entry.stat()
                    found.append((entry.path, info.st_size, info.st_mtime))
        return found
