"""FileDatastore: what every datastore of formatted, checksummed files does, whatever stores the bytes.

Subclasses say how bytes are created, read, placed and deleted on their storage; this class
plans writes (StorageClass check, formatter, template), runs batches all-or-nothing, reports a
taken path as ArtifactExistsError, chooses between a partial and a verified full read, runs
ingest and ``undo_ingest`` by the ownership rules, and enforces the declared capabilities.
Public kit: subclass ``BytesDatastore`` when the storage keeps whole byte strings (five hooks),
this class when it has its own streamed, ranged or linked paths (the hooks below).
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any

import attrs

from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.errors import (
    ArtifactExistsError,
    ConflictingDefinitionError,
    DataButlerError,
    DatasetNotFoundError,
    DatastoreError,
    ReadOnlyError,
    StorageClassError,
)
from ...domain.storage_class import StorageClass, StorageClassRegistry
from ...domain.template import FileTemplates, check_relative_path
from ...ports.assembler import AssemblerSet, default_assembler_set
from ...ports.capabilities import DATASTORE_WRITE_SIDE, DatastoreCapability, require
from ...ports.datastore import Datastore, IngestRequest, ListedArtifact, ReadRequest, TransferMode
from ...ports.formatter import Formatter, FormatterSet
from ...ports.parts import part_path, plan_parts_read
from .checksums import DEFAULT_ALGORITHM, hash_factory
from .disassembly import Disassembly
from .ingest import IngestPlan, transfer_mode

log = logging.getLogger(__name__)


@attrs.frozen
class PlannedWrite:
    """One object to write, checked and placed before anything is written."""

    obj: Any
    ref: DatasetRef
    storage_class: StorageClass
    formatter: Formatter
    relative: str
    """The root-relative path, with the formatter's extension."""
    component: str | None = None
    """The component this file holds, for a part of a composite written in parts."""


class FileDatastore(Datastore):
    """Datasets as formatted files under a root: never overwritten, checksummed, batches all or nothing."""

    def __init__(self, *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                 templates: FileTemplates | None, checksum: str | None = DEFAULT_ALGORITHM,
                 writeable: bool = True, ingest_modes: frozenset[TransferMode] = frozenset(TransferMode),
                 disassembly: Disassembly | None = None, assemblers: AssemblerSet | None = None) -> None:
        if checksum is not None:
            hash_factory(checksum)  # refuse an unknown algorithm now rather than at the first put
        self._storage_classes = storage_classes
        self._formatters = formatters
        self._templates = templates or FileTemplates()
        self._checksum = checksum
        self._disassembly = disassembly or Disassembly()
        self._assemblers = assemblers or default_assembler_set()
        capabilities = {DatastoreCapability.PARTIAL_READ, DatastoreCapability.PERSISTENT,
                        DatastoreCapability.ARTIFACT_BYTES, DatastoreCapability.LIST}
        if writeable:
            capabilities |= DATASTORE_WRITE_SIDE
        if checksum is not None:
            capabilities.add(DatastoreCapability.CHECKSUMS)
        if writeable and self._disassembly.enabled:
            capabilities.add(DatastoreCapability.DISASSEMBLY)
        self._capabilities = frozenset(capabilities)
        self._ingest_modes = ingest_modes if writeable else frozenset()

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """WRITE, REMOVE, INGEST unless read-only; CHECKSUMS unless disabled; DISASSEMBLY if writeable and
        configured to disassemble; always the rest (LIST included)."""
        return self._capabilities

    @property
    def ingest_modes(self) -> frozenset[TransferMode]:
        """The transfer modes this storage supports (none when read-only)."""
        return self._ingest_modes

    # -- storage hooks --------------------------------------------------------------------------

    @abc.abstractmethod
    def _write(self, write: PlannedWrite) -> StoredArtifact:
        """Create the new file of ``write`` atomically (ConflictingDefinitionError if taken)."""

    @abc.abstractmethod
    def _read_artifact(self, request: ReadRequest, artifact: StoredArtifact, component: str | None,
                       partial: bool) -> Any:
        """Read ``artifact``: verified in full, or only the bytes the formatter needs if ``partial``."""

    @abc.abstractmethod
    def open_artifact(self, artifact: StoredArtifact) -> AbstractContextManager[IO[bytes]]:
        """A binary stream of the stored file of ``artifact`` (DatasetNotFoundError if missing)."""

    @abc.abstractmethod
    def _delete_owned(self, uris: Sequence[str]) -> None:
        """Delete the files of the artifact URIs that lie under the root; ignore absent ones."""

    @abc.abstractmethod
    def _list_files(self) -> Iterator[ListedArtifact]:
        """Every file under the root, temporary ones included, never following links out of it."""

    @abc.abstractmethod
    def _relative_of_listed(self, tail: str) -> str:
        """The root-relative path of a listed URI whose part after the root is ``tail``."""

    @abc.abstractmethod
    def _plan_ingest(self, request: IngestRequest, mode: TransferMode) -> IngestPlan:
        """Check the file of ``request`` and decide where it goes; nothing changes."""

    @abc.abstractmethod
    def _place(self, plan: IngestPlan) -> StoredArtifact:
        """Bring one planned file into the datastore."""

    @abc.abstractmethod
    def _remove_moved_sources(self, plans: Sequence[IngestPlan]) -> None:
        """Delete the sources of MOVE plans once all are placed; put back the deleted ones on failure."""

    @abc.abstractmethod
    def _put_back(self, uri: str, source: str) -> None:
        """Put the file moved in as artifact ``uri`` back at ``source``, unless something is there."""

    def _batch(self) -> AbstractContextManager[None]:
        """Held around the writes of one ``put`` or ``ingest`` call: storage may keep state for the batch."""
        return contextlib.nullcontext()

    # -- writing --------------------------------------------------------------------------------

    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Write each object as a new file; all or nothing."""
        self._require(DatastoreCapability.WRITE, "write datasets")
        writes = [write for obj, ref in items for write in self._plan_writes(obj, ref)]
        artifacts: list[StoredArtifact] = []
        try:
            with self._batch():
                for write in writes:
                    artifacts.append(self._write_new(write))
        except BaseException:
            self._undo([artifact.uri for artifact in artifacts])
            raise
        return artifacts

    def _write_new(self, write: PlannedWrite) -> StoredArtifact:
        """``_write``, with a taken path reported as ArtifactExistsError naming it as a registry may record it."""
        try:
            artifact = self._write(write)
        except ConflictingDefinitionError as err:
            artifact = StoredArtifact(write.ref.id, write.relative, write.formatter.name, write.storage_class.name,
                                      component=write.component)
            raise self._taken(artifact, err) from None
        return artifact if write.component is None else attrs.evolve(artifact, component=write.component)

    def _taken(self, artifact: StoredArtifact, err: ConflictingDefinitionError) -> ArtifactExistsError:
        """``err`` (a taken path) as an ArtifactExistsError naming ``artifact`` relative and absolute."""
        return ArtifactExistsError(str(err), (artifact.uri, self.uri(artifact)))

    def _undo(self, uris: Sequence[str]) -> None:
        """Delete what a failing call wrote; a failure to delete is logged (the call's own error matters more)."""
        try:
            self._delete_owned(uris)
        except DataButlerError as err:
            log.error("%r could not delete %d files it wrote before a failure (find them with find_orphans): %s",
                      self, len(uris), err)

    def _plan_writes(self, obj: Any, ref: DatasetRef) -> list[PlannedWrite]:
        """The files of one object: its whole file, or one part per component of a composite written in parts."""
        storage_class = self._storage_classes[ref.dataset_type.storage_class]
        _check_accepts(storage_class, obj, ref)
        path = self._templates.render(ref)
        assembler = self._disassembly.assembler(storage_class, self._assemblers)
        if assembler is None:
            formatter = self._formatters.for_dataset_type(ref.dataset_type)
            return [PlannedWrite(obj, ref, storage_class, formatter, path + formatter.extension)]
        writes = []
        for component, value in sorted(assembler.disassemble(obj, storage_class).items()):
            part_class = self._storage_classes[storage_class.component(component)]
            _check_accepts(part_class, value, ref, component)
            formatter = self._formatters.for_storage_class(part_class.name)
            writes.append(PlannedWrite(value, ref, part_class, formatter,
                                       part_path(path, component) + formatter.extension, component))
        return writes

    # -- reading --------------------------------------------------------------------------------

    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """Read each Dataset or component, verifying what was recorded; a Dataset stored in parts is assembled."""
        results = []
        for request in requests:
            parts = plan_parts_read(request, self._storage_classes, self._assemblers)
            results.append(self._read_one(request) if parts is None else parts.run(self._read_one))
        return results

    def _read_one(self, request: ReadRequest) -> Any:
        artifact, component = artifact_for(request)
        partial = (self._formatters.by_name(artifact.formatter).partial_read
                   and bool(request.parameters or component is not None))
        return self._read_artifact(request, artifact, component, partial)

    # -- removing and ingesting -----------------------------------------------------------------

    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Delete the files of owned artifacts; others (ingested in place from outside) are left alone."""
        self._require(DatastoreCapability.REMOVE, "remove datasets")
        self._delete_owned([artifact.uri for artifact in artifacts])

    def list_artifacts(self) -> Iterator[ListedArtifact]:
        """Every file under the root, recorded or not (temporary files of interrupted writes included)."""
        return self._list_files()

    def remove_uris(self, uris: Sequence[str]) -> None:
        """Delete the files at these listed URIs under the root; all are checked before any is deleted."""
        self._require(DatastoreCapability.REMOVE, "remove files")
        relatives = []
        for uri in uris:
            if not uri.startswith(self.root):
                raise DatastoreError(f"{uri} is not under the root {self.root} of {self!r}; only files this "
                                     "datastore holds can be removed by URI")
            relatives.append(check_relative_path(self._relative_of_listed(uri[len(self.root):])))
        self._delete_owned(relatives)

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Bring existing files in with ``transfer``; all or nothing (moved files are put back)."""
        self._require(DatastoreCapability.INGEST, "ingest files")
        mode = transfer_mode(transfer, self._ingest_modes, repr(self))
        plans = [self._plan_ingest(request, mode) for request in requests]
        artifacts: list[StoredArtifact] = []
        try:
            with self._batch():
                for plan in plans:
                    artifact = self._place(plan)
                    artifacts.append(artifact if plan.component is None
                                     else attrs.evolve(artifact, component=plan.component))
            self._remove_moved_sources(plans)
        except BaseException:
            self._undo([a.uri for a, p in zip(artifacts, plans, strict=False) if p.mode is not TransferMode.DIRECT])
            raise
        return artifacts

    def undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                    transfer: TransferMode) -> None:
        """Delete the copies and links of an ingest that did not commit, put moved files back, keep files in place."""
        self._require(DatastoreCapability.REMOVE, "remove ingested files")
        mode = transfer_mode(transfer, self._ingest_modes, repr(self))
        if mode is TransferMode.DIRECT:
            return
        pairs = list(zip(requests, artifacts, strict=True))
        if mode is TransferMode.MOVE:
            for request, artifact in pairs:
                self._put_back(artifact.uri, request.path)
        self._delete_owned([artifact.uri for request, artifact in pairs
                            if mode is not TransferMode.AUTO or not self._left_in_place(request)])

    def _left_in_place(self, request: IngestRequest) -> bool:
        """Whether AUTO ingest of ``request`` leaves its file where it is (a file already inside the root)."""
        try:
            return self._plan_ingest(request, TransferMode.AUTO).mode is TransferMode.DIRECT
        except DataButlerError:
            return False  # the source is gone: what was recorded is a copy, or nothing is left to delete

    def _require(self, capability: DatastoreCapability, action: str) -> None:
        if capability in self._capabilities:
            return
        if capability in DATASTORE_WRITE_SIDE:
            raise ReadOnlyError(f"{self!r} is read-only; it cannot {action} (open the repository writeable)")
        require(self._capabilities, capability, repr(self), action)  # pragma: no cover - all others declared


def _check_accepts(storage_class: StorageClass, obj: Any, ref: DatasetRef, component: str | None = None) -> None:
    """Raise StorageClassError unless ``obj`` is of ``storage_class`` (a composite's ``component`` if named)."""
    if not storage_class.accepts(obj):
        kind = type(obj)
        what = ref if component is None else f"component {component!r} of {ref}"
        raise StorageClassError(f"cannot put a {kind.__module__}.{kind.__qualname__} as {what}: storage class "
                                f"{storage_class.name!r} expects one of {list(storage_class.python_types)}")


def artifact_for(request: ReadRequest) -> tuple[StoredArtifact, str | None]:
    """The artifact to read for ``request`` and the component still to take from what it holds."""
    if request.component is not None:
        for artifact in request.artifacts:
            if artifact.component == request.component:
                return artifact, None
    for artifact in request.artifacts:
        if artifact.component is None:
            return artifact, request.component
    raise DatasetNotFoundError(f"no stored artifact holds {request.ref}"
                               f"{'' if request.component is None else ' component ' + repr(request.component)}")


def conflict(where: str) -> ArtifactExistsError:
    """The error for an artifact path that is already taken."""
    return ArtifactExistsError(f"{where} already exists; datastore artifacts are never overwritten "
                               "(remove the dataset first, or write to another run)", (where,))
