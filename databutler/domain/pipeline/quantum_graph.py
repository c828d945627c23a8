"""The quantum graph: every planned quantum of a pipeline over a repository, with its input and output refs."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from ..data_id import DataId
from ..dataset import DatasetRef
from .pipeline import Pipeline

GRAPH_FORMAT = "databutler-quantum-graph"
GRAPH_VERSION = 1
"""The version of the saved graph format this code writes (and the newest it reads)."""


def _ref_tuple(value: Iterable[DatasetRef]) -> tuple[DatasetRef, ...]:
    return tuple(value)


def _quanta(value: Iterable[PlannedQuantum]) -> tuple[PlannedQuantum, ...]:
    return tuple(value)


def _dropped(value: Iterable[DroppedQuantum]) -> tuple[DroppedQuantum, ...]:
    return tuple(value)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _refs(value: Mapping[str, Sequence[DatasetRef]]) -> dict[str, tuple[DatasetRef, ...]]:
    return {name: tuple(refs) for name, refs in value.items()}


@attrs.frozen
class PlannedQuantum:
    """One quantum to run: its task label and DataId, the refs it reads and the refs it will write.

    The output refs carry the ids the outputs will have; ``id`` is the id of the quantum record
    written when it succeeds, so re-running a graph recognises what is already done.
    """

    label: str
    data_id: DataId
    inputs: Mapping[str, tuple[DatasetRef, ...]] = attrs.field(converter=_refs)
    prerequisites: Mapping[str, tuple[DatasetRef, ...]] = attrs.field(converter=_refs)
    outputs: Mapping[str, tuple[DatasetRef, ...]] = attrs.field(converter=_refs)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4)
    clobber: tuple[DatasetRef, ...] = attrs.field(default=(), converter=_ref_tuple)
    """Outputs a failed earlier attempt left in the output run, removed before this quantum runs."""

    def __hash__(self) -> int:
        return hash(self.id)

    def read_refs(self) -> list[DatasetRef]:
        """Every ref this quantum reads (inputs then prerequisites)."""
        return [r for refs in (*self.inputs.values(), *self.prerequisites.values()) for r in refs]

    def output_refs(self) -> list[DatasetRef]:
        """Every ref this quantum writes."""
        return [r for refs in self.outputs.values() for r in refs]


@attrs.frozen
class DroppedQuantum:
    """A quantum preflight did not plan, and why."""

    label: str
    data_id: DataId
    reason: str


@attrs.frozen
class QuantumGraph:
    """A pipeline planned over a repository: quanta in run order, and what was left out and why."""

    pipeline: Pipeline = attrs.field(eq=False)
    quanta: tuple[PlannedQuantum, ...] = attrs.field(converter=_quanta)
    input_collections: tuple[str, ...] = attrs.field(converter=_names)
    output_run: str
    dropped: tuple[DroppedQuantum, ...] = attrs.field(default=(), converter=_dropped)
    skipped: Mapping[str, int] = attrs.field(factory=dict)
    """Quanta left out because their outputs already exist (per task label)."""
    created: datetime.datetime = attrs.field(factory=lambda: datetime.datetime.now(datetime.UTC))
    options: Mapping[str, Any] = attrs.field(factory=dict)
    """How the graph was built (where, bind, data_id, skip_existing_in, clobber, extend_run)."""
    universe: tuple[str, int] = ("databutler", 1)
    """The namespace and version of the universe of the repository it was planned on."""

    def __len__(self) -> int:
        return len(self.quanta)

    def __iter__(self) -> Iterator[PlannedQuantum]:
        return iter(self.quanta)

    def counts(self) -> dict[str, int]:
        """Planned quanta per task label (every task listed, in run order)."""
        counts = dict.fromkeys(self.pipeline.labels, 0)
        for quantum in self.quanta:
            counts[quantum.label] += 1
        return counts

    def dropped_counts(self) -> dict[str, dict[str, int]]:
        """Dropped quanta per task label and reason."""
        found: dict[str, dict[str, int]] = {}
        for dropped in self.dropped:
            reasons = found.setdefault(dropped.label, {})
            reasons[dropped.reason] = reasons.get(dropped.reason, 0) + 1
        return found

    def producers(self) -> dict[uuid.UUID, PlannedQuantum]:
        """The quantum writing each output dataset id."""
        return {ref.id: q for q in self.quanta for ref in q.output_refs()}

    def upstream(self) -> dict[uuid.UUID, tuple[uuid.UUID, ...]]:
        """For each quantum id, the ids of the quanta whose outputs it reads."""
        producers = self.producers()
        return {q.id: tuple(dict.fromkeys(producers[r.id].id for r in q.read_refs() if r.id in producers))
                for q in self.quanta}

    def external_inputs(self) -> list[DatasetRef]:
        """The refs the graph reads that it does not write (they must exist in the repository)."""
        produced = self.producers()
        found: dict[uuid.UUID, DatasetRef] = {}
        for quantum in self.quanta:
            for ref in quantum.read_refs():
                if ref.id not in produced:
                    found.setdefault(ref.id, ref)
        return list(found.values())
