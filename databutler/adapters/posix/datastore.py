"""PosixDatastore: Datasets as files under a local directory."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.errors import DatasetNotFoundError, ReadOnlyError, StorageClassError
from ...domain.storage_class import StorageClass, StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.capabilities import DatastoreCapability, require
from ...ports.datastore import Datastore, IngestRequest, ReadRequest, TransferMode
from ...ports.formatter import Formatter, FormatterSet
from .checksums import DEFAULT_ALGORITHM, hash_factory
from .files import discard, os_error, write_new_file
from .ingest import IngestPlan, plan_ingest, transfer_mode
from .integrity import check_size, file_problem, read_verified
from .layout import RootLayout
from .transfer import copy_file, describe_file, link_file, move_file, restore_source, source_gone

T = TypeVar("T")
_CREATE_ATTEMPTS = 10
_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_WRITE_CAPABILITIES = frozenset({DatastoreCapability.WRITE, DatastoreCapability.REMOVE, DatastoreCapability.INGEST})


@attrs.frozen
class _Write:
    """One object to write, checked and placed before anything is written."""

    obj: Any
    ref: DatasetRef
    storage_class: StorageClass
    formatter: Formatter
    relative: str


class PosixDatastore(Datastore):
    """Datasets as files under a local root: written atomically, never overwritten, checksummed.

    Artifacts the datastore owns are recorded by root-relative paths (this includes files
    ingested in place from inside the root); files ingested in place from outside the root are
    recorded by absolute ``file://`` URIs, and ``remove`` never deletes them. Full reads verify
    size and checksum; partial reads (a formatter reading only the bytes that read parameters or
    a component need) verify the size only, since checking the checksum would mean reading the
    whole file.
    """

    def __init__(self, root: str, *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                 templates: FileTemplates | None = None, checksum: str | None = DEFAULT_ALGORITHM,
                 fsync: bool = False, writeable: bool = True) -> None:
        if checksum is not None:
            hash_factory(checksum)  # refuse an unknown algorithm now rather than at the first put
        self._layout = RootLayout(root)
        self._storage_classes = storage_classes
        self._formatters = formatters
        self._templates = templates or FileTemplates()
        self._checksum = checksum
        self._fsync = fsync
        capabilities = {DatastoreCapability.PARTIAL_READ, DatastoreCapability.PERSISTENT}
        if writeable:
            capabilities |= _WRITE_CAPABILITIES
        if checksum is not None:
            capabilities.add(DatastoreCapability.CHECKSUMS)
        self._capabilities = frozenset(capabilities)
        self._ingest_modes = frozenset(TransferMode) if writeable else frozenset()

    def __repr__(self) -> str:
        return f"PosixDatastore({self._layout.root!r})"

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """WRITE, REMOVE and INGEST unless read-only; CHECKSUMS unless disabled; PARTIAL_READ, PERSISTENT."""
        return self._capabilities

    @property
    def root(self) -> str:
        """The ``file:///...`` URI of the root directory, with a trailing slash."""
        return self._layout.uri

    @property
    def ingest_modes(self) -> frozenset[TransferMode]:
        """Every transfer mode (none when read-only)."""
        return self._ingest_modes

    def owns(self, uri: str) -> bool:
        """Whether ``uri`` is root-relative or a local ``file://`` URI."""
        return "://" not in uri or uri.startswith("file://")

    # -- writing --------------------------------------------------------------------------------

    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Write each object as a new file; all or nothing."""
        self._require(DatastoreCapability.WRITE, "write datasets")
        writes = [self._plan_write(obj, ref) for obj, ref in items]
        artifacts: list[StoredArtifact] = []
        try:
            for write in writes:
                artifacts.append(self._write(write))
        except BaseException:
            self._delete_owned([artifact.uri for artifact in artifacts])
            raise
        return artifacts

    def _plan_write(self, obj: Any, ref: DatasetRef) -> _Write:
        storage_class = self._storage_classes[ref.dataset_type.storage_class]
        if not storage_class.accepts(obj):
            kind = type(obj)
            raise StorageClassError(f"cannot put a {kind.__module__}.{kind.__qualname__} as {ref}: storage class "
                                    f"{storage_class.name!r} expects one of {list(storage_class.python_types)}")
        formatter = self._formatters.for_storage_class(storage_class.name)
        return _Write(obj, ref, storage_class, formatter, self._templates.render(ref) + formatter.extension)

    def _write(self, write: _Write) -> StoredArtifact:
        def create(final: str) -> tuple[str | None, int]:
            return write_new_file(final, lambda stream: write.formatter.write(write.obj, stream, write.storage_class),
                                  algorithm=self._checksum, fsync=self._fsync)

        checksum, size = self._create(write.relative, create)
        return StoredArtifact(write.ref.id, write.relative, write.formatter.name, write.storage_class.name,
                              checksum, size)

    def _create(self, relative: str, create: Callable[[str], T]) -> T:
        """Run ``create`` on the absolute path of ``relative`` once its directory exists."""
        directory = posixpath.dirname(relative)
        final = self._layout.path(relative)
        for attempt in range(_CREATE_ATTEMPTS):
            self._layout.prepare_directory(directory)
            try:
                return create(final)
            except FileNotFoundError as err:
                # The directory was pruned since it was made (a concurrent remove): make it again.
                self._layout.forget_directory(directory)
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise os_error(err, "create", final) from None
            except OSError as err:
                raise os_error(err, "create", final) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading --------------------------------------------------------------------------------

    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """Read each Dataset or component, verifying what was recorded."""
        return [self._read(request) for request in requests]

    def _read(self, request: ReadRequest) -> Any:
        artifact, component = _artifact_for(request)
        storage_class = self._storage_classes[artifact.storage_class]
        formatter = self._formatters.by_name(artifact.formatter)
        path, _ = self._layout.locate(artifact.uri)
        try:
            fd = os.open(path, _OPEN_READ)
        except FileNotFoundError:
            raise DatasetNotFoundError(f"the artifact of {request.ref} is missing: {path} does not exist") from None
        except OSError as err:
            raise os_error(err, "read", path) from None
        try:
            if formatter.partial_read and (request.parameters or component is not None):
                check_size(fd, artifact, path)
                with open(fd, "rb", closefd=False) as file:
                    return formatter.read(file, storage_class, request.parameters, component)
            stream = read_verified(fd, artifact, path)
            return formatter.read(stream, storage_class, request.parameters, component)
        finally:
            os.close(fd)

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether each artifact's file is present."""
        return [os.path.exists(self._layout.locate(artifact.uri)[0]) for artifact in artifacts]

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """Re-read each artifact and compare it with its recorded size and checksum."""
        return [file_problem(self._layout.locate(artifact.uri)[0], artifact) for artifact in artifacts]

    def uri(self, artifact: StoredArtifact) -> str:
        """The absolute ``file://`` URI of ``artifact``."""
        return artifact.uri if "://" in artifact.uri else self._layout.uri_of(artifact.uri)

    # -- removing -------------------------------------------------------------------------------

    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Delete the files of owned artifacts and prune emptied directories; others are left alone."""
        self._require(DatastoreCapability.REMOVE, "remove datasets")
        self._delete_owned([artifact.uri for artifact in artifacts])

    def _delete_owned(self, uris: Sequence[str]) -> None:
        for uri in uris:
            path, relative = self._layout.locate(uri)
            if relative is None:
                continue  # ingested in place from outside the root: the file belongs to its author
            try:
                discard(path)
            except OSError as err:
                raise os_error(err, "delete", path) from None
            self._layout.prune(posixpath.dirname(relative))

    # -- ingesting ------------------------------------------------------------------------------

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Bring existing files in with ``transfer``; all or nothing (moved files are put back)."""
        self._require(DatastoreCapability.INGEST, "ingest files")
        mode = transfer_mode(transfer, self._ingest_modes, repr(self))
        plans = [plan_ingest(request, mode, layout=self._layout, templates=self._templates,
                             storage_classes=self._storage_classes, formatters=self._formatters)
                 for request in requests]
        artifacts: list[StoredArtifact] = []
        try:
            for plan in plans:
                artifacts.append(self._place(plan))
            self._remove_moved_sources(plans)
        except BaseException:
            self._delete_owned([a.uri for a, p in zip(artifacts, plans, strict=False)
                                if p.mode is not TransferMode.DIRECT])
            raise
        return artifacts

    def _place(self, plan: IngestPlan) -> StoredArtifact:
        algorithm, fsync = self._checksum, self._fsync
        if plan.mode is TransferMode.DIRECT:
            path = self._layout.locate(plan.uri)[0]
            try:
                checksum, size = describe_file(path, algorithm)
            except OSError as err:
                raise os_error(err, "read", path) from None
        elif plan.mode is TransferMode.COPY:
            checksum, size = self._create(plan.uri, lambda final: copy_file(plan.source, final, algorithm=algorithm,
                                                                            fsync=fsync))
        elif plan.mode is TransferMode.MOVE:
            checksum, size = self._create(plan.uri, lambda final: move_file(plan.source, final, algorithm=algorithm,
                                                                            fsync=fsync))
        else:
            checksum, size = self._create(plan.uri, lambda final: _link_and_describe(plan, final, algorithm))
        return StoredArtifact(plan.ref.id, plan.uri, plan.formatter.name, plan.storage_class.name, checksum, size)

    def _remove_moved_sources(self, plans: Sequence[IngestPlan]) -> None:
        moved = [plan for plan in plans if plan.mode is TransferMode.MOVE]
        for done, plan in enumerate(moved):
            try:
                discard(plan.source)
            except OSError as err:
                for earlier in moved[:done]:
                    restore_source(self._layout.path(earlier.uri), earlier.source)
                raise os_error(err, "move", plan.source) from None

    # -- capabilities ---------------------------------------------------------------------------

    def _require(self, capability: DatastoreCapability, action: str) -> None:
        if capability in self._capabilities:
            return
        if capability in _WRITE_CAPABILITIES:
            raise ReadOnlyError(f"{self!r} is read-only; it cannot {action} (open the repository writeable)")
        require(self._capabilities, capability, repr(self), action)  # pragma: no cover - all others declared


def _link_and_describe(plan: IngestPlan, final: str, algorithm: str | None) -> tuple[str | None, int]:
    link_file(plan.source, final, plan.mode)
    try:
        return describe_file(final, algorithm)
    except BaseException as err:
        discard(final)
        if isinstance(err, FileNotFoundError) and not os.path.exists(plan.source):
            raise source_gone(plan.source) from None  # a symbolic link to a file deleted meanwhile
        raise


def _artifact_for(request: ReadRequest) -> tuple[StoredArtifact, str | None]:
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

