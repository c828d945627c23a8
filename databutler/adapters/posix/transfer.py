"""Bringing existing files into the datastore: copies, links and checksums of files in place."""

from __future__ import annotations

import errno
import os
import shutil
from typing import IO

from ...domain.errors import DatasetNotFoundError, DatastoreError
from ...ports.datastore import TransferMode
from ..files.checksums import checksum_of_stream
from ..files.datastore import conflict
from .directories import Target
from .files import undo, write_new_file

_CHUNK = 1 << 20
_CROSS_DEVICE = frozenset({errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})


def copy_file(source: str, target: Target, *, algorithm: str | None, fsync: bool) -> tuple[str | None, int]:
    """Copy ``source`` to new file ``target``, hashing while copying; return checksum and size."""
    try:
        src = open(source, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise source_gone(source) from None
    with src:
        def copy(stream: IO[bytes]) -> None:
            shutil.copyfileobj(src, stream, _CHUNK)

        return write_new_file(target, copy, algorithm=algorithm, fsync=fsync)


def link_file(source: str, target: Target, mode: TransferMode) -> None:
    """Make ``target`` a hard link, absolute symbolic link or relative symbolic link to ``source``."""
    try:
        if mode is TransferMode.HARDLINK:
            os.link(source, target.name, dst_dir_fd=target.dir_fd)
        elif mode is TransferMode.SYMLINK:
            os.symlink(source, target.name, dir_fd=target.dir_fd)
        elif mode is TransferMode.RELSYMLINK:
            # Relative to where the link really is, so it resolves even if the root is reached by a link.
            real_dir = os.path.realpath(os.path.dirname(target.path))
            os.symlink(os.path.relpath(os.path.realpath(source), real_dir), target.name, dir_fd=target.dir_fd)
        else:
            raise AssertionError(mode)  # pragma: no cover
    except FileExistsError:
        raise conflict(target.path) from None
    except FileNotFoundError:
        if not os.path.lexists(source):
            raise source_gone(source) from None
        raise
    except OSError as err:
        if mode is TransferMode.HARDLINK and err.errno in _CROSS_DEVICE:
            raise DatastoreError(f"cannot hard-link {source} into the datastore at {target.path}: {err.strerror}; "
                                 "hard links work only within one filesystem (use copy or symlink)") from None
        raise


def move_file(source: str, target: Target, *, algorithm: str | None, fsync: bool) -> tuple[str | None, int]:
    """Give ``source``'s content the new name ``target`` (the caller deletes ``source`` once all succeed)."""
    try:
        os.link(source, target.name, dst_dir_fd=target.dir_fd)
    except FileExistsError:
        raise conflict(target.path) from None
    except FileNotFoundError:
        if not os.path.lexists(source):
            raise source_gone(source) from None
        raise
    except OSError as err:
        if err.errno not in _CROSS_DEVICE:
            raise
        return copy_file(source, target, algorithm=algorithm, fsync=fsync)
    try:
        return describe_target(target, algorithm)
    except BaseException:
        undo(target, target.name)
        raise


def describe_file(path: str, algorithm: str | None) -> tuple[str | None, int]:
    """The checksum (None without an algorithm) and size of existing file ``path``."""
    if algorithm is None:
        return None, os.stat(path).st_size
    with open(path, "rb") as file:
        return checksum_of_stream(file, algorithm), os.fstat(file.fileno()).st_size


def describe_target(target: Target, algorithm: str | None) -> tuple[str | None, int]:
    """The checksum and size of the file (or the file a link leads to) at ``target``."""
    fd = os.open(target.name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0), dir_fd=target.dir_fd)
    with open(fd, "rb") as file:
        size = os.fstat(fd).st_size
        return (None if algorithm is None else checksum_of_stream(file, algorithm)), size


def source_gone(source: str) -> DatasetNotFoundError:
    """The error for a file to ingest that disappeared after it was checked."""
    return DatasetNotFoundError(f"file to ingest {source!r} disappeared while it was being ingested")


def restore_source(final: str, source: str) -> None:
    """Put a moved file back at ``source`` (by link where possible, else by copy)."""
    try:
        os.link(final, source)
    except OSError:
        shutil.copy2(final, source)
