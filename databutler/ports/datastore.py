"""The Datastore port: writes, reads, ingests and removes Dataset artifacts by URI."""

from __future__ import annotations

import abc
import datetime
import enum
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any

import attrs

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import CapabilityError
from .capabilities import DatastoreCapability, require


class TransferMode(enum.Enum):
    """How ``ingest`` brings an existing file into a datastore."""

    COPY = "copy"
    MOVE = "move"
    HARDLINK = "hardlink"
    SYMLINK = "symlink"
    RELSYMLINK = "relsymlink"
    DIRECT = "direct"
    """Leave the file where it is and record its absolute URI."""
    AUTO = "auto"
    """DIRECT for a file already inside the datastore root, COPY otherwise."""


@attrs.frozen
class IngestRequest:
    """One existing file to ingest as the Dataset ``ref`` (the formatter is chosen if None).

    With ``component``, the file is the part of a composite stored in parts that holds that
    component (as ``transfer`` copies one), recorded with that component and its StorageClass.
    """

    path: str
    ref: DatasetRef
    formatter: str | None = None
    component: str | None = None


@attrs.frozen
class ReadRequest:
    """One read: the Dataset, its recorded artifacts, and what part of it is wanted."""

    ref: DatasetRef
    artifacts: Sequence[StoredArtifact]
    parameters: Mapping[str, Any] | None = None
    component: str | None = None


@attrs.frozen
class ListedArtifact:
    """One file a datastore holds, as ``list_artifacts`` finds it, recorded by a registry or not."""

    uri: str
    """The absolute URI, exactly as ``Datastore.uri`` renders the artifact stored there."""
    size: int | None
    """Bytes stored (None where there are no bytes, as in memory)."""
    modified: datetime.datetime | None
    """When it was last written (UTC), if the storage says."""


class Datastore(abc.ABC):
    """The filesystem client of a repository (the seed's "Datastore").

    Knows nothing of Collections or DataUnit records: it turns (object, DatasetRef) into
    artifacts and back. Batch methods are all-or-nothing: when one item fails, whatever the call
    already wrote is removed before the error propagates.
    """

    @property
    @abc.abstractmethod
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """The capabilities this datastore declares."""

    @property
    @abc.abstractmethod
    def root(self) -> str:
        """The URI of the datastore root (``file:///...``, ``memory://...``)."""

    @property
    def ingest_modes(self) -> frozenset[TransferMode]:
        """The transfer modes ``ingest`` accepts (none unless INGEST is declared)."""
        return frozenset()

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release resources."""

    @abc.abstractmethod
    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Write each object as the Dataset ``ref``; return the artifacts of the items, in order.

        One artifact per item, or, from a datastore declaring DISASSEMBLY, one per component of a
        composite it writes in parts (each with its ``component``, in component-name order). Never
        overwrites an existing artifact (ConflictingDefinitionError). Raises StorageClassError if an
        object does not match its DatasetType's StorageClass.
        """

    @abc.abstractmethod
    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """Read each requested Dataset (or component), verifying checksums where recorded.

        Raises DatasetNotFoundError if an artifact is missing and FileIntegrityError if its
        bytes do not match the recorded checksum or size.
        """

    @abc.abstractmethod
    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether each artifact is present."""

    @abc.abstractmethod
    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Delete the artifacts this datastore owns; absent ones are ignored.

        Artifacts ingested with DIRECT transfer (absolute URIs outside the root) are left alone.
        """

    @abc.abstractmethod
    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Bring existing files in as Datasets; return one artifact per request, in order."""

    def undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                    transfer: TransferMode) -> None:
        """Delete the files ``ingest(requests, transfer)`` brought in as ``artifacts``, never one ingested in place.

        For an ingest whose registry records did not commit: copies, moved and linked files go; a file
        left where it was (DIRECT, or AUTO of a file already inside the root) stays. This default
        cannot tell in-place files from copies, so after DIRECT or AUTO it deletes nothing (a copy
        left behind is an orphan, which ``find_orphans`` reports).
        """
        if transfer not in (TransferMode.DIRECT, TransferMode.AUTO):
            self.remove(artifacts)

    @abc.abstractmethod
    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """Check each artifact against its checksum and size: None if sound, else the problem."""

    @abc.abstractmethod
    def uri(self, artifact: StoredArtifact) -> str:
        """The absolute URI of ``artifact``."""

    def open_artifact(self, artifact: StoredArtifact) -> AbstractContextManager[IO[bytes]]:
        """A readable binary stream of the bytes stored for ``artifact``, as stored (not verified).

        Caches and transfers copy artifacts with it; refused with CapabilityError unless
        ARTIFACT_BYTES is declared. Raises DatasetNotFoundError if the artifact is missing.
        """
        require(self.capabilities, DatastoreCapability.ARTIFACT_BYTES, repr(self), "hand out artifact bytes")
        raise NotImplementedError(f"{type(self).__name__} declares 'artifact_bytes' but has no open_artifact")

    def list_artifacts(self) -> Iterator[ListedArtifact]:
        """Every artifact file this datastore holds, recorded anywhere or not (to find orphans).

        Includes leftovers such as temporary files of interrupted writes; excludes storage this
        datastore only reads (read-only children of a chain). Refused with CapabilityError unless
        LIST is declared.
        """
        require(self.capabilities, DatastoreCapability.LIST, repr(self), "list artifacts")
        raise CapabilityError(f"{self!r} declares 'list' but does not implement list_artifacts")

    def remove_uris(self, uris: Sequence[str]) -> None:
        """Delete the files at these absolute URIs, as ``list_artifacts`` gave them; absent ones are ignored.

        For removing orphans, which no StoredArtifact describes. A URI this datastore does not hold
        under its root raises DatastoreError before anything is deleted; a read-only datastore
        raises ReadOnlyError. Refused with CapabilityError unless LIST is declared.
        """
        require(self.capabilities, DatastoreCapability.LIST, repr(self), "remove listed files")
        raise CapabilityError(f"{self!r} declares 'list' but does not implement remove_uris")

    def owns(self, uri: str) -> bool:
        """Whether ``uri`` (absolute or root-relative) is served by this datastore."""
        return "://" not in uri or uri.startswith(self.root)
