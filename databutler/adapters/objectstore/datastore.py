"""ObjectStoreDatastore: Datasets as objects on any fsspec filesystem (``s3://``, ``memory://``, ...)."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any, cast

from ...domain.dataset import StoredArtifact
from ...domain.errors import (
    DataButlerError,
    DatasetNotFoundError,
    DatastoreError,
    FileIntegrityError,
    FormatterError,
    PathTemplateError,
)
from ...domain.storage_class import StorageClass, StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.assembler import AssemblerSet
from ...ports.datastore import IngestRequest, ListedArtifact, ReadRequest, TransferMode
from ...ports.formatter import Formatter, FormatterSet
from ..files.checksums import DEFAULT_ALGORITHM, checksum_algorithm, checksum_of_stream
from ..files.datastore import FileDatastore, PlannedWrite
from ..files.disassembly import Disassembly
from ..files.ingest import IngestPlan, plan_ingest
from ..files.integrity import IN_MEMORY_LIMIT, check_bytes, check_size, checksum_problem, stream_problem
from ..files.verifying_reader import VerifyingReader
from .errors import redact, secrets_of, translated
from .listing import list_objects
from .location import ObjectLocation
from .probe import probe_root
from .writes import Write, create_object

INGEST_MODES = frozenset({TransferMode.COPY, TransferMode.MOVE, TransferMode.DIRECT, TransferMode.AUTO})
PARTIAL_READ_BLOCK_SIZE = 256 << 10
"""Bytes fetched per range request by partial reads: small, since a slice needs few bytes."""


class ObjectStoreDatastore(FileDatastore):
    """Datasets as objects under a root URI on any fsspec filesystem: uploaded whole, never overwritten.

    New objects become visible complete or not at all (see ``create_object``). Small artifacts
    are fetched in one request and verified before parsing; large ones are streamed through the
    formatter while being hashed, and refused if the checksum does not match. Partial reads fetch
    only the byte ranges the formatter asks for and verify the size. Credentials come from the
    environment or ``storage_options`` and are masked in every error message.
    """

    def __init__(self, root: str, *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                 storage_options: Mapping[str, Any] | None = None, templates: FileTemplates | None = None,
                 checksum: str | None = DEFAULT_ALGORITHM, writeable: bool = True, block_size: int | None = None,
                 partial_read_block_size: int = PARTIAL_READ_BLOCK_SIZE, disassembly: Disassembly | None = None,
                 assemblers: AssemblerSet | None = None) -> None:
        super().__init__(storage_classes=storage_classes, formatters=formatters, templates=templates,
                         checksum=checksum, writeable=writeable, ingest_modes=INGEST_MODES,
                         disassembly=disassembly, assemblers=assemblers)
        self._location = ObjectLocation(root, storage_options or {})
        self._secrets = secrets_of(storage_options or {})
        self._block_size = block_size
        self._partial_block_size = partial_read_block_size

    def check_root(self) -> None:
        """Write and delete a probe object under the root: a missing bucket or bad credentials raise DatastoreError."""
        probe_root(self._location, self._secrets)

    def __repr__(self) -> str:
        return f"ObjectStoreDatastore({redact(self._location.uri, self._secrets)!r})"

    @property
    def root(self) -> str:
        """The URI of the root (``s3://bucket/prefix/``), with a trailing slash."""
        return self._location.uri

    def uri(self, artifact: StoredArtifact) -> str:
        """The absolute URI of ``artifact``."""
        return artifact.uri if "://" in artifact.uri else self._location.uri_of(artifact.uri)

    # -- writing --------------------------------------------------------------------------------

    def _write(self, write: PlannedWrite) -> StoredArtifact:
        def serialize(stream: IO[bytes]) -> None:
            write.formatter.write(write.obj, stream, write.storage_class)

        checksum, size = self._create(write.relative, serialize)
        return StoredArtifact(write.ref.id, write.relative, write.formatter.name, write.storage_class.name,
                              checksum, size)

    def _create(self, relative: str, write: Write) -> tuple[str | None, int]:
        with translated("write", self._location.uri_of(relative), self._secrets, writing=True):
            return create_object(self._location, self._location.path(relative), write,
                                 algorithm=self._checksum, block_size=self._block_size)

    # -- reading --------------------------------------------------------------------------------

    def _read_artifact(self, request: ReadRequest, artifact: StoredArtifact, component: str | None,
                       partial: bool) -> Any:
        storage_class = self._storage_classes[artifact.storage_class]
        formatter = self._formatters.by_name(artifact.formatter)
        fs, path, _ = self._location.locate(artifact.uri)
        where = self.uri(artifact)
        missing = f"the artifact of {request.ref} is missing: {where} does not exist"
        with translated("read", where, self._secrets, missing=missing):
            if partial:
                with fs.open(path, "rb", block_size=self._partial_block_size, cache_type="readahead") as stream:
                    check_size(artifact, _size_of(fs, path, stream), where)
                    return formatter.read(stream, storage_class, request.parameters, component)
            if artifact.size is not None and artifact.size <= IN_MEMORY_LIMIT:
                data = fs.cat_file(path, **self._whole_read_options(fs))
                check_bytes(artifact, data, where)
                return formatter.read(io.BytesIO(data), storage_class, request.parameters, component)
            return self._read_streamed(fs, path, where, artifact, formatter=formatter,
                                       storage_class=storage_class, request=request, component=component)

    def _read_streamed(self, fs: Any, path: str, where: str, artifact: StoredArtifact, *, formatter: Formatter,
                       storage_class: StorageClass, request: ReadRequest, component: str | None) -> Any:
        """Parse a large artifact while hashing it, so its bytes are fetched once and never held twice."""
        options = {} if self._block_size is None else {"block_size": self._block_size}
        with fs.open(path, "rb", **options) as stream:
            size = _size_of(fs, path, stream)
            check_size(artifact, size, where)
            if artifact.checksum is None:
                return formatter.read(stream, storage_class, request.parameters, component)
            reader = VerifyingReader(stream, checksum_algorithm(artifact.checksum))
            try:
                obj = formatter.read(cast(IO[bytes], reader), storage_class, request.parameters, component)
            except FormatterError:
                if problem := _whole_problem(reader, stream, size, artifact, where):
                    raise FileIntegrityError(problem) from None  # unparseable because corrupt
                raise
            if problem := _whole_problem(reader, stream, size, artifact, where):
                raise FileIntegrityError(problem)
            return obj

    def open_artifact(self, artifact: StoredArtifact) -> AbstractContextManager[IO[bytes]]:
        """The artifact's object, open for streamed reading."""
        fs, path, _ = self._location.locate(artifact.uri)
        where = self.uri(artifact)
        options = {} if self._block_size is None else {"block_size": self._block_size}
        with translated("read", where, self._secrets,
                        missing=f"artifact {where} of dataset {artifact.dataset_id} is missing"):
            if artifact.size is not None and artifact.size <= IN_MEMORY_LIMIT:  # one request, no size lookup
                return io.BytesIO(fs.cat_file(path, **self._whole_read_options(fs)))
            return cast(AbstractContextManager[IO[bytes]], fs.open(path, "rb", **options))

    def _whole_read_options(self, fs: Any) -> dict[str, Any]:
        return self._location.whole_read_options if fs is self._location.fs else {}

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether each artifact's object is present."""
        found = []
        for artifact in artifacts:
            fs, path, _ = self._location.locate(artifact.uri)
            with translated("check", self.uri(artifact), self._secrets):
                found.append(bool(fs.exists(path)))
        return found

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """Re-read each artifact and compare it with its recorded size and checksum."""
        return [self._problem(artifact) for artifact in artifacts]

    def _problem(self, artifact: StoredArtifact) -> str | None:
        fs, path, _ = self._location.locate(artifact.uri)
        where = self.uri(artifact)
        try:
            with translated("verify", where, self._secrets), fs.open(path, "rb") as stream:
                return stream_problem(artifact, stream, _size_of(fs, path, stream), where)
        except DatasetNotFoundError:
            return f"artifact {where} of dataset {artifact.dataset_id} is missing"
        except DataButlerError as err:
            return f"artifact {where} of dataset {artifact.dataset_id} cannot be read: {err}"

    # -- listing and removing -------------------------------------------------------------------

    def _list_files(self) -> Iterator[ListedArtifact]:
        with translated("list", self._location.uri, self._secrets):
            listed = list(list_objects(self._location))  # the whole listing, so errors are translated here
        return iter(listed)

    def _relative_of_listed(self, tail: str) -> str:
        return tail

    def _delete_owned(self, uris: Sequence[str]) -> None:
        for uri in uris:
            fs, path, relative = self._location.locate(uri)
            if relative is None:
                continue  # ingested in place from outside the root: the object belongs to its author
            with translated("delete", self._location.uri_of(relative), self._secrets), \
                    contextlib.suppress(FileNotFoundError):
                fs.rm_file(path)

    # -- ingesting ------------------------------------------------------------------------------

    def _plan_ingest(self, request: IngestRequest, mode: TransferMode) -> IngestPlan:
        fs, path = self._location.foreign(request.path)
        source = self._location.uri_of_foreign(fs, path)
        with translated("read file to ingest", source, self._secrets,
                        missing=f"file to ingest {request.path!r} does not exist"):
            if fs.info(path).get("type") != "file":
                raise DatastoreError(f"{request.path!r} is not a file; only files can be ingested")
        return plan_ingest(request, mode, source, relative_in_place=self._in_place, absolute_uri=str,
                           templates=self._templates, storage_classes=self._storage_classes,
                           formatters=self._formatters)

    def _in_place(self, source: str) -> str | None:
        try:
            return self._location.relative(source)
        except PathTemplateError:
            return None

    def _place(self, plan: IngestPlan) -> StoredArtifact:
        if plan.mode is TransferMode.DIRECT:
            fs, path, _ = self._location.locate(plan.uri)
            with translated("read", plan.uri, self._secrets), fs.open(path, "rb") as stream:
                size = _size_of(fs, path, stream)
                checksum = None if self._checksum is None else checksum_of_stream(stream, self._checksum)
        else:
            fs, path = self._location.foreign(plan.source)
            with translated("read file to ingest", plan.source, self._secrets,
                            missing=f"file to ingest {plan.source!r} disappeared while it was being ingested"):
                source = fs.open(path, "rb")
            with source:
                checksum, size = self._create(plan.uri, lambda stream: shutil.copyfileobj(source, stream, 1 << 20))
        return StoredArtifact(plan.ref.id, plan.uri, plan.formatter.name, plan.storage_class.name, checksum, size)

    def _remove_moved_sources(self, plans: Sequence[IngestPlan]) -> None:
        moved = [plan for plan in plans if plan.mode is TransferMode.MOVE]
        for done, plan in enumerate(moved):
            fs, path = self._location.foreign(plan.source)
            try:
                with translated("move", plan.source, self._secrets):
                    fs.rm_file(path)
            except BaseException:
                for earlier in moved[:done]:
                    self._restore(earlier)
                raise

    def _restore(self, plan: IngestPlan) -> None:
        """Put a moved file back at its source from the copy in the store."""
        fs, path = self._location.foreign(plan.source)
        with self._location.fs.open(self._location.path(plan.uri), "rb") as copy, fs.open(path, "wb") as target:
            shutil.copyfileobj(copy, target, 1 << 20)

    def _put_back(self, uri: str, source: str) -> None:
        fs, path = self._location.foreign(source)
        with translated("put back", source, self._secrets):
            if fs.exists(path):
                return
        stored_fs, stored, _ = self._location.locate(uri)
        with translated("put back", source, self._secrets), stored_fs.open(stored, "rb") as copy, \
                fs.open(path, "wb") as target:
            shutil.copyfileobj(copy, target, 1 << 20)


def _whole_problem(reader: VerifyingReader, stream: Any, size: int, artifact: StoredArtifact,
                   where: str) -> str | None:
    """What is wrong with the whole of ``stream`` as ``artifact``: hashed while parsed, or in a second pass."""
    actual = reader.finish()
    if actual is None:  # the formatter seeked: hash in a second pass
        stream.seek(0)
        return stream_problem(artifact, stream, size, where)
    return checksum_problem(artifact, actual, where)


def _size_of(fs: Any, path: str, stream: Any) -> int:
    """The size of the open object ``stream`` (known to most fsspec files without another request)."""
    size = getattr(stream, "size", None)
    return int(size) if isinstance(size, int) else int(fs.size(path))
