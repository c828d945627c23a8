"""PosixDatastore: Datasets as files under a local directory."""

from __future__ import annotations

import contextlib
import os
import threading
import urllib.parse
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any, TypeVar

from ...domain.dataset import StoredArtifact
from ...domain.errors import DatasetNotFoundError, DatastoreError
from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.assembler import AssemblerSet
from ...ports.datastore import IngestRequest, ListedArtifact, ReadRequest, TransferMode
from ...ports.formatter import FormatterSet
from ..files.checksums import DEFAULT_ALGORITHM
from ..files.datastore import FileDatastore, PlannedWrite
from ..files.disassembly import Disassembly
from ..files.ingest import IngestPlan
from ..files.local import local_path
from .directories import DirectoryCache, Target, open_chain, prune
from .files import discard, discard_at, os_error, write_new_file
from .ingest import plan_ingest
from .integrity import check_size, file_problem, read_verified
from .layout import RootLayout
from .listing import list_files
from .transfer import (
    copy_file,
    describe_file,
    describe_target,
    link_file,
    move_file,
    restore_source,
    source_gone,
)

T = TypeVar("T")
_CREATE_ATTEMPTS = 10
_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


class PosixDatastore(FileDatastore):
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
                 fsync: bool = False, writeable: bool = True, disassembly: Disassembly | None = None,
                 assemblers: AssemblerSet | None = None) -> None:
        super().__init__(storage_classes=storage_classes, formatters=formatters, templates=templates,
                         checksum=checksum, writeable=writeable, disassembly=disassembly, assemblers=assemblers)
        self._layout = RootLayout(root)
        self._batch_state = threading.local()  # this thread's DirectoryCache, and whether a batch is open
        self._caches: list[DirectoryCache] = []  # every thread's, closed by close()
        self._caches_lock = threading.Lock()
        weakref.finalize(self, _close_all, self._caches, self._caches_lock)
        self._fsync = fsync

    def __repr__(self) -> str:
        return f"PosixDatastore({self._layout.root!r})"

    @property
    def root(self) -> str:
        """The ``file:///...`` URI of the root directory, with a trailing slash."""
        return self._layout.uri

    def owns(self, uri: str) -> bool:
        """Whether ``uri`` is root-relative or a local ``file://`` URI."""
        return "://" not in uri or uri.startswith("file://")

    # -- writing --------------------------------------------------------------------------------

    def _write(self, write: PlannedWrite) -> StoredArtifact:
        formatter, obj, storage_class = write.formatter, write.obj, write.storage_class
        algorithm, fsync = self._checksum, self._fsync

        def create(target: Target) -> tuple[str | None, int]:
            return write_new_file(target, lambda stream: formatter.write(obj, stream, storage_class),
                                  algorithm=algorithm, fsync=fsync)

        checksum, size = self._create(write.relative, create)
        return StoredArtifact(write.ref.id, write.relative, formatter.name, storage_class.name, checksum, size)

    def close(self) -> None:
        """Close the directories held open for writing."""
        _close_all(self._caches, self._caches_lock)

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        """Directories opened for writing stay open for later files of this batch and later batches of this thread.

        Each is opened from the root once; a later batch first checks it is still the directory its
        path names (see DirectoryCache).
        """
        state = self._batch_state
        if getattr(state, "directories", None) is not None:
            yield  # nested: the outer batch's cache serves
            return
        cache: DirectoryCache | None = getattr(state, "held", None)
        if cache is None:
            cache = state.held = DirectoryCache()
            with self._caches_lock:
                self._caches.append(cache)
        cache.new_batch()
        state.directories = cache
        try:
            yield
        finally:
            state.directories = None

    def _create(self, relative: str, create: Callable[[Target], T]) -> T:
        """Run ``create`` on the target of ``relative`` in its directory, made and opened link-free from the root."""
        directory, _, name = relative.rpartition("/")  # a checked relative path has no empty parts
        final = self._layout.path(relative)
        cache: DirectoryCache | None = getattr(self._batch_state, "directories", None)
        held = cache.get(directory, self._layout.real_path(directory)) if cache is not None else None
        if cache is not None and held is not None:
            try:
                return create(Target(held, name, final))
            except FileNotFoundError:
                cache.drop(directory)  # pruned by a concurrent removal since: open it afresh below
            except OSError as err:
                raise os_error(err, "create", final) from None
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                with open_chain(self._layout.root, self._layout.real_root, directory, create=True) as chain:
                    result = create(Target(chain.last, name, final))
                    if cache is not None:
                        cache.keep(directory, chain.last)
                    return result
            except FileNotFoundError as err:
                # A directory was pruned while being opened or written in (a concurrent remove): again.
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise os_error(err, "create", final) from None
            except OSError as err:
                raise os_error(err, "create", final) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading --------------------------------------------------------------------------------

    def _read_artifact(self, request: ReadRequest, artifact: StoredArtifact, component: str | None,
                       partial: bool) -> Any:
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
            if partial:
                check_size(fd, artifact, path)
                with open(fd, "rb", closefd=False) as file:
                    return formatter.read(file, storage_class, request.parameters, component)
            stream = read_verified(fd, artifact, path)
            return formatter.read(stream, storage_class, request.parameters, component)
        finally:
            os.close(fd)

    def open_artifact(self, artifact: StoredArtifact) -> AbstractContextManager[IO[bytes]]:
        """The artifact's file, open for reading."""
        path, _ = self._layout.locate(artifact.uri)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise DatasetNotFoundError(f"artifact {path} of dataset {artifact.dataset_id} is missing") from None
        except OSError as err:
            raise os_error(err, "read", path) from None

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether each artifact's file is present."""
        return [os.path.exists(self._layout.locate(artifact.uri)[0]) for artifact in artifacts]

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """Re-read each artifact and compare it with its recorded size and checksum."""
        return [file_problem(self._layout.locate(artifact.uri)[0], artifact) for artifact in artifacts]

    def uri(self, artifact: StoredArtifact) -> str:
        """The absolute ``file://`` URI of ``artifact``."""
        return artifact.uri if "://" in artifact.uri else self._layout.uri_of(artifact.uri)

    # -- listing and removing -------------------------------------------------------------------

    def _list_files(self) -> Iterator[ListedArtifact]:
        return list_files(self._layout.root, self._layout.uri_of)

    def _relative_of_listed(self, tail: str) -> str:
        return urllib.parse.unquote(tail, errors="surrogateescape")

    def _delete_owned(self, uris: Sequence[str]) -> None:
        failures: list[str] = []
        by_directory: dict[str, list[tuple[str, str]]] = {}  # each directory is opened from the root once
        for uri in uris:
            path, relative = self._layout.locate(uri)
            if relative is None:
                continue  # ingested in place from outside the root: the file belongs to its author
            directory, _, name = relative.rpartition("/")
            by_directory.setdefault(directory, []).append((name, path))
        for directory, files in by_directory.items():
            where = files[0][1]  # named by an error
            try:
                with open_chain(self._layout.root, self._layout.real_root, directory, create=False) as chain:
                    for name, file_path in files:
                        where = file_path
                        discard_at(chain.last, name)
                    prune(chain)
            except FileNotFoundError:
                continue  # the directory is gone, and its files with it
            except OSError as err:
                failures.append(str(os_error(err, "delete", where)))
            except DatastoreError as err:  # a link or a file where a directory should be: nothing deleted
                failures.append(str(err))
        if failures:
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise DatastoreError(f"{failures[0]}{more}")

    # -- ingesting ------------------------------------------------------------------------------

    def _plan_ingest(self, request: IngestRequest, mode: TransferMode) -> IngestPlan:
        return plan_ingest(request, mode, layout=self._layout, templates=self._templates,
                           storage_classes=self._storage_classes, formatters=self._formatters)

    def _place(self, plan: IngestPlan) -> StoredArtifact:
        algorithm, fsync = self._checksum, self._fsync
        if plan.mode is TransferMode.DIRECT:
            path = self._layout.locate(plan.uri)[0]
            try:
                checksum, size = describe_file(path, algorithm)
            except OSError as err:
                raise os_error(err, "read", path) from None
        elif plan.mode is TransferMode.COPY:
            checksum, size = self._create(plan.uri, lambda target: copy_file(plan.source, target, algorithm=algorithm,
                                                                             fsync=fsync))
        elif plan.mode is TransferMode.MOVE:
            checksum, size = self._create(plan.uri, lambda target: move_file(plan.source, target, algorithm=algorithm,
                                                                             fsync=fsync))
        else:
            checksum, size = self._create(plan.uri, lambda target: _link_and_describe(plan, target, algorithm))
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

    def _put_back(self, uri: str, source: str) -> None:
        path = self._layout.locate(uri)[0]
        local = local_path(source)
        if os.path.lexists(local):
            return
        try:
            restore_source(path, local)
        except OSError as err:
            raise os_error(err, "put back", local) from None


def _close_all(caches: list[DirectoryCache], lock: threading.Lock) -> None:
    """Close the descriptors every thread's cache holds."""
    with lock:
        for cache in caches:
            cache.close()


def _link_and_describe(plan: IngestPlan, target: Target, algorithm: str | None) -> tuple[str | None, int]:
    link_file(plan.source, target, plan.mode)
    try:
        return describe_target(target, algorithm)
    except BaseException as err:
        discard_at(target.dir_fd, target.name)
        if isinstance(err, FileNotFoundError) and not os.path.exists(plan.source):
            raise source_gone(plan.source) from None  # a symbolic link to a file deleted meanwhile
        raise
