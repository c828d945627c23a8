"""Lineage: the provenance graph around a dataset (ancestors or descendants) and the graph of a run.

A graph holds the datasets reached, the quanta linking them and, per quantum, the edges to the
datasets of the graph it read and wrote. Quanta outlive the datasets they name (removal keeps
provenance), so a graph may name dataset ids the registry no longer holds: those are ``removed``.
"""

from __future__ import annotations

import collections
import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence

import attrs

from .dataset import DatasetRef
from .errors import ArgumentError
from .quantum import Quantum


class Direction(enum.Enum):
    """Which way lineage is followed from its root dataset."""

    UP = "up"
    """Ancestors: what the dataset was derived from, transitively."""
    DOWN = "down"
    """Descendants: everything that used the dataset, transitively."""


Edge = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]
"""One step found by a lineage query: (quantum id, dataset it was reached from, dataset reached or None)."""


def as_direction(value: Direction | str) -> Direction:
    """``value`` as a Direction; "up"/"ancestors" and "down"/"descendants" are accepted."""
    if isinstance(value, Direction):
        return value
    aliases = {"up": Direction.UP, "ancestors": Direction.UP, "down": Direction.DOWN, "descendants": Direction.DOWN}
    if isinstance(value, str) and value.lower() in aliases:
        return aliases[value.lower()]
    raise ArgumentError(f"lineage direction must be 'up' (ancestors) or 'down' (descendants), not {value!r}")


def check_depth(depth: int | None) -> int | None:
    """``depth`` if it is None (no limit) or a non-negative int; ArgumentError otherwise."""
    if depth is None or (isinstance(depth, int) and not isinstance(depth, bool) and depth >= 0):
        return depth
    raise ArgumentError(f"lineage depth must be a non-negative integer or None (no limit), not {depth!r}")


def _frozen_ids(value: Iterable[uuid.UUID]) -> frozenset[uuid.UUID]:
    return frozenset(value)


@attrs.frozen
class ProvenanceGraph:
    """Datasets and the quanta that read (``inputs``) and wrote (``outputs``) them."""

    datasets: Mapping[uuid.UUID, DatasetRef]
    """The datasets of the graph the registry still holds, by id."""
    quanta: Mapping[uuid.UUID, Quantum]
    """The quanta of the graph, by id."""
    inputs: Mapping[uuid.UUID, tuple[uuid.UUID, ...]]
    """Per quantum id, the ids of the datasets of the graph it read."""
    outputs: Mapping[uuid.UUID, tuple[uuid.UUID, ...]]
    """Per quantum id, the ids of the datasets of the graph it wrote."""
    removed: frozenset[uuid.UUID] = attrs.field(default=frozenset(), converter=_frozen_ids)
    """Ids of datasets named by the graph's quanta that the registry no longer holds."""

    @property
    def dataset_ids(self) -> frozenset[uuid.UUID]:
        """Every dataset id of the graph, held or removed."""
        return frozenset(self.datasets) | self.removed

    def producers(self, dataset_id: uuid.UUID) -> list[Quantum]:
        """The quanta of the graph that wrote ``dataset_id``."""
        return [self.quanta[q] for q, ids in self.outputs.items() if dataset_id in ids]

    def consumers(self, dataset_id: uuid.UUID) -> list[Quantum]:
        """The quanta of the graph that read ``dataset_id``."""
        return [self.quanta[q] for q, ids in self.inputs.items() if dataset_id in ids]


@attrs.frozen
class Lineage(ProvenanceGraph):
    """The ancestors (``Direction.UP``) or descendants (``Direction.DOWN``) of ``root``, with their depths."""

    root: uuid.UUID = attrs.field(kw_only=True)
    direction: Direction = attrs.field(kw_only=True)
    depths: Mapping[uuid.UUID, int] = attrs.field(kw_only=True)
    """Per dataset id, the fewest quanta between it and the root (0 for the root)."""

    @property
    def root_ref(self) -> DatasetRef:
        """The root dataset."""
        return self.datasets[self.root]

    def refs(self) -> list[DatasetRef]:
        """The datasets held, root first, then by depth, dataset type name and id."""
        return sorted(self.datasets.values(),
                      key=lambda ref: (self.depths[ref.id], ref.dataset_type.name, str(ref.id)))


def lineage_from_edges(root: DatasetRef, direction: Direction, depth: int | None, edges: Iterable[Edge], *,
                       refs: Mapping[uuid.UUID, DatasetRef], quanta: Mapping[uuid.UUID, Quantum]) -> Lineage:
    """Assemble a Lineage from the edges a registry's recursive query found and the refs and quanta it fetched.

    Depths are the shortest distances from the root over the edges (breadth first), so the answer
    does not depend on the order a query returned them in, and cycles cannot loop.
    """
    steps: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID | None]]] = collections.defaultdict(list)
    for quantum_id, source, reached in edges:
        steps[source].append((quantum_id, reached))
    depths = {root.id: 0}
    read: dict[uuid.UUID, dict[uuid.UUID, None]] = collections.defaultdict(dict)
    wrote: dict[uuid.UUID, dict[uuid.UUID, None]] = collections.defaultdict(dict)
    towards, away = (wrote, read) if direction is Direction.UP else (read, wrote)
    frontier = collections.deque([root.id])
    while frontier:
        source = frontier.popleft()
        if depth is not None and depths[source] >= depth:
            continue
        for quantum_id, reached in steps.get(source, ()):
            towards[quantum_id][source] = None
            if reached is None:
                continue
            away[quantum_id][reached] = None
            if reached not in depths:
                depths[reached] = depths[source] + 1
                frontier.append(reached)
    used = set(read) | set(wrote)
    return Lineage(
        datasets={i: refs[i] for i in depths if i in refs},
        quanta={q: quanta[q] for q in sorted(used, key=str) if q in quanta},
        inputs={q: _ordered(quanta[q].inputs, read[q]) for q in used if q in quanta},
        outputs={q: _ordered(quanta[q].outputs, wrote[q]) for q in used if q in quanta},
        removed={i for i in depths if i not in refs}, root=root.id, direction=direction, depths=depths)


def _ordered(ids: Sequence[uuid.UUID], kept: Mapping[uuid.UUID, None]) -> tuple[uuid.UUID, ...]:
    """The ids of ``ids`` that are in ``kept``, in the quantum's own order."""
    return tuple(i for i in ids if i in kept)


def run_graph(quanta: Sequence[Quantum], refs: Mapping[uuid.UUID, DatasetRef]) -> ProvenanceGraph:
    """The provenance graph of a run: ``quanta`` with every dataset they read or wrote."""
    named = {d for q in quanta for d in (*q.inputs, *q.outputs)}
    return ProvenanceGraph(datasets={i: refs[i] for i in named if i in refs}, quanta={q.id: q for q in quanta},
                           inputs={q.id: q.inputs for q in quanta}, outputs={q.id: q.outputs for q in quanta},
                           removed={i for i in named if i not in refs})
