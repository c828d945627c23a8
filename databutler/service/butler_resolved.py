"""Putting objects as refs decided in advance (a quantum graph's outputs), with their provenance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..domain.collection import CollectionKind, check_collection_name
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import ArgumentError, ArtifactExistsError, DataButlerError
from ..domain.quantum import Quantum
from ..ports.capabilities import DatastoreCapability
from .butler_parts import ButlerParts
from .ownership import explain_taken


class _ButlerParts(ButlerParts, Protocol):
    """What resolved puts need of the Butler beyond the common parts."""

    def _discard(self, artifacts: Sequence[StoredArtifact]) -> None: ...

    def _put_resolved_once(self: _ButlerParts, items: Sequence[tuple[Any, DatasetRef]], quanta: Sequence[Quantum]
                           ) -> list[DatasetRef]: ...

    def _remove_orphan(self: _ButlerParts, err: ArtifactExistsError) -> bool: ...


class ButlerResolvedPuts:
    """``put_resolved``: outputs with predicted ids, and the quanta that made them, recorded in one transaction."""

    def put_resolved(self: _ButlerParts, items: Sequence[tuple[Any, DatasetRef]], *, quanta: Sequence[Quantum] = (),
                     replace_orphans: bool = False) -> list[DatasetRef]:
        """Store each object as its ref (id and run given) and record ``quanta``, all or nothing.

        Refs already stored identically are an error only if their content differs (``import``
        rules). With ``replace_orphans``, a file in the way that no dataset records (left by an
        interrupted earlier attempt) is deleted and the write retried; another dataset's file never is.
        """
        self._check_writeable("put datasets")
        if not all(isinstance(ref, DatasetRef) for _, ref in items):
            raise ArgumentError("put_resolved takes (object, DatasetRef) pairs")
        attempts = len(items) + 1 if replace_orphans else 1
        for attempt in range(attempts):
            try:
                return self._put_resolved_once(items, quanta)
            except ArtifactExistsError as err:
                if attempt + 1 >= attempts or not self._remove_orphan(err):
                    raise explain_taken(self.registry, err, self.root) from None
        raise AssertionError("unreachable")

    def _put_resolved_once(self: _ButlerParts, items: Sequence[tuple[Any, DatasetRef]], quanta: Sequence[Quantum]
                           ) -> list[DatasetRef]:
        # As Butler.put_many: the files first, then one short transaction records them (SQLite's
        # writers, a pipeline's workers among them, no longer wait while another writes its files).
        runs = [check_collection_name(run) for run in dict.fromkeys(ref.run for _, ref in items)]
        written: list[StoredArtifact] = []
        try:
            if items:
                written = self.datastore.put(list(items))
            with self.registry.transaction():
                for run in runs:
                    self.registry.register_collection(run, CollectionKind.RUN)
                refs = self.registry.import_datasets([ref for _, ref in items]) if items else []
                if written:
                    self.registry.insert_artifacts(written)
                if quanta:
                    self.registry.insert_quanta(list(quanta))
        except BaseException:
            self._discard(written)
            raise
        return refs

    def _remove_orphan(self: _ButlerParts, err: ArtifactExistsError) -> bool:
        """Delete the file ``err`` names if no dataset records it; whether it did."""
        if not err.uris or DatastoreCapability.LIST not in self.datastore.capabilities:
            return False
        try:
            if any(self.registry.artifact_users(list(err.uris)).values()):
                return False
            self.datastore.remove_uris([err.uris[-1]])
        except DataButlerError:
            return False
        return True
