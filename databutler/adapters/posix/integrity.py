"""Checking artifacts against their recorded size and checksum."""

from __future__ import annotations

import io
import os
from typing import IO

from ...domain.dataset import StoredArtifact
from ...domain.errors import FileIntegrityError
from .checksums import checksum_algorithm, checksum_of_bytes, checksum_of_stream

IN_MEMORY_LIMIT = 64 << 20
"""Files up to this size are read once into memory, hashed and parsed from there; larger ones
are hashed in a first pass and parsed from the file in a second."""


def size_problem(artifact: StoredArtifact, size: int, path: str) -> str | None:
    """What is wrong with a file of ``size`` bytes as ``artifact``, or None."""
    if artifact.size is not None and size != artifact.size:
        return (f"artifact {path} of dataset {artifact.dataset_id} has {size} bytes, but {artifact.size} "
                "were written; it was changed or truncated since")
    return None


def checksum_problem(artifact: StoredArtifact, actual: str, path: str) -> str | None:
    """What is wrong with a file whose checksum is ``actual`` as ``artifact``, or None."""
    if actual != artifact.checksum:
        return (f"artifact {path} of dataset {artifact.dataset_id} is corrupt: its checksum is {actual}, "
                f"but {artifact.checksum} was recorded when it was written")
    return None


def read_verified(fd: int, artifact: StoredArtifact, path: str) -> IO[bytes]:
    """A stream of the whole file open at ``fd``, after checking its size and checksum (FileIntegrityError)."""
    size = os.fstat(fd).st_size
    problem = size_problem(artifact, size, path)
    if problem is None and size <= IN_MEMORY_LIMIT:
        data = _read_all(fd, size)
        if artifact.checksum is not None:
            actual = checksum_of_bytes(data, checksum_algorithm(artifact.checksum))
            problem = checksum_problem(artifact, actual, path)
        if problem is None:
            return io.BytesIO(data)
    elif problem is None:
        file = open(fd, "rb", closefd=False)  # noqa: SIM115 - the caller owns and closes fd
        if artifact.checksum is not None:
            problem = checksum_problem(artifact, checksum_of_stream(file, checksum_algorithm(artifact.checksum)),
                                       path)
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
    problem = size_problem(artifact, os.fstat(fd).st_size, path)
    if problem is not None:
        raise FileIntegrityError(problem)


def file_problem(path: str, artifact: StoredArtifact) -> str | None:
    """What is wrong with the file of ``artifact`` at ``path`` (missing, wrong size, corrupt), or None."""
    try:
        with open(path, "rb") as file:
            problem = size_problem(artifact, os.fstat(file.fileno()).st_size, path)
            if problem is None and artifact.checksum is not None:
                actual = checksum_of_stream(file, checksum_algorithm(artifact.checksum))
                problem = checksum_problem(artifact, actual, path)
            return problem
    except FileNotFoundError:
        return f"artifact {path} of dataset {artifact.dataset_id} is missing"
    except OSError as err:
        return f"artifact {path} of dataset {artifact.dataset_id} cannot be read: {err.strerror}"
