"""MemoryDatastore: Datasets as private copies in this process's memory."""

from __future__ import annotations

import copy
import datetime
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.errors import (
    ArtifactExistsError,
    CapabilityError,
    DatasetNotFoundError,
    DatastoreError,
    ReadOnlyError,
    StorageClassError,
)
from ...domain.storage_class import StorageClassRegistry, apply_read_parameters, extract_component
from ...domain.template import FileTemplates
from ...ports.capabilities import DatastoreCapability
from ...ports.datastore import Datastore, IngestRequest, ListedArtifact, ReadRequest, TransferMode

FORMATTER_NAME = "memory"
"""The formatter recorded for in-memory artifacts (there are no bytes, so no real formatter)."""


@attrs.frozen
class _Entry:
    obj: Any
    storage_class: str
    written: datetime.datetime = attrs.field(factory=lambda: datetime.datetime.now(datetime.UTC))


class MemoryDatastore(Datastore):
    """An ephemeral datastore: put stores a deep copy, get returns a deep copy.

    Nothing outlives the object (no PERSISTENT), nothing is ingested (no INGEST), and there are
    no bytes to checksum. URIs are ``memory://<instance id>/<rendered template>``.
    """

    def __init__(self, *, storage_classes: StorageClassRegistry, templates: FileTemplates | None = None,
                 writeable: bool = True) -> None:
        self._storage_classes = storage_classes
        self._templates = templates or FileTemplates()
        self._root = f"memory://{uuid.uuid4().hex}/"
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        writes = frozenset({DatastoreCapability.WRITE, DatastoreCapability.REMOVE}) if writeable else frozenset()
        self._capabilities = writes | {DatastoreCapability.LIST}

    def __repr__(self) -> str:
        return f"MemoryDatastore({self._root!r})"

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """LIST; WRITE and REMOVE unless read-only."""
        return self._capabilities

    @property
    def root(self) -> str:
        """``memory://<instance id>/``."""
        return self._root

    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Store a deep copy of each object; all or nothing."""
        self._require_writeable("write datasets")
        staged: dict[str, _Entry] = {}
        artifacts = []
        for obj, ref in items:
            storage_class = self._storage_classes[ref.dataset_type.storage_class]
            if not storage_class.accepts(obj):
                kind = type(obj)
                raise StorageClassError(f"cannot put a {kind.__module__}.{kind.__qualname__} as {ref}: storage "
                                        f"class {storage_class.name!r} expects one of "
                                        f"{list(storage_class.python_types)}")
            path = self._templates.render(ref)
            if path in staged:
                raise self._conflict(path)
            staged[path] = _Entry(_copy(obj), storage_class.name)
            artifacts.append(StoredArtifact(ref.id, path, FORMATTER_NAME, storage_class.name))
        with self._lock:
            taken = [path for path in staged if path in self._entries]
            if taken:
                raise self._conflict(taken[0])
            self._entries.update(staged)
        return artifacts

    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """A deep copy of each Dataset, narrowed by its read parameters, or of one component."""
        results = []
        for request in requests:
            artifact = _artifact_for(request)
            entry = self._entries.get(self._path(artifact.uri))
            if entry is None:
                raise DatasetNotFoundError(f"the artifact of {request.ref} is missing: nothing is stored at "
                                           f"{self.uri(artifact)}")
            storage_class = self._storage_classes[entry.storage_class]
            obj = apply_read_parameters(storage_class, entry.obj, request.parameters)
            if request.component is not None:
                obj = extract_component(storage_class, obj, request.component)
            results.append(_copy(obj))
        return results

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether each artifact is stored."""
        return [self._path(artifact.uri) in self._entries for artifact in artifacts]

    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Forget the artifacts; absent ones are ignored."""
        self._require_writeable("remove datasets", DatastoreCapability.REMOVE)
        with self._lock:
            for artifact in artifacts:
                self._entries.pop(self._path(artifact.uri), None)

    def list_artifacts(self) -> Iterator[ListedArtifact]:
        """Every stored artifact, with the time it was put (there are no bytes, so no size)."""
        with self._lock:
            entries = sorted(self._entries.items())
        return iter([ListedArtifact(self._root + path, None, entry.written) for path, entry in entries])

    def remove_uris(self, uris: Sequence[str]) -> None:
        """Forget the artifacts at these URIs; absent ones are ignored."""
        self._require_writeable("remove datasets", DatastoreCapability.REMOVE)
        paths = [self._path(uri) for uri in uris]  # refuses a URI of another datastore before forgetting any
        with self._lock:
            for path in paths:
                self._entries.pop(path, None)

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Refused: a memory datastore has no files to ingest."""
        raise CapabilityError(f"{self!r} does not declare the capability 'ingest', needed to ingest files")

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """None for each stored artifact, else that it is missing."""
        return [None if ok else f"artifact {self.uri(artifact)} of dataset {artifact.dataset_id} is missing"
                for artifact, ok in zip(artifacts, self.exists(artifacts), strict=True)]

    def uri(self, artifact: StoredArtifact) -> str:
        """``memory://<instance id>/<path>``."""
        return artifact.uri if "://" in artifact.uri else self._root + artifact.uri

    def _path(self, uri: str) -> str:
        if "://" not in uri:
            return uri
        if not uri.startswith(self._root):
            raise DatastoreError(f"{uri!r} is not stored in {self!r}")
        return uri[len(self._root):]

    def _conflict(self, path: str) -> ArtifactExistsError:
        return ArtifactExistsError(f"{self._root}{path} already exists; datastore artifacts are never "
                                   "overwritten (remove the dataset first, or write to another run)",
                                   (path, self._root + path))

    def _require_writeable(self, action: str, capability: DatastoreCapability = DatastoreCapability.WRITE) -> None:
        if capability not in self._capabilities:
            raise ReadOnlyError(f"{self!r} is read-only; it cannot {action}")


def _artifact_for(request: ReadRequest) -> StoredArtifact:
    for artifact in request.artifacts:
        if artifact.component is None:
            return artifact
    raise DatasetNotFoundError(f"no stored artifact holds {request.ref}")


def _copy(obj: Any) -> Any:
    try:
        return copy.deepcopy(obj)
    except Exception as err:  # deepcopy runs arbitrary __deepcopy__/__reduce__ code
        raise StorageClassError(f"cannot copy a {type(obj).__qualname__} into a memory datastore: {err}") from None
