"""CachingDatastore: a remote datastore whose reads are served from local copies after the first."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any

from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.errors import FileIntegrityError
from ...domain.storage_class import StorageClassRegistry
from ...ports.assembler import AssemblerSet, default_assembler_set
from ...ports.capabilities import DatastoreCapability
from ...ports.datastore import Datastore, IngestRequest, ListedArtifact, ReadRequest, TransferMode
from ...ports.formatter import FormatterSet
from ...ports.parts import plan_parts_read
from ..files.checksums import HashingWriter, checksum_algorithm
from ..files.datastore import artifact_for
from ..files.integrity import IN_MEMORY_LIMIT, check_bytes, check_size, checksum_problem, size_problem, stream_problem
from .store import LocalCache

_CHUNK = 1 << 20


class CachingDatastore(Datastore):
    """Wraps a remote Datastore port: reads fill a local cache keyed by the artifact's remote URI.

    Everything but reads goes to the remote, and every artifact it returns is the remote's: the
    registry never sees a local path. A cached copy is checked against the recorded size and
    checksum on every full read; a mismatch drops it and fetches the artifact again. Artifacts
    larger than the cache, or from a remote that does not hand out bytes, are read remotely.
    """

    def __init__(self, remote: Datastore, cache: LocalCache, *, storage_classes: StorageClassRegistry,
                 formatters: FormatterSet, assemblers: AssemblerSet | None = None) -> None:
        self.remote = remote
        self._assemblers = assemblers or default_assembler_set()
        self.cache = cache
        self._storage_classes = storage_classes
        self._formatters = formatters
        self._bytes = DatastoreCapability.ARTIFACT_BYTES in remote.capabilities

    def __repr__(self) -> str:
        return f"CachingDatastore({self.remote!r}, cache={self.cache.directory!r})"

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """The remote's capabilities."""
        return self.remote.capabilities

    @property
    def root(self) -> str:
        """The remote's root."""
        return self.remote.root

    @property
    def ingest_modes(self) -> frozenset[TransferMode]:
        """The remote's transfer modes."""
        return self.remote.ingest_modes

    def close(self) -> None:
        """Close the remote."""
        self.remote.close()

    def owns(self, uri: str) -> bool:
        """Whether the remote serves ``uri``."""
        return self.remote.owns(uri)

    def uri(self, artifact: StoredArtifact) -> str:
        """The remote URI of ``artifact`` (never a cache path)."""
        return self.remote.uri(artifact)

    # -- delegated ------------------------------------------------------------------------------

    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Write to the remote."""
        return self.remote.put(items)

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Ingest into the remote."""
        return self.remote.ingest(requests, transfer)

    def undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                    transfer: TransferMode) -> None:
        """The remote undoes the ingest (nothing of it was read, so nothing is cached)."""
        self.remote.undo_ingest(requests, artifacts, transfer)

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether the remote has each artifact (a cached copy alone does not count)."""
        return self.remote.exists(artifacts)

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """The remote's verdict on each artifact."""
        return self.remote.verify(artifacts)

    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Remove from the remote, then drop the cached copies."""
        self.remote.remove(artifacts)
        for artifact in artifacts:
            self.cache.invalidate(self.remote.uri(artifact))

    def list_artifacts(self) -> Iterator[ListedArtifact]:
        """The remote's files (the cache directory holds copies, not artifacts)."""
        return self.remote.list_artifacts()

    def remove_uris(self, uris: Sequence[str]) -> None:
        """Remove the files from the remote, then drop any cached copies of them."""
        self.remote.remove_uris(uris)
        for uri in uris:
            self.cache.invalidate(uri)

    def open_artifact(self, artifact: StoredArtifact) -> AbstractContextManager[IO[bytes]]:
        """The remote's bytes of ``artifact``."""
        return self.remote.open_artifact(artifact)

    # -- reading --------------------------------------------------------------------------------

    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """Read each Dataset from its cached copy, fetching the copy first on a miss (one copy per part)."""
        results = []
        for request in requests:
            parts = plan_parts_read(request, self._storage_classes, self._assemblers)
            results.append(self._get_one(request) if parts is None else parts.run(self._get_one))
        return results

    def _get_one(self, request: ReadRequest) -> Any:
        artifact, component = artifact_for(request)
        if not self._cacheable(artifact):
            return self.remote.get([request])[0]
        uri = self.remote.uri(artifact)
        fd = self.cache.open(uri)
        if fd is not None:
            try:
                return self._read_copy(fd, uri, artifact, request, component)
            except FileIntegrityError:
                self.cache.invalidate(uri)  # the copy went bad: fetch it again
            finally:
                os.close(fd)
        fd = self._fill(uri, artifact)
        try:
            return self._read_copy(fd, uri, artifact, request, component)
        finally:
            os.close(fd)

    def _cacheable(self, artifact: StoredArtifact) -> bool:
        limit = self.cache.max_bytes
        return self._bytes and (limit is None or artifact.size is None or artifact.size <= limit)

    def _fill(self, uri: str, artifact: StoredArtifact) -> int:
        def download(writer: HashingWriter) -> None:
            with self.remote.open_artifact(artifact) as source:
                while chunk := source.read(_CHUNK):
                    writer.write(chunk)

        def check(checksum: str | None, size: int) -> None:
            problem = size_problem(artifact, size, uri)
            if problem is None and artifact.checksum is not None:
                problem = checksum_problem(artifact, checksum or "", uri)
            if problem is not None:
                raise FileIntegrityError(problem)

        algorithm = None if artifact.checksum is None else checksum_algorithm(artifact.checksum)
        return self.cache.fill(uri, download, algorithm=algorithm, check=check)

    def _read_copy(self, fd: int, uri: str, artifact: StoredArtifact, request: ReadRequest,
                   component: str | None) -> Any:
        storage_class = self._storage_classes[artifact.storage_class]
        formatter = self._formatters.by_name(artifact.formatter)
        where = f"{uri} (cached copy)"
        size = os.fstat(fd).st_size
        with open(fd, "rb", closefd=False) as file:
            if formatter.partial_read and (request.parameters or component is not None):
                check_size(artifact, size, where)
                return formatter.read(file, storage_class, request.parameters, component)
            if size <= IN_MEMORY_LIMIT:
                data = file.read()
                check_bytes(artifact, data, where)
                return formatter.read(io.BytesIO(data), storage_class, request.parameters, component)
            problem = stream_problem(artifact, file, size, where)
            if problem is not None:
                raise FileIntegrityError(problem)
            file.seek(0)
            return formatter.read(file, storage_class, request.parameters, component)


