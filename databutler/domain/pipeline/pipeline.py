"""Pipelines: labelled tasks, and the task graph their connections imply (checked, in run order)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..collection import check_collection_name
from ..dataset_type import DatasetType
from ..errors import PipelineError
from ..suggestions import hint
from ..universe import Universe
from .connections import Connection, ConnectionKind
from .task import PipelineTask, config_values


def class_path(cls: type[Any]) -> str:
    """``package.module:QualName`` of a class, the form pipeline files name tasks by."""
    return f"{cls.__module__}:{cls.__qualname__}"


@attrs.frozen
class TaskNode:
    """One labelled task of a pipeline, with its config."""

    label: str
    task_class: type[PipelineTask]
    config: Any = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.label, str) or not self.label or not self.label.replace("_", "a").isalnum():
            raise PipelineError(f"task label {self.label!r} must be letters, digits and underscores")
        if not (isinstance(self.task_class, type) and issubclass(self.task_class, PipelineTask)):
            raise PipelineError(f"task {self.label!r}: {self.task_class!r} is not a PipelineTask subclass")
        if self.config is None:
            object.__setattr__(self, "config", self.task_class.config_class())
        elif not isinstance(self.config, self.task_class.config_class):
            raise PipelineError(f"task {self.label!r} takes a {self.task_class.config_class.__qualname__} config, "
                                f"not {type(self.config).__name__}")

    @property
    def class_name(self) -> str:
        """Where the task class is imported from."""
        return class_path(self.task_class)

    @property
    def units(self) -> tuple[str, ...]:
        """The DataUnits of one quantum."""
        return tuple(self.task_class.units)

    def connections(self, kind: ConnectionKind | None = None) -> dict[str, Connection]:
        """This task's connections (of one kind), by name."""
        if kind is None:
            return dict(self.task_class.connections)
        return self.task_class.connections_of(kind)

    def config_values(self) -> dict[str, Any]:
        """The config as plain values."""
        return config_values(self.config)

    def make_task(self) -> PipelineTask:
        """A task instance ready to run quanta."""
        return self.task_class(self.config)


class Pipeline:
    """Labelled tasks in an order that runs every producer before its consumers.

    Building one checks the task graph: a cycle, two producers of one dataset type, a
    prerequisite that the pipeline itself produces, and one dataset type declared differently by
    two connections are errors that name both sides.
    """

    def __init__(self, tasks: Iterable[TaskNode], *, description: str = "") -> None:
        nodes = list(tasks)
        self.description = description
        labels = [n.label for n in nodes]
        for label in labels:
            if labels.count(label) > 1:
                raise PipelineError(f"two tasks are labelled {label!r}")
        if not nodes:
            raise PipelineError("a pipeline needs at least one task")
        self._declared = _declarations(nodes)
        self._producers = _producers(nodes)
        for node in nodes:
            for name, conn in node.connections(ConnectionKind.PREREQUISITE).items():
                if conn.dataset_type in self._producers:
                    raise PipelineError(f"{node.label}.{name} is a prerequisite input {conn.dataset_type!r}, but "
                                        f"task {self._producers[conn.dataset_type]!r} of this pipeline produces it; "
                                        "make it a regular Input")
        self.tasks: tuple[TaskNode, ...] = _run_order(nodes, self._producers)
        self._by_label = {n.label: n for n in self.tasks}

    def __repr__(self) -> str:
        return f"Pipeline({[n.label for n in self.tasks]!r})"

    def __getitem__(self, label: str) -> TaskNode:
        try:
            return self._by_label[label]
        except KeyError:
            raise PipelineError(f"no task labelled {label!r} in this pipeline "
                                f"({hint(label, self._by_label, otherwise='labels: ' + ', '.join(self._by_label))})"
                                ) from None

    @property
    def labels(self) -> tuple[str, ...]:
        """Task labels in run order."""
        return tuple(self._by_label)

    def producer(self, dataset_type: str) -> str | None:
        """The label of the task writing ``dataset_type``, if one does."""
        return self._producers.get(dataset_type)

    def dataset_types(self) -> dict[str, DatasetType]:
        """Every dataset type a connection names, as declared."""
        return {name: conn.as_dataset_type() for name, (_, conn) in self._declared.items()}

    def overall_inputs(self) -> tuple[str, ...]:
        """Dataset types read by some task (not as prerequisites) and written by none."""
        return tuple(dict.fromkeys(
            c.dataset_type for n in self.tasks for c in n.connections(ConnectionKind.INPUT).values()
            if c.dataset_type not in self._producers))

    def outputs(self) -> tuple[str, ...]:
        """Dataset types this pipeline writes."""
        return tuple(self._producers)

    def upstream(self, label: str) -> tuple[str, ...]:
        """Labels of the tasks whose outputs ``label`` reads."""
        node = self[label]
        found = (self._producers.get(c.dataset_type) for c in node.connections(ConnectionKind.INPUT).values())
        return tuple(dict.fromkeys(f for f in found if f is not None))

    def check_units(self, universe: Universe) -> None:
        """Every quantum and connection names known DataUnits, and each output's DataId follows from its quantum's."""
        for node in self.tasks:
            where = f"task {node.label!r} ({node.class_name})"
            _known_units(universe, node.units, f"{where} quantum units")
            quantum = set(universe.closure(node.units)) if node.units else set()
            for name, conn in node.connections().items():
                _known_units(universe, conn.units, f"{where} connection {name!r}")
                if conn.kind is ConnectionKind.OUTPUT:
                    extra = set(universe.closure(conn.units)) - quantum
                    if extra and not conn.multiple:
                        raise PipelineError(f"{where}: output {name!r} ({conn.dataset_type}) has DataUnits "
                                            f"{sorted(extra)} that the quantum ({list(node.units)}) does not; "
                                            "declare them in the task's units or make the output multiple")
        for name, (owner, conn) in self._declared.items():
            closure = universe.closure(conn.units)
            for other_owner, other in self._all_declarations.get(name, ()):
                if universe.closure(other.units) != closure:
                    raise PipelineError(f"dataset type {name!r} has DataUnits {list(conn.units)} in {owner} but "
                                        f"{list(other.units)} in {other_owner}")

    @property
    def _all_declarations(self) -> Mapping[str, Sequence[tuple[str, Connection]]]:
        found: dict[str, list[tuple[str, Connection]]] = {}
        for node in self.tasks:
            for cname, conn in node.connections().items():
                found.setdefault(conn.dataset_type, []).append((f"{node.label}.{cname}", conn))
        return found


def _known_units(universe: Universe, units: Sequence[str], where: str) -> None:
    names = [u.name for u in universe.units]
    for unit in units:
        if unit not in names:
            raise PipelineError(f"{where} name unknown DataUnit {unit!r} "
                                f"({hint(unit, names, otherwise='known: ' + ', '.join(names))})")


def _declarations(nodes: Sequence[TaskNode]) -> dict[str, tuple[str, Connection]]:
    """The first declaration of each dataset type; a different StorageClass or units elsewhere is an error."""
    found: dict[str, tuple[str, Connection]] = {}
    for node in nodes:
        for cname, conn in node.connections().items():
            where = f"{node.label}.{cname}"
            first = found.setdefault(conn.dataset_type, (where, conn))
            other_where, other = first
            if other.storage_class != conn.storage_class:
                raise PipelineError(f"dataset type {conn.dataset_type!r} has StorageClass {other.storage_class!r} "
                                    f"in {other_where} but {conn.storage_class!r} in {where}")
            if sorted(other.units) != sorted(conn.units):
                raise PipelineError(f"dataset type {conn.dataset_type!r} has DataUnits {list(other.units)} "
                                    f"in {other_where} but {list(conn.units)} in {where}")
    return found


def _producers(nodes: Sequence[TaskNode]) -> dict[str, str]:
    producers: dict[str, str] = {}
    for node in nodes:
        for cname, conn in node.connections(ConnectionKind.OUTPUT).items():
            previous = producers.setdefault(conn.dataset_type, node.label)
            if previous != node.label:
                raise PipelineError(f"dataset type {conn.dataset_type!r} is written by two tasks: "
                                    f"{previous!r} and {node.label!r} (output {cname!r})")
            for iname, other in node.connections(ConnectionKind.INPUT).items():
                if other.dataset_type == conn.dataset_type:
                    raise PipelineError(f"task {node.label!r} reads ({iname!r}) and writes ({cname!r}) "
                                        f"{conn.dataset_type!r}: a cycle")
    return producers


def _run_order(nodes: Sequence[TaskNode], producers: Mapping[str, str]) -> tuple[TaskNode, ...]:
    """Tasks with every producer before its consumers (pipeline order kept where free); cycles refused."""
    by_label = {n.label: n for n in nodes}
    needs = {n.label: {producers[c.dataset_type] for c in n.connections(ConnectionKind.INPUT).values()
                       if c.dataset_type in producers} for n in nodes}
    ordered: list[TaskNode] = []
    done: set[str] = set()
    while len(ordered) < len(nodes):
        ready = [label for label in by_label if label not in done and needs[label] <= done]
        if not ready:
            stuck = sorted(label for label in by_label if label not in done)
            raise PipelineError(f"the tasks {stuck} form a cycle: each reads what another writes")
        for label in ready:
            ordered.append(by_label[label])
            done.add(label)
    return tuple(ordered)


def check_output_run(run: str) -> str:
    """The output run name, checked like any collection name."""
    return check_collection_name(run)
