"""Checking artifact bytes against their recorded size and checksum, wherever they are stored."""

from __future__ import annotations

from typing import IO

from ...domain.dataset import StoredArtifact
from ...domain.errors import FileIntegrityError
from .checksums import checksum_algorithm, checksum_of_bytes, checksum_of_stream

IN_MEMORY_LIMIT = 64 << 20
"""Artifacts up to this size are read once into memory, checked and parsed from there; larger
ones are streamed."""


def size_problem(artifact: StoredArtifact, size: int, where: str) -> str | None:
    """What is wrong with an artifact of ``size`` bytes at ``where``, or None."""
    if artifact.size is not None and size != artifact.size:
        return (f"artifact {where} of dataset {artifact.dataset_id} has {size} bytes, but {artifact.size} "
                "were written; it was changed or truncated since")
    return None


def checksum_problem(artifact: StoredArtifact, actual: str, where: str) -> str | None:
    """What is wrong with an artifact at ``where`` whose checksum is ``actual``, or None."""
    if actual != artifact.checksum:
        return (f"artifact {where} of dataset {artifact.dataset_id} is corrupt: its checksum is {actual}, "
                f"but {artifact.checksum} was recorded when it was written")
    return None


def bytes_problem(artifact: StoredArtifact, data: bytes, where: str) -> str | None:
    """What is wrong with ``data`` as the whole content of ``artifact``, or None."""
    problem = size_problem(artifact, len(data), where)
    if problem is None and artifact.checksum is not None:
        problem = checksum_problem(artifact, checksum_of_bytes(data, checksum_algorithm(artifact.checksum)), where)
    return problem


def stream_problem(artifact: StoredArtifact, stream: IO[bytes], size: int, where: str) -> str | None:
    """What is wrong with the rest of ``stream`` (``size`` bytes) as ``artifact``, or None; reads in chunks."""
    problem = size_problem(artifact, size, where)
    if problem is None and artifact.checksum is not None:
        actual = checksum_of_stream(stream, checksum_algorithm(artifact.checksum))
        problem = checksum_problem(artifact, actual, where)
    return problem


def check_bytes(artifact: StoredArtifact, data: bytes, where: str) -> None:
    """Raise FileIntegrityError unless ``data`` is the recorded content of ``artifact``."""
    problem = bytes_problem(artifact, data, where)
    if problem is not None:
        raise FileIntegrityError(problem)


def check_size(artifact: StoredArtifact, size: int, where: str) -> None:
    """Raise FileIntegrityError unless ``size`` is the recorded size of ``artifact``."""
    problem = size_problem(artifact, size, where)
    if problem is not None:
        raise FileIntegrityError(problem)
