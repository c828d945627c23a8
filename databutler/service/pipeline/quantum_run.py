"""Running one planned quantum: read its inputs, call the task, check and store the outputs, record it."""

from __future__ import annotations

import datetime
import logging
import socket
import traceback
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ...domain.dataset import DatasetRef
from ...domain.errors import DataButlerError, PipelineError
from ...domain.pipeline import ConnectionKind, PipelineTask, PlannedQuantum, TaskNode
from ...domain.quantum import Quantum, QuantumStatus
from ..butler import Butler

LOG_RECORDS_KEPT = 100
"""How many log records a quantum keeps in its metadata (the last ones)."""


@attrs.frozen
class QuantumOutcome:
    """How one planned quantum ended; ``error`` says why it failed."""

    id: uuid.UUID
    label: str
    status: QuantumStatus
    error: str | None = None


class _Capture(logging.Handler):
    """Keeps the log records emitted while a task runs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}")
        del self.records[:-LOG_RECORDS_KEPT]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def run_quantum(butler: Butler, node: TaskNode, task: PipelineTask, planned: PlannedQuantum, run: str
                ) -> QuantumOutcome:
    """Run ``planned`` with ``task`` against ``butler``; outputs and the quantum record commit together.

    A quantum that fails (its inputs cannot be read, ``run`` raises, returns undeclared outputs or
    objects its StorageClasses refuse) writes nothing but a FAILED quantum record carrying the error.
    """
    computed = compute_quantum(butler, node, task, planned, run)
    if isinstance(computed, QuantumOutcome):
        return computed
    return store_quanta(butler, [computed])[0]


@attrs.frozen
class ComputedQuantum:
    """A quantum whose task has run: the outputs to store and the record to commit with them."""

    node: TaskNode
    planned: PlannedQuantum
    items: list[tuple[Any, DatasetRef]]
    record: Quantum


def compute_quantum(butler: Butler, node: TaskNode, task: PipelineTask, planned: PlannedQuantum, run: str
                    ) -> ComputedQuantum | QuantumOutcome:
    """Read the inputs and call the task; a failure is recorded and returned as a FAILED outcome."""
    started = _now()
    capture = _Capture()
    metadata: dict[str, Any] = {"task_class": node.class_name, "config": node.config_values(),
                                "planned_id": str(planned.id)}
    try:
        if planned.clobber:
            butler.remove(list(planned.clobber))
        inputs = _read_inputs(butler, node, planned)
        root = logging.getLogger()
        root.addHandler(capture)
        try:
            returned = task.run(**inputs)
        finally:
            root.removeHandler(capture)
        items = _outputs(node, planned, returned)
    except Exception as err:
        return _failed(butler, node, planned, run, started=started, metadata=metadata, capture=capture, err=err)
    metadata["log"] = capture.records
    record = Quantum(node.label, run, planned.data_id, [r.id for r in planned.read_refs()],
                     [ref.id for _, ref in items], QuantumStatus.SUCCEEDED, started, _now(),
                     socket.gethostname(), metadata, planned.id)
    return ComputedQuantum(node, planned, items, record)


def store_quanta(butler: Butler, computed: Sequence[ComputedQuantum]) -> list[QuantumOutcome]:
    """Store the outputs of ``computed`` quanta and their records in one transaction.

    If that fails, each quantum is stored on its own, so one refused object fails its quantum only.
    """
    if len(computed) > 1:
        try:
            butler.put_resolved([i for c in computed for i in c.items], quanta=[c.record for c in computed],
                                replace_orphans=True)
        except DataButlerError:
            pass  # one of them is refused: find which, one by one
        else:
            return [QuantumOutcome(c.planned.id, c.node.label, QuantumStatus.SUCCEEDED) for c in computed]
    outcomes = []
    for c in computed:
        try:
            butler.put_resolved(c.items, quanta=[c.record], replace_orphans=True)
        except DataButlerError as err:
            metadata = {k: v for k, v in c.record.metadata.items() if k != "log"}
            capture = _Capture()
            capture.records = list(c.record.metadata.get("log", []))
            outcomes.append(_failed(butler, c.node, c.planned, c.record.run, started=c.record.started or _now(),
                                    metadata=metadata, capture=capture, err=err))
        else:
            outcomes.append(QuantumOutcome(c.planned.id, c.node.label, QuantumStatus.SUCCEEDED))
    return outcomes


def _failed(butler: Butler, node: TaskNode, planned: PlannedQuantum, run: str, *, started: datetime.datetime,
            metadata: dict[str, Any], capture: _Capture, err: BaseException) -> QuantumOutcome:
    """Record a FAILED quantum (a new id: quanta are immutable, the planned id is kept for success)."""
    if isinstance(err, DataButlerError):
        message = f"{type(err).__name__}: {err}"
    else:
        frames = traceback.format_exception(type(err), err, err.__traceback__)
        message = f"{type(err).__name__}: {err}\n" + "".join(frames[-6:])
    metadata = {**metadata, "error": message, "log": capture.records}
    quantum = Quantum(node.label, run, planned.data_id, [r.id for r in planned.read_refs()], [],
                      QuantumStatus.FAILED, started, _now(), socket.gethostname(), metadata)
    butler.registry.insert_quanta([quantum])
    return QuantumOutcome(planned.id, node.label, QuantumStatus.FAILED, message.splitlines()[0])


def skipped_quantum(node: TaskNode, planned: PlannedQuantum, run: str, because: str) -> Quantum:
    """The record of a quantum not run because one upstream of it failed."""
    now = _now()
    return Quantum(node.label, run, planned.data_id, [r.id for r in planned.read_refs()], [],
                   QuantumStatus.SKIPPED, now, now, socket.gethostname(),
                   {"task_class": node.class_name, "config": node.config_values(), "planned_id": str(planned.id),
                    "error": because})


def _read_inputs(butler: Butler, node: TaskNode, planned: PlannedQuantum) -> dict[str, Any]:
    """One keyword per input and prerequisite connection: an object, or a list for ``multiple``."""
    refs = planned.read_refs()
    objects = dict(zip((r.id for r in refs), butler.get_many(refs), strict=True)) if refs else {}
    inputs: dict[str, Any] = {}
    connections = node.connections()
    for mapping in (planned.inputs, planned.prerequisites):
        for name, found in mapping.items():
            values = [objects[r.id] for r in found]
            inputs[name] = values if connections[name].multiple else values[0]
    return inputs


def _outputs(node: TaskNode, planned: PlannedQuantum, returned: Any) -> list[tuple[Any, DatasetRef]]:
    """The (object, ref) pairs to store; undeclared, missing or mis-shaped outputs are PipelineErrors."""
    declared = node.connections(ConnectionKind.OUTPUT)
    where = f"task {node.label!r} ({node.class_name}) {dict(planned.data_id)}"
    if not isinstance(returned, Mapping):
        raise PipelineError(f"{where}: run() must return a mapping of output names to objects, "
                            f"not {type(returned).__name__}")
    unknown = sorted(set(returned) - set(declared))
    if unknown:
        raise PipelineError(f"{where}: run() returned undeclared outputs {unknown}; declared: {sorted(declared)}")
    missing = sorted(set(declared) - set(returned))
    if missing:
        raise PipelineError(f"{where}: run() did not return declared outputs {missing}")
    items: list[tuple[Any, DatasetRef]] = []
    for name, conn in declared.items():
        refs: Sequence[DatasetRef] = planned.outputs.get(name, ())
        value = returned[name]
        if conn.multiple:
            if not isinstance(value, Sequence) or isinstance(value, str | bytes) or len(value) != len(refs):
                raise PipelineError(f"{where}: output {name!r} is multiple: return a list of {len(refs)} objects, "
                                    "one per DataId planned")
            items.extend(zip(value, refs, strict=True))
        else:
            items.append((value, refs[0]))
    return items
