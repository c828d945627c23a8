"""Executing a quantum graph: in this process or through an Executor, recording every quantum."""

from __future__ import annotations

import concurrent.futures
import math
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ...domain.collection import CollectionKind
from ...domain.errors import PipelineError
from ...domain.pipeline import PlannedQuantum, QuantumGraph
from ...domain.quantum import Quantum, QuantumStatus
from ...ports.executor import Executor
from ..butler import Butler
from .quantum_run import QuantumOutcome, run_quantum, skipped_quantum
from .worker import JobResult, QuantumJob, merge_results, run_job, worker_config

Listener = Callable[[str, str], None]
"""Called with (task label, one of "done", "failed", "skipped", "existing") as each quantum ends."""

MAX_JOB_QUANTA = 64


@attrs.define
class ExecutionReport:
    """How a graph's execution went, per task label."""

    counts: dict[str, dict[str, int]]
    """label -> {"done", "failed", "skipped", "existing"}: run now, failed, skipped (upstream failed), done before."""
    failures: list[tuple[str, dict[str, Any], str]] = attrs.field(factory=list)
    """(label, DataId, error) of each failed quantum."""
    merges: int = 0
    """Merge transactions into the central registry (executors outside this process)."""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every quantum of the graph has succeeded (now or before)."""
        return not any(c["failed"] or c["skipped"] for c in self.counts.values())


def check_graph(butler: Butler, graph: QuantumGraph) -> None:
    """Refuse a graph planned on another repository (or whose inputs were removed since)."""
    universe = butler.registry.universe
    if tuple(graph.universe) != (universe.namespace, universe.version):
        raise PipelineError(f"the graph was planned on a repository with universe {graph.universe}, "
                            f"this one has {(universe.namespace, universe.version)}")
    external = graph.external_inputs()
    found = butler.registry.get_datasets([r.id for r in external])
    unknown = [r for r, f in zip(external, found, strict=True)
               if f is None or f.dataset_type.name != r.dataset_type.name]
    if unknown:
        raise PipelineError(f"{len(unknown)} of the {len(external)} datasets this graph reads are not in this "
                            f"repository (e.g. {unknown[0]!r}): it was planned on another repository, or they were "
                            "removed since; plan it again here")


def run_graph(butler: Butler, graph: QuantumGraph, *, executor: Executor | None = None,
              listener: Listener | None = None, merge_batch: int = 256) -> ExecutionReport:
    """Run every quantum of ``graph`` not already done; failures skip what depends on them, nothing else.

    Quanta recorded as SUCCEEDED in the repository (by the planned id) are not run again, so
    running the same graph after an interruption runs only what is missing.
    """
    started = time.perf_counter()
    check_graph(butler, graph)
    run = graph.output_run
    calibrations = {t.name for t in butler.registry.query_dataset_types() if t.is_calibration}
    for dataset_type in graph.pipeline.dataset_types().values():
        # Connections cannot say a type is a calibration one; the repository's flag stands.
        declared = attrs.evolve(dataset_type, is_calibration=dataset_type.name in calibrations)
        butler.registry.register_dataset_type(declared.normalized(butler.registry.universe))
    butler.register_collection(run, CollectionKind.RUN)
    state = _State(butler, graph, listener)
    if executor is None or executor.in_process:
        _run_here(butler, graph, state)
    else:
        _run_remote(butler, graph, state, executor, merge_batch)
    state.flush_skipped()
    state.report.seconds = time.perf_counter() - started
    return state.report


class _State:
    """Which quanta are done, failed or waiting, and the records of skipped ones."""

    def __init__(self, butler: Butler, graph: QuantumGraph, listener: Listener | None) -> None:
        self.butler, self.graph, self.listener = butler, graph, listener
        self.upstream = graph.upstream()
        self.status: dict[uuid.UUID, QuantumStatus] = {}
        self.skipped: list[Quantum] = []
        self.report = ExecutionReport({label: {"done": 0, "failed": 0, "skipped": 0, "existing": 0}
                                       for label in graph.pipeline.labels})
        recorded = butler.registry.get_quanta([q.id for q in graph.quanta])
        for quantum, record in zip(graph.quanta, recorded, strict=True):
            if record is not None and record.status is QuantumStatus.SUCCEEDED:
                self.status[quantum.id] = QuantumStatus.SUCCEEDED
                self._count(quantum.label, "existing")

    def _count(self, label: str, what: str) -> None:
        self.report.counts[label][what] += 1
        if self.listener is not None:
            self.listener(label, what)

    def blocked_by(self, quantum: PlannedQuantum) -> uuid.UUID | None:
        """An upstream quantum that failed or was skipped, if any."""
        for up in self.upstream[quantum.id]:
            if self.status.get(up) in (QuantumStatus.FAILED, QuantumStatus.SKIPPED):
                return up
        return None

    def ready(self, quantum: PlannedQuantum) -> bool:
        return quantum.id not in self.status and all(
            self.status.get(up) is QuantumStatus.SUCCEEDED for up in self.upstream[quantum.id])

    def skip(self, quantum: PlannedQuantum, blocker: uuid.UUID) -> None:
        node = self.graph.pipeline[quantum.label]
        self.status[quantum.id] = QuantumStatus.SKIPPED
        self.skipped.append(skipped_quantum(node, quantum, self.graph.output_run,
                                            f"upstream quantum {blocker} did not succeed"))
        self._count(quantum.label, "skipped")

    def ended(self, outcome: QuantumOutcome, quantum: PlannedQuantum) -> None:
        self.status[outcome.id] = outcome.status
        if outcome.status is QuantumStatus.SUCCEEDED:
            self._count(outcome.label, "done")
        else:
            self.report.failures.append((outcome.label, dict(quantum.data_id), outcome.error or "failed"))
            self._count(outcome.label, "failed")

    def flush_skipped(self) -> None:
        if self.skipped:
            self.butler.registry.insert_quanta(self.skipped)
            self.skipped = []


def _run_here(butler: Butler, graph: QuantumGraph, state: _State) -> None:
    """Run quanta one by one in run order with the repository's own registry."""
    tasks = {node.label: node.make_task() for node in graph.pipeline.tasks}
    for quantum in graph.quanta:
        if quantum.id in state.status:
            continue
        blocker = state.blocked_by(quantum)
        if blocker is not None:
            state.skip(quantum, blocker)
            continue
        node = graph.pipeline[quantum.label]
        state.ended(run_quantum(butler, node, tasks[quantum.label], quantum, graph.output_run), quantum)


def _run_remote(butler: Butler, graph: QuantumGraph, state: _State, executor: Executor, merge_batch: int) -> None:
    """Ship ready quanta in jobs, merge finished jobs back in batches, until nothing more can run."""
    config = worker_config(butler.config)
    by_id = {q.id: q for q in graph.quanta}
    tasks = {node.label: node for node in graph.pipeline.tasks}
    types = tuple(t.normalized(butler.registry.universe) for t in graph.pipeline.dataset_types().values())
    waiting = [q for q in graph.quanta if q.id not in state.status]
    in_flight: dict[concurrent.futures.Future[JobResult], tuple[PlannedQuantum, ...]] = {}
    finished: list[tuple[JobResult, tuple[PlannedQuantum, ...]]] = []

    def submit_ready() -> None:
        nonlocal waiting
        ready, rest = [], []
        for quantum in waiting:
            blocker = state.blocked_by(quantum)
            if blocker is not None:
                state.skip(quantum, blocker)
            elif state.ready(quantum):
                ready.append(quantum)
            else:
                rest.append(quantum)
        waiting = rest
        if not ready:
            return
        ready = _clobbered_here(butler, ready)
        size = max(1, min(MAX_JOB_QUANTA, math.ceil(len(ready) / (executor.workers * 4))))
        for start in range(0, len(ready), size):
            chunk = tuple(ready[start:start + size])
            subset = butler.registry.export_subset([r for q in chunk for r in q.read_refs()])
            job = QuantumJob(config, subset, {q.label: tasks[q.label] for q in chunk}, chunk, graph.output_run,
                             types)
            in_flight[executor.submit(run_job, job)] = chunk

    def merge() -> None:
        nonlocal finished
        if not finished:
            return
        merge_results(butler.registry, config, [result for result, _ in finished])
        state.report.merges += 1
        for result, _ in finished:
            for outcome in result.outcomes:
                state.ended(outcome, by_id[outcome.id])
        finished = []

    submit_ready()
    while in_flight or finished:
        done, _ = concurrent.futures.wait(list(in_flight), return_when=concurrent.futures.FIRST_COMPLETED) \
            if in_flight else (set(), set())
        for future in done:
            chunk = in_flight.pop(future)
            try:
                finished.append((future.result(), chunk))
            except Exception as err:
                _job_failed(butler, graph, state, chunk, err)
        pending = sum(len(c) for _, c in finished)
        if pending >= merge_batch or len(in_flight) < executor.workers:
            merge()
            submit_ready()
    for quantum in waiting:  # only quanta behind failures remain
        blocker = state.blocked_by(quantum)
        if blocker is not None:
            state.skip(quantum, blocker)


def _clobbered_here(butler: Butler, quanta: list[PlannedQuantum]) -> list[PlannedQuantum]:
    """Remove the outputs earlier attempts left (``clobber``) from the central repository; the quanta without them.

    A worker's registry holds only what its quanta read, so it cannot remove them itself (and the
    merge would then find two datasets for one DataId in the output run).
    """
    doomed = [ref for quantum in quanta for ref in quantum.clobber]
    if not doomed:
        return quanta
    butler.remove(doomed)
    return [attrs.evolve(quantum, clobber=()) if quantum.clobber else quantum for quantum in quanta]


def _job_failed(butler: Butler, graph: QuantumGraph, state: _State, chunk: Sequence[PlannedQuantum],
                err: BaseException) -> None:
    """Record every quantum of a job whose worker died or raised as FAILED (their files become orphans)."""
    message = f"the job running this quantum failed: {type(err).__name__}: {err}"
    records = []
    for quantum in chunk:
        node = graph.pipeline[quantum.label]
        record = skipped_quantum(node, quantum, graph.output_run, message)
        records.append(attrs.evolve(record, status=QuantumStatus.FAILED, id=uuid.uuid4()))
        state.ended(QuantumOutcome(quantum.id, quantum.label, QuantumStatus.FAILED, message), quantum)
    butler.registry.insert_quanta(records)
