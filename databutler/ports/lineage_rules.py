"""LineageRules: lineage and the graph of a run, written once over one storage hook (``_lineage_edges``).

A registry that can follow provenance in one recursive query mixes this in before
``RegistryBase``, declares ``RegistryCapability.LINEAGE`` and implements ``_lineage_edges``; the
root check, the batch fetch of refs and quanta, and the depths are the rules here.
"""

from __future__ import annotations

import abc
import uuid

from ..domain.errors import ArgumentError, DatasetNotFoundError
from ..domain.lineage import (
    Direction,
    Edge,
    Lineage,
    ProvenanceGraph,
    as_direction,
    check_depth,
    lineage_from_edges,
    run_graph,
)
from .capabilities import RegistryCapability, require
from .registry import Registry


class LineageRules(Registry, abc.ABC):
    """``lineage`` and ``run_provenance`` for a registry that implements ``_lineage_edges``."""

    def lineage(self, dataset_id: uuid.UUID, *, direction: Direction | str = Direction.UP,
                depth: int | None = None) -> Lineage:
        """The ancestors ("up") or descendants ("down") of a dataset, ``depth`` quanta deep at most."""
        require(self.capabilities, RegistryCapability.LINEAGE, repr(self), "follow lineage")
        way, limit = as_direction(direction), check_depth(depth)
        if not isinstance(dataset_id, uuid.UUID):
            raise ArgumentError(f"lineage starts at a dataset id (uuid.UUID), not {type(dataset_id).__name__}")
        (root,) = self.get_datasets([dataset_id])
        if root is None:
            raise DatasetNotFoundError(f"no dataset with id {dataset_id} in {self!r}; lineage starts at a dataset "
                                       "the registry holds")
        edges = [] if limit == 0 else self._lineage_edges(dataset_id, way, limit)
        named = list(dict.fromkeys(d for _, source, reached in edges for d in (source, reached) if d is not None))
        refs = {ref.id: ref for ref in self.get_datasets(named) if ref is not None}
        refs[root.id] = root
        quanta = {q.id: q for q in self.get_quanta(list(dict.fromkeys(e[0] for e in edges))) if q is not None}
        return lineage_from_edges(root, way, limit, edges, refs=refs, quanta=quanta)

    def run_provenance(self, run: str) -> ProvenanceGraph:
        """Every quantum recorded in ``run`` with the datasets it read and wrote."""
        require(self.capabilities, RegistryCapability.LINEAGE, repr(self), "return the provenance of a run")
        if not isinstance(run, str):
            raise ArgumentError(f"run_provenance takes a run name, not {type(run).__name__}")
        quanta = self.find_quanta(run=run)
        if not quanta:
            self.get_collection(run)  # an unknown name raises MissingCollectionError; a known one has no quanta
        named = list(dict.fromkeys(d for q in quanta for d in (*q.inputs, *q.outputs)))
        refs = {ref.id: ref for ref in self.get_datasets(named) if ref is not None}
        return run_graph(quanta, refs)

    @abc.abstractmethod
    def _lineage_edges(self, root: uuid.UUID, direction: Direction, depth: int | None) -> list[Edge]:
        """Storage read: every step from ``root`` the recursive query finds, ``depth`` steps at most (None: all).

        An edge is (quantum id, dataset it was reached from, dataset reached); a quantum that wrote
        (up) or read (down) a dataset but has no inputs (up) or outputs (down) gives one edge
        reaching None. Edges may repeat; cycles must not make the query loop.
        """
