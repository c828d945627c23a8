"""Writing new files atomically in an open directory, never replacing an existing one."""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
from collections.abc import Callable
from typing import IO, cast

from ...domain.errors import DatastoreError
from ..files.checksums import HashingWriter
from ..files.datastore import conflict
from .directories import Target

log = logging.getLogger(__name__)

# Errors of filesystems without hard links; publishing falls back to reserve-then-rename there.
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS})
_temp_numbers = itertools.count()
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def temp_name(name: str) -> str:
    """A hidden name beside ``name`` for writing it, unique to this process."""
    return f".{name}.{os.getpid()}.{next(_temp_numbers)}.tmp"


def write_new_file(target: Target, write: Callable[[IO[bytes]], None], *, algorithm: str | None,
                   fsync: bool) -> tuple[str | None, int]:
    """Create ``target`` with what ``write`` writes; return its checksum and size.

    The bytes go to a temporary file that is then published atomically, so the target either does
    not exist or is complete. An existing target raises ConflictingDefinitionError and is left
    untouched. Whatever fails, nothing is left: neither the temporary file nor, when a step after
    publishing fails (removing the temporary name, flushing the directory), the published file.
    """
    temp = temp_name(target.name)
    fd = os.open(temp, _CREATE_NEW, 0o666, dir_fd=target.dir_fd)
    published = False
    try:
        try:
            writer = HashingWriter(fd, algorithm)
            write(cast(IO[bytes], writer))  # duck-typed: it has the methods formatters use to write
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        temp_left = publish(target, temp)
        published = True
        if temp_left:
            os.unlink(temp, dir_fd=target.dir_fd)
        if fsync:
            os.fsync(target.dir_fd)  # flush the new name, so it survives a crash
    except BaseException:
        if published:
            undo(target, target.name)
        undo(target, temp)
        raise
    return writer.checksum, writer.size


def publish(target: Target, temp: str) -> bool:
    """Give file ``temp`` the name of ``target`` atomically; ConflictingDefinitionError if it exists.

    Returns whether ``temp`` still has its name (a hard link does; the caller removes it).
    """
    try:
        os.link(temp, target.name, src_dir_fd=target.dir_fd, dst_dir_fd=target.dir_fd)
    except FileExistsError:
        raise conflict(target.path) from None
    except OSError as err:
        if err.errno not in _NO_HARD_LINKS:
            raise
        reserve(target)  # no hard links here: claim the name exclusively, then rename onto the claim
        try:
            os.replace(temp, target.name, src_dir_fd=target.dir_fd, dst_dir_fd=target.dir_fd)
        except BaseException:
            undo(target, target.name)
            raise
        return False
    return True


def reserve(target: Target) -> None:
    """Create ``target`` empty and exclusively; ConflictingDefinitionError if it exists."""
    try:
        os.close(os.open(target.name, _CREATE_NEW, 0o644, dir_fd=target.dir_fd))
    except FileExistsError:
        raise conflict(target.path) from None


def undo(target: Target, name: str) -> None:
    """Delete ``name`` in the directory of ``target`` while undoing a failed write; a failure is logged.

    The original error matters more; a file left behind is found by ``find_orphans``.
    """
    try:
        discard_at(target.dir_fd, name)
    except OSError as err:
        log.error("could not delete %s/%s after a failed write: %s", os.path.dirname(target.path), name,
                  err.strerror or err)


def discard_at(dir_fd: int, name: str) -> None:
    """Delete file ``name`` of directory ``dir_fd`` if it exists."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=dir_fd)


def discard(path: str) -> None:
    """Delete file ``path`` if it exists."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def os_error(err: OSError, action: str, path: str) -> DatastoreError:
    """A DatastoreError for an operating-system failure while doing ``action`` on ``path``."""
    return DatastoreError(f"cannot {action} {path}: {err.strerror or err}")
