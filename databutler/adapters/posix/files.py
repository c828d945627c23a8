"""Writing new files atomically, never replacing an existing one."""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
from collections.abc import Callable
from typing import IO, cast

from ...domain.errors import DatastoreError
from .._files.checksums import HashingWriter
from .._files.datastore import conflict

# Errors of filesystems without hard links; publishing falls back to reserve-then-rename there.
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS})
_temp_numbers = itertools.count()
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def temp_path(final: str) -> str:
    """A hidden name in the directory of ``final`` for writing it, unique to this process."""
    directory, _, name = final.rpartition("/")
    return f"{directory}/.{name}.{os.getpid()}.{next(_temp_numbers)}.tmp"


def write_new_file(final: str, write: Callable[[IO[bytes]], None], *, algorithm: str | None,
                   fsync: bool) -> tuple[str | None, int]:
    """Create ``final`` with what ``write`` writes; return its checksum and size.

    The bytes go to a temporary file that is then published atomically, so ``final`` either does
    not exist or is complete. An existing ``final`` raises ConflictingDefinitionError and is
    left untouched; no temporary file survives a failure.
    """
    temp = temp_path(final)
    fd = os.open(temp, _CREATE_NEW, 0o666)
    try:
        try:
            writer = HashingWriter(fd, algorithm)
            write(cast(IO[bytes], writer))  # duck-typed: it has the methods formatters use to write
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        publish(temp, final)
    except BaseException:
        discard(temp)
        raise
    if fsync:
        sync_directory(os.path.dirname(final))
    return writer.checksum, writer.size


def publish(temp: str, final: str) -> None:
    """Give file ``temp`` the name ``final`` atomically; ConflictingDefinitionError if ``final`` exists."""
    try:
        os.link(temp, final)
    except FileExistsError:
        raise conflict(final) from None
    except OSError as err:
        if err.errno not in _NO_HARD_LINKS:
            raise
        reserve(final)  # no hard links here: claim the name exclusively, then rename onto the claim
        try:
            os.replace(temp, final)
        except BaseException:
            discard(final)
            raise
        return
    os.unlink(temp)


def reserve(path: str) -> None:
    """Create ``path`` empty and exclusively; ConflictingDefinitionError if it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:
        raise conflict(path) from None


def discard(path: str) -> None:
    """Delete file ``path`` if it exists."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def sync_directory(directory: str) -> None:
    """Flush ``directory`` entries to disk, so a new name survives a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def os_error(err: OSError, action: str, path: str) -> DatastoreError:
    """A DatastoreError for an operating-system failure while doing ``action`` on ``path``."""
    return DatastoreError(f"cannot {action} {path}: {err.strerror or err}")
