"""BytesDatastore: the base of a datastore whose storage keeps whole byte strings by location.

A backend (a key-value store, a database table, a web service) implements ``root`` and five
hooks: ``_write_bytes`` (create a new location atomically, never replacing one), ``_read_bytes``,
``_has_bytes``, ``_delete_bytes`` and ``_list_bytes``. Everything else comes from here and from
``FileDatastore``: locations from the file templates, formatting, checksums and sizes, integrity
checks on every read and in ``verify``, batches that are all or nothing, ArtifactExistsError for a
taken location, ingest by copy, move, direct (local files left in place) and auto, ``undo_ingest``
and the listing and removal of orphans.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from ...domain.dataset import StoredArtifact
from ...domain.errors import (
    ConfigError,
    ConflictingDefinitionError,
    DataButlerError,
    DatasetNotFoundError,
    DatastoreError,
)
from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates, check_relative_path
from ...ports.assembler import AssemblerSet
from ...ports.datastore import IngestRequest, ListedArtifact, ReadRequest, TransferMode
from ...ports.formatter import FormatterSet
from .checksums import DEFAULT_ALGORITHM, checksum_of_bytes
from .datastore import FileDatastore, PlannedWrite
from .disassembly import Disassembly
from .ingest import IngestPlan, plan_ingest
from .integrity import bytes_problem, check_bytes
from .local import local_path, path_to_uri, source_path, uri_to_path

BYTES_INGEST_MODES = frozenset({TransferMode.COPY, TransferMode.MOVE, TransferMode.DIRECT, TransferMode.AUTO})
"""What a store of byte strings can ingest: links have no meaning there."""


@attrs.frozen
class StoredBytes:
    """One location a backend holds, as ``_list_bytes`` reports it."""

    location: str
    """The root-relative location, as ``_write_bytes`` received it."""
    size: int
    modified: datetime.datetime | None = None
    """When it was written (UTC), if the storage knows; without it, orphans are found only with no age limit."""


class BytesDatastore(FileDatastore):
    """A datastore of formatted, checksummed artifacts over storage of whole byte strings by location."""

    def __init__(self, *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                 templates: FileTemplates | None = None, checksum: str | None = DEFAULT_ALGORITHM,
                 writeable: bool = True, ingest_modes: frozenset[TransferMode] = BYTES_INGEST_MODES,
                 disassembly: Disassembly | None = None, assemblers: AssemblerSet | None = None) -> None:
        if not ingest_modes <= BYTES_INGEST_MODES:
            raise ConfigError(f"{type(self).__name__} cannot ingest by "
                              f"{sorted(m.value for m in ingest_modes - BYTES_INGEST_MODES)}; a store of bytes "
                              f"supports {sorted(m.value for m in BYTES_INGEST_MODES)}")
        super().__init__(storage_classes=storage_classes, formatters=formatters, templates=templates,
                         checksum=checksum, writeable=writeable, ingest_modes=ingest_modes,
                         disassembly=disassembly, assemblers=assemblers)

    # -- what a backend implements --------------------------------------------------------------

    @abc.abstractmethod
    def _write_bytes(self, location: str, data: bytes) -> None:
        """Store ``data`` at the new ``location``: whole or not at all; ConflictingDefinitionError if taken."""

    @abc.abstractmethod
    def _read_bytes(self, location: str) -> bytes:
        """The bytes stored at ``location``; DatasetNotFoundError if there are none."""

    @abc.abstractmethod
    def _has_bytes(self, location: str) -> bool:
        """Whether something is stored at ``location``."""

    @abc.abstractmethod
    def _delete_bytes(self, locations: Sequence[str]) -> None:
        """Delete what is stored at each of ``locations``; absent ones are ignored."""

    @abc.abstractmethod
    def _list_bytes(self) -> Iterable[StoredBytes]:
        """Every location stored, recorded by a registry or not."""

    # -- locations ------------------------------------------------------------------------------

    def uri(self, artifact: StoredArtifact) -> str:
        """The absolute URI of ``artifact``: the root followed by its location."""
        return artifact.uri if "://" in artifact.uri else self.root + artifact.uri

    def owns(self, uri: str) -> bool:
        """Whether ``uri`` is a location of this store, or a local file it may have ingested in place."""
        return super().owns(uri) or (TransferMode.DIRECT in self.ingest_modes and uri.startswith("file://"))

    def _location(self, uri: str) -> str | None:
        """The location of an artifact URI (relative, or absolute under the root), None for one outside."""
        if "://" not in uri:
            return check_relative_path(uri)
        return check_relative_path(uri[len(self.root):]) if uri.startswith(self.root) else None

    def _inside(self, uri: str) -> str:
        """The location of ``uri``, which names something in this store."""
        location = self._location(uri)
        if location is None:
            raise DatastoreError(f"{uri} is not under the root {self.root} of {self!r}")
        return location

    def _fetch(self, artifact: StoredArtifact) -> bytes:
        """The stored bytes of ``artifact``, from the backend or, when ingested in place, the local file."""
        location = self._location(artifact.uri)
        if location is not None:
            return self._read_bytes(location)
        return _read_local(uri_to_path(artifact.uri), f"artifact {artifact.uri} of dataset {artifact.dataset_id}")

    # -- FileDatastore hooks, in terms of the five above -----------------------------------------

    def _write(self, write: PlannedWrite) -> StoredArtifact:
        buffer = io.BytesIO()
        write.formatter.write(write.obj, buffer, write.storage_class)
        data = buffer.getvalue()
        self._write_bytes(write.relative, data)
        return StoredArtifact(write.ref.id, write.relative, write.formatter.name, write.storage_class.name,
                              self._checksum_of(data), len(data))

    def _checksum_of(self, data: bytes) -> str | None:
        return None if self._checksum is None else checksum_of_bytes(data, self._checksum)

    def _read_artifact(self, request: ReadRequest, artifact: StoredArtifact, component: str | None,
                       partial: bool) -> Any:
        data = self._fetch(artifact)
        check_bytes(artifact, data, self.uri(artifact))  # all bytes are in hand: verified even for a partial read
        formatter = self._formatters.by_name(artifact.formatter)
        return formatter.read(io.BytesIO(data), self._storage_classes[artifact.storage_class],
                              request.parameters, component)

    def open_artifact(self, artifact: StoredArtifact) -> io.BytesIO:
        """The stored bytes of ``artifact`` as a stream (not verified)."""
        return io.BytesIO(self._fetch(artifact))

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether each artifact is stored."""
        found = []
        for artifact in artifacts:
            location = self._location(artifact.uri)
            found.append(self._has_bytes(location) if location is not None
                         else os.path.isfile(uri_to_path(artifact.uri)))
        return found

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """Re-read each artifact and compare it with its recorded size and checksum."""
        problems: list[str | None] = []
        for artifact in artifacts:
            where = self.uri(artifact)
            try:
                problems.append(bytes_problem(artifact, self._fetch(artifact), where))
            except DatasetNotFoundError:
                problems.append(f"artifact {where} of dataset {artifact.dataset_id} is missing")
            except DataButlerError as err:
                problems.append(f"artifact {where} of dataset {artifact.dataset_id} cannot be read: {err}")
        return problems

    def _list_files(self) -> Iterator[ListedArtifact]:
        for stored in self._list_bytes():
            yield ListedArtifact(self.root + stored.location, stored.size, stored.modified)

    def _relative_of_listed(self, tail: str) -> str:
        return tail

    def _delete_owned(self, uris: Sequence[str]) -> None:
        locations = [location for location in map(self._location, uris) if location is not None]
        if locations:
            self._delete_bytes(locations)

    # -- ingest: sources are local files or locations of this store ------------------------------

    def _plan_ingest(self, request: IngestRequest, mode: TransferMode) -> IngestPlan:
        inside = request.path.startswith(self.root)
        if inside and not self._has_bytes(self._inside(request.path)):
            raise DatasetNotFoundError(f"file to ingest {request.path!r} does not exist")
        source = request.path if inside else source_path(request.path)
        return plan_ingest(request, mode, source, relative_in_place=lambda s: self._location(s) if inside else None,
                           absolute_uri=path_to_uri, templates=self._templates,
                           storage_classes=self._storage_classes, formatters=self._formatters)

    def _place(self, plan: IngestPlan) -> StoredArtifact:
        if plan.source.startswith(self.root):
            data = self._read_bytes(self._inside(plan.source))
        else:
            data = _read_local(plan.source, f"file to ingest {plan.source!r}")
        artifact = StoredArtifact(plan.ref.id, plan.uri, plan.formatter.name, plan.storage_class.name,
                                  self._checksum_of(data), len(data))
        if plan.mode is not TransferMode.DIRECT:
            try:
                self._write_bytes(plan.uri, data)
            except ConflictingDefinitionError as err:
                raise self._taken(artifact, err) from None
        return artifact

    def _remove_moved_sources(self, plans: Sequence[IngestPlan]) -> None:
        moved = [plan for plan in plans if plan.mode is TransferMode.MOVE]
        for done, plan in enumerate(moved):
            try:
                self._delete_source(plan.source)
            except BaseException:
                for earlier in moved[:done]:
                    self._put_back(earlier.uri, earlier.source)
                raise

    def _delete_source(self, source: str) -> None:
        if source.startswith(self.root):
            self._delete_bytes([self._inside(source)])
            return
        try:
            os.unlink(source)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise DatastoreError(f"cannot move {source}: {err.strerror}") from None

    def _put_back(self, uri: str, source: str) -> None:
        data = self._read_bytes(self._inside(uri))
        if source.startswith(self.root):
            with contextlib.suppress(ConflictingDefinitionError):  # something is there again: not ours to replace
                self._write_bytes(self._inside(source), data)
            return
        path = local_path(source)
        try:
            with open(path, "xb") as file:
                file.write(data)
        except FileExistsError:
            pass
        except OSError as err:
            raise DatastoreError(f"cannot put {uri} back at {path}: {err.strerror}") from None


def _read_local(path: str, what: str) -> bytes:
    """The bytes of local file ``path`` (``what`` names it in errors)."""
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        raise DatasetNotFoundError(f"{what} is missing: {path} does not exist") from None
    except OSError as err:
        raise DatastoreError(f"cannot read {what} at {path}: {err.strerror}") from None
