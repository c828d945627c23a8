"""Checking local files against their recorded size and checksum (file-descriptor fast paths)."""

from __future__ import annotations

import io
import os
import stat
from typing import IO

from ...domain.dataset import StoredArtifact
from ...domain.errors import FileIntegrityError
from ..files import integrity as shared
from ..files.integrity import bytes_problem, size_problem, stream_problem

IN_MEMORY_LIMIT = shared.IN_MEMORY_LIMIT
"""Files up to this size are read once into memory, hashed and parsed from there; larger ones
are hashed in a first pass and parsed from the file in a second."""


def read_verified(fd: int, artifact: StoredArtifact, path: str) -> IO[bytes]:
    """A stream of the whole file open at ``fd``, after checking its size and checksum (FileIntegrityError)."""
    size = regular_size(fd, artifact, path)
    problem = size_problem(artifact, size, path)
    if problem is None and size <= IN_MEMORY_LIMIT:
        data = _read_all(fd, size)
        problem = bytes_problem(artifact, data, path)
        if problem is None:
            return io.BytesIO(data)
    elif problem is None:
        file = open(fd, "rb", closefd=False)  # noqa: SIM115 - the caller owns and closes fd
        problem = stream_problem(artifact, file, size, path)
        file.seek(0)
        if problem is None:
            return file
    raise FileIntegrityError(problem)


def _read_all(fd: int, size: int) -> bytes:
    """Everything from ``fd``: usually one ``read`` of the known size."""
    data = os.read(fd, size + 1)  # one more byte, to notice a file that grew since fstat
    if len(data) == size:
        return data
    chunks = [data]  # short read, or a file that changed since fstat: read on to the end
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def check_size(fd: int, artifact: StoredArtifact, path: str) -> None:
    """Raise FileIntegrityError if the file open at ``fd`` does not have the recorded size."""
    shared.check_size(artifact, regular_size(fd, artifact, path), path)


def regular_size(fd: int, artifact: StoredArtifact, path: str) -> int:
    """The size of the file open at ``fd``; FileIntegrityError if it is not a regular file (a directory, say)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise FileIntegrityError(not_a_file(info.st_mode, artifact, path))
    return info.st_size


def not_a_file(mode: int, artifact: StoredArtifact, path: str) -> str:
    """The problem of an artifact whose path holds something other than a regular file."""
    kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
    return (f"artifact {path} of dataset {artifact.dataset_id} is {kind}, not the file that was written; "
            "restore the file there, or remove the dataset")


def file_problem(path: str, artifact: StoredArtifact) -> str | None:
    """What is wrong with the file of ``artifact`` at ``path`` (missing, wrong size, corrupt), or None."""
    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                return not_a_file(info.st_mode, artifact, path)
            return stream_problem(artifact, file, info.st_size, path)
    except IsADirectoryError:
        return not_a_file(stat.S_IFDIR, artifact, path)
    except FileNotFoundError:
        return f"artifact {path} of dataset {artifact.dataset_id} is missing"
    except OSError as err:
        return f"artifact {path} of dataset {artifact.dataset_id} cannot be read: {err.strerror}"
