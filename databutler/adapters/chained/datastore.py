"""ChainedDatastore: several datastores as one; writes to the first that accepts, reads by URI prefix."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any, TypeVar

import attrs

from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.errors import DataButlerError, DatastoreError, ReadOnlyError
from ...ports.capabilities import DATASTORE_WRITE_SIDE, DatastoreCapability, require
from ...ports.datastore import Datastore, IngestRequest, ListedArtifact, ReadRequest, TransferMode

T = TypeVar("T")
log = logging.getLogger(__name__)


@attrs.frozen
class Child:
    """One child datastore: its name, whether it is read-only, and which datasets it accepts for writing."""

    name: str
    datastore: Datastore
    read_only: bool = False
    dataset_types: frozenset[str] | None = None
    """DatasetType names accepted for writing (None: all)."""
    storage_classes: frozenset[str] | None = None
    """StorageClass names accepted for writing (None: all)."""
    relative_uris: bool = False
    """Whether root-relative artifact URIs are this child's (as when it is another repo's own datastore)."""

    def accepts(self, ref: DatasetRef) -> bool:
        """Whether writes of ``ref`` may go to this child."""
        return (not self.read_only and DatastoreCapability.WRITE in self.datastore.capabilities
                and (self.dataset_types is None or ref.dataset_type.name in self.dataset_types)
                and (self.storage_classes is None or ref.dataset_type.storage_class in self.storage_classes))


class ChainedDatastore(Datastore):
    """Children in order: a write goes to the first child that accepts the dataset, a read to the child
    whose root prefixes the artifact's URI. Artifacts are recorded by absolute URIs, so reads can be
    dispatched; read-only children refuse writes and deletes with ReadOnlyError.
    """

    def __init__(self, children: Sequence[Child]) -> None:
        if not children:
            raise DatastoreError("a chained datastore needs at least one child")
        self._children = tuple(children)
        claimants = [c.name for c in self._children if c.relative_uris]
        if len(claimants) > 1:
            raise DatastoreError(f"children {claimants} all claim relative URIs; at most one child may")
        self._relative = next((c for c in self._children if c.relative_uris), None)
        writers = [c for c in self._children if not c.read_only]
        capabilities: set[DatastoreCapability] = set()
        for child in self._children:
            capabilities |= child.datastore.capabilities - DATASTORE_WRITE_SIDE
        for child in writers:
            capabilities |= child.datastore.capabilities & DATASTORE_WRITE_SIDE
        # Listing means every file the chain writes to: all writeable children must list.
        capabilities.discard(DatastoreCapability.LIST)
        if writers and all(DatastoreCapability.LIST in c.datastore.capabilities for c in writers):
            capabilities.add(DatastoreCapability.LIST)
        # Writing in parts means whichever child a composite goes to: all writeable children must.
        capabilities.discard(DatastoreCapability.DISASSEMBLY)
        if writers and all(DatastoreCapability.DISASSEMBLY in c.datastore.capabilities for c in writers):
            capabilities.add(DatastoreCapability.DISASSEMBLY)
        # A declared ingest mode must work whichever writeable child a dataset goes to: the modes they all share.
        shared = [frozenset(c.datastore.ingest_modes) if DatastoreCapability.INGEST in c.datastore.capabilities
                  else frozenset() for c in writers]
        self._ingest_modes: frozenset[TransferMode] = frozenset.intersection(*shared) if shared else frozenset()
        if not self._ingest_modes:
            capabilities.discard(DatastoreCapability.INGEST)
        self._capabilities = frozenset(capabilities)
        self._writer = writers[0].datastore if writers else self._children[0].datastore

    def __repr__(self) -> str:
        return f"ChainedDatastore({', '.join(c.name for c in self._children)})"

    @property
    def capabilities(self) -> frozenset[DatastoreCapability]:
        """Read-side capabilities of any child; write-side ones of any writeable child; LIST if all writeable
        children list (DISASSEMBLY likewise); INGEST if they all share an ingest mode."""
        return self._capabilities

    @property
    def root(self) -> str:
        """The root of the first writeable child (the first child if none is)."""
        return self._writer.root

    @property
    def ingest_modes(self) -> frozenset[TransferMode]:
        """The transfer modes every writeable child ingests with (a dataset may go to any of them)."""
        return self._ingest_modes

    def close(self) -> None:
        """Close every child."""
        for child in self._children:
            child.datastore.close()

    def owns(self, uri: str) -> bool:
        """Whether some child serves ``uri``."""
        return any(uri.startswith(c.datastore.root) for c in self._children) or any(
            c.datastore.owns(uri) for c in self._children)

    def uri(self, artifact: StoredArtifact) -> str:
        """The absolute URI of ``artifact``."""
        return self._owner(artifact.uri).datastore.uri(artifact)

    # -- writing --------------------------------------------------------------------------------

    def put(self, items: Sequence[tuple[Any, DatasetRef]]) -> list[StoredArtifact]:
        """Write each object to the first child accepting it; all or nothing across children."""
        return self._by_target([ref for _, ref in items], list(items), lambda child, batch: child.put(batch),
                               lambda child, batch, written: child.remove(written), "write")

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Ingest each file into the first child accepting its dataset; undone without touching files left in place."""
        return self._by_target([r.ref for r in requests], list(requests),
                               lambda child, batch: child.ingest(batch, transfer),
                               lambda child, batch, written: child.undo_ingest(batch, written, transfer), "ingest")

    def undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                    transfer: TransferMode) -> None:
        """Each owning child undoes its part of the ingest (files left in place stay)."""
        groups: dict[int, tuple[Child, list[IngestRequest], list[StoredArtifact]]] = {}
        for request, artifact in zip(requests, artifacts, strict=True):
            owner = self._owner(artifact.uri)
            group = groups.setdefault(id(owner), (owner, [], []))
            group[1].append(request)
            group[2].append(artifact)
        for owner, batch, written in groups.values():
            owner.datastore.undo_ingest(batch, written, transfer)

    def _by_target(self, refs: list[DatasetRef], items: list[T],
                   call: Callable[[Datastore, list[T]], list[StoredArtifact]],
                   undo: Callable[[Datastore, list[T], list[StoredArtifact]], None],
                   action: str) -> list[StoredArtifact]:
        groups: dict[int, list[int]] = {}
        for index, ref in enumerate(refs):
            groups.setdefault(self._target(ref, action), []).append(index)
        results: dict[int, list[StoredArtifact]] = {}
        done: list[tuple[Datastore, list[T], list[StoredArtifact]]] = []
        try:
            for position, indexes in groups.items():
                child = self._children[position].datastore
                batch = [items[i] for i in indexes]
                written = call(child, batch)
                done.append((child, batch, written))
                # A child writing a composite in parts returns several artifacts for it: matched by dataset.
                by_dataset = {refs[i].id: i for i in indexes}
                for artifact in written:
                    results.setdefault(by_dataset[artifact.dataset_id], []).append(
                        attrs.evolve(artifact, uri=child.uri(artifact)))
        except BaseException:
            for child, batch, written in done:
                try:
                    undo(child, batch, written)
                except DataButlerError as err:  # the original error matters more
                    log.error("%r could not undo its part of a failed %s: %s", child, action, err)
            raise
        return [artifact for i in range(len(refs)) for artifact in results[i]]

    def _target(self, ref: DatasetRef, action: str) -> int:
        for position, child in enumerate(self._children):
            if child.accepts(ref):
                return position
        read_only = [c.name for c in self._children if c.read_only]
        raise ReadOnlyError(f"no writeable child of {self!r} accepts {ref} (to {action}): check the children's "
                            f"dataset_types / storage_classes constraints; read-only children: {read_only}")

    # -- reading and removing -------------------------------------------------------------------

    def get(self, requests: Sequence[ReadRequest]) -> list[Any]:
        """Read each Dataset from the child owning its artifact's URI."""
        results = []
        for request in requests:
            uri = request.artifacts[0].uri if request.artifacts else ""
            child = self._owner(uri) if request.artifacts else self._children[0]
            results.append(child.datastore.get([request])[0])
        return results

    def exists(self, artifacts: Sequence[StoredArtifact]) -> list[bool]:
        """Whether the owning child has each artifact."""
        return [self._owner(a.uri).datastore.exists([a])[0] for a in artifacts]

    def verify(self, artifacts: Sequence[StoredArtifact]) -> list[str | None]:
        """The owning child's verdict on each artifact."""
        return [self._owner(a.uri).datastore.verify([a])[0] for a in artifacts]

    def open_artifact(self, artifact: StoredArtifact) -> AbstractContextManager[IO[bytes]]:
        """The owning child's bytes of ``artifact``."""
        return self._owner(artifact.uri).datastore.open_artifact(artifact)

    def remove(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Delete each artifact from its child; a read-only child refuses (nothing is removed then)."""
        owners = [(self._owner(a.uri), a) for a in artifacts]
        for child, artifact in owners:
            if child.read_only:
                raise ReadOnlyError(f"child datastore {child.name!r} of {self!r} is read-only: it cannot remove "
                                    f"{child.datastore.uri(artifact)}")
        for child, artifact in owners:
            child.datastore.remove([artifact])

    # -- listing --------------------------------------------------------------------------------

    def list_artifacts(self) -> Iterator[ListedArtifact]:
        """The files of the writeable children (read-only children hold someone else's storage).

        A file is listed once, by the child that owns its URI, so a child whose root lies inside
        another's is not listed twice, and a read-only root nested in a writeable one is left out.
        """
        require(self._capabilities, DatastoreCapability.LIST, repr(self), "list artifacts")
        return (listed for child in self._children if not child.read_only
                for listed in child.datastore.list_artifacts() if self._owner(listed.uri) is child)

    def remove_uris(self, uris: Sequence[str]) -> None:
        """Delete each listed file through the child owning it; a read-only owner refuses (nothing is removed)."""
        require(self._capabilities, DatastoreCapability.LIST, repr(self), "remove listed files")
        groups: dict[int, tuple[Child, list[str]]] = {}
        for uri in uris:
            if "://" not in uri:
                raise DatastoreError(f"{uri!r} is not an absolute URI; remove_uris takes URIs as listed")
            owner = self._owner(uri)
            if owner.read_only:
                raise ReadOnlyError(f"child datastore {owner.name!r} of {self!r} is read-only: it cannot remove {uri}")
            groups.setdefault(id(owner), (owner, []))[1].append(uri)
        for owner, group in groups.values():
            owner.datastore.remove_uris(group)

    def _owner(self, uri: str) -> Child:
        """The child whose root prefixes ``uri`` (longest first), else the first that claims it.

        Artifacts written through the chain are recorded by absolute URIs; a root-relative one was
        recorded by a repo whose own datastore a child is, the child with ``relative_uris`` if any.
        """
        if self._relative is not None and "://" not in uri and not uri.startswith("/"):
            return self._relative
        prefixed = [c for c in self._children if uri.startswith(c.datastore.root)]
        if prefixed:
            return max(prefixed, key=lambda c: len(c.datastore.root))
        for child in self._children:
            if child.datastore.owns(uri):
                return child
        raise DatastoreError(f"no child of {self!r} serves {uri!r}")
