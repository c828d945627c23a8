"""Executing a quantum graph: the same outputs in this process and on a process pool, a provenance record per
quantum, failures that stay local, re-runs that run only what is missing."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler
from databutler.adapters.executors import ProcessPoolExecutorAdapter
from databutler.domain.pipeline import QuantumGraph
from databutler.domain.quantum import QuantumStatus
from databutler.ports.executor import Executor
from databutler.service.pipeline import build_quantum_graph, run_graph
from databutler.testing.pipeline_tasks import (
    CALEXP,
    GAIN,
    INPUTS,
    INSTRUMENT,
    SUMMARY,
    VISIT_SUMMARY,
    expected_total,
    outputs_of,
    raw_value,
    setup_repository,
    three_task_pipeline,
)

OUT = "out/run"
VISITS, DETECTORS = (1, 2), (1, 2, 3)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutorAdapter]:
    """Two worker processes, shared by the module's tests (a broken pool renews itself on submit)."""
    with ProcessPoolExecutorAdapter(2) as executor:
        assert isinstance(executor, ProcessPoolExecutorAdapter)
        yield executor


@pytest.fixture
def butler(tmp_path: Path) -> Iterator[Butler]:
    """A repository with 2 visits x 3 detectors of raws and a flat per detector."""
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler, VISITS, DETECTORS)
        yield butler


def plan(butler: Butler, **calibrate: Any) -> QuantumGraph:
    """The three-task pipeline (CalibrateTask configured with ``calibrate``) planned over ``butler``."""
    return build_quantum_graph(butler, three_task_pipeline(**calibrate), INPUTS, OUT)


def executor_of(kind: str, pool: Executor) -> Executor | None:
    return pool if kind == "pool" else None


def data_id(visit: int, detector: int) -> tuple[tuple[str, Any], ...]:
    return (("detector", detector), ("instrument", INSTRUMENT), ("visit", visit))


def assert_provenance(butler: Butler, graph: QuantumGraph) -> None:
    """Every planned quantum is recorded SUCCEEDED with its task, class, config, DataId, refs, run, times, host."""
    records = butler.registry.get_quanta([q.id for q in graph])
    for planned, record in zip(graph, records, strict=True):
        assert record is not None, planned
        assert record.status is QuantumStatus.SUCCEEDED
        assert (record.task, record.run, record.data_id) == (planned.label, OUT, planned.data_id)
        assert set(record.inputs) == {r.id for r in planned.read_refs()}
        assert set(record.outputs) == {r.id for r in planned.output_refs()}
        assert record.started is not None and record.ended is not None and record.started <= record.ended
        assert record.host == socket.gethostname()
        node = graph.pipeline[planned.label]
        assert record.metadata["task_class"] == node.class_name
        assert record.metadata["config"] == node.config_values()


def test_serial_and_process_pool_write_the_same_outputs_and_provenance(
        tmp_path: Path, pool: ProcessPoolExecutorAdapter) -> None:
    visits, detectors = (1, 2, 3), (1, 2, 3, 4)
    results: list[dict[str, dict[tuple[Any, ...], Any]]] = []
    for executor in (None, pool):
        with Butler.create(tmp_path / f"repo-{len(results)}") as butler:
            setup_repository(butler, visits, detectors)
            graph = plan(butler, scale=0.5)
            report = run_graph(butler, graph, executor=executor)
            assert report.ok and report.failures == []
            assert {label: c["done"] for label, c in report.counts.items()} == graph.counts()
            results.append(outputs_of(butler, OUT))
            planned = {r.id for q in graph for r in q.output_refs()}
            assert {r.id for t in (CALEXP, VISIT_SUMMARY, SUMMARY)
                    for r in butler.registry.datasets_in_collection(OUT, t)} == planned
            assert_provenance(butler, graph)
            assert butler.verify(butler.registry.datasets_in_collection(OUT)) == {}
            assert butler.find_orphans(0) == []
            if executor is pool:
                # at least one merge per task (each waits for the one before), far fewer than quanta
                assert 3 <= report.merges <= len(graph) // 3
    serial, pooled = results
    assert serial == pooled
    assert serial[SUMMARY][(("instrument", INSTRUMENT),)] == {
        "visits": 3, "total": expected_total(visits, detectors, scale=0.5)}
    assert len(serial[CALEXP]) == 12 and len(serial[VISIT_SUMMARY]) == 3


def test_config_values_are_recorded_with_each_quantum(butler: Butler) -> None:
    graph = plan(butler, scale=2.0)
    run_graph(butler, graph)
    records = [r for r in butler.registry.get_quanta([q.id for q in graph]) if r is not None]
    assert {r.metadata["config"]["scale"] for r in records if r.task == "calibrate"} == {2.0}
    assert {r.task: r.metadata["config"] for r in records if r.task != "calibrate"} == {
        "visit_summary": {}, "instrument_summary": {}}


@pytest.mark.parametrize("kind", ["serial", "pool"])
def test_failed_quantum_keeps_its_error_skips_its_downstream_and_not_the_other_branches(
        butler: Butler, pool: Executor, kind: str) -> None:
    graph = plan(butler, fail_visit=2, fail_detector=3)
    report = run_graph(butler, graph, executor=executor_of(kind, pool))
    assert not report.ok
    assert report.counts == {"calibrate": {"done": 5, "failed": 1, "skipped": 0, "existing": 0},
                             "visit_summary": {"done": 1, "failed": 0, "skipped": 1, "existing": 0},
                             "instrument_summary": {"done": 0, "failed": 0, "skipped": 1, "existing": 0}}
    [(label, failed_id, error)] = report.failures
    assert (label, failed_id["visit"], failed_id["detector"]) == ("calibrate", 2, 3)
    assert "calibration failed on purpose for visit 2 detector 3" in error
    failed = butler.registry.find_quanta(run=OUT, task="calibrate")
    [record] = [q for q in failed if q.status is QuantumStatus.FAILED]
    assert "RuntimeError: calibration failed on purpose" in record.metadata["error"] and record.outputs == ()
    skipped = [q for q in butler.registry.find_quanta(run=OUT) if q.status is QuantumStatus.SKIPPED]
    skipped_ids = sorted((q.task, q.data_id.get("visit") if q.data_id else None) for q in skipped)
    assert skipped_ids == [("instrument_summary", None), ("visit_summary", 2)]
    assert all("did not succeed" in q.metadata["error"] for q in skipped)
    outputs = outputs_of(butler, OUT)
    assert data_id(2, 3) not in outputs[CALEXP] and len(outputs[CALEXP]) == 5
    assert sorted(k[1][1] for k in outputs[VISIT_SUMMARY]) == [1]
    assert outputs[SUMMARY] == {}
    assert butler.find_orphans(0) == []


@pytest.mark.parametrize("kind", ["serial", "pool"])
def test_rerunning_the_same_graph_runs_only_what_is_missing(butler: Butler, pool: Executor, tmp_path: Path,
                                                            kind: str) -> None:
    graph = plan(butler, fail_visit=1, fail_detector=1, marker=str(tmp_path / "failed-once"))
    first = run_graph(butler, graph, executor=executor_of(kind, pool))
    assert first.counts["calibrate"]["failed"] == 1
    second = run_graph(butler, graph, executor=executor_of(kind, pool))
    assert second.ok
    assert {label: (c["done"], c["existing"]) for label, c in second.counts.items()} == {
        "calibrate": (1, 5), "visit_summary": (1, 1), "instrument_summary": (1, 0)}
    third = run_graph(butler, graph, executor=executor_of(kind, pool))
    assert {label: (c["done"], c["existing"]) for label, c in third.counts.items()} == {
        label: (0, n) for label, n in graph.counts().items()}
    outputs = outputs_of(butler, OUT)
    assert outputs[SUMMARY][(("instrument", INSTRUMENT),)]["total"] == expected_total(VISITS, DETECTORS)
    succeeded = [q for q in butler.registry.find_quanta(run=OUT) if q.status is QuantumStatus.SUCCEEDED]
    assert sorted(q.id for q in succeeded) == sorted(q.id for q in graph)


@pytest.mark.parametrize(("kind", "failure", "message"), [
    ("serial", "undeclared", r"run\(\) returned undeclared outputs \['background'\]; declared: \['calexp'\]"),
    ("serial", "refused", r"storage class .StructuredData. expects one of"),
    ("pool", "refused", r"storage class .StructuredData. expects one of"),
])
def test_output_the_task_may_not_write_fails_that_quantum_and_writes_nothing_for_it(
        butler: Butler, pool: Executor, kind: str, failure: str, message: str) -> None:
    graph = plan(butler, fail_visit=1, fail_detector=2, failure=failure)
    report = run_graph(butler, graph, executor=executor_of(kind, pool))
    [(label, failed_id, error)] = report.failures
    assert (label, failed_id["visit"], failed_id["detector"]) == ("calibrate", 1, 2)
    assert "PipelineError" in error or "Error" in error
    record = next(q for q in butler.registry.find_quanta(run=OUT, task="calibrate")
                  if q.status is QuantumStatus.FAILED)
    assert re.search(message, record.metadata["error"]), record.metadata["error"]
    outputs = outputs_of(butler, OUT)
    assert data_id(1, 2) not in outputs[CALEXP] and len(outputs[CALEXP]) == 5
    assert butler.find_orphans(0) == []
    assert butler.verify(butler.registry.datasets_in_collection(OUT)) == {}


@pytest.mark.parametrize("kind", ["serial", "pool"])
def test_outputs_a_failed_attempt_left_are_replaced_even_when_the_replacing_quantum_fails_once(
        butler: Butler, pool: Executor, tmp_path: Path, kind: str) -> None:
    butler.registry.register_dataset_type(three_task_pipeline().dataset_types()[CALEXP])
    left = butler.put({"visit": 1, "detector": 1, "value": -1.0}, CALEXP, dict(data_id(1, 1)), run=OUT)
    graph = build_quantum_graph(butler, three_task_pipeline(fail_visit=1, fail_detector=1,
                                                            marker=str(tmp_path / "failed-once")),
                                INPUTS, OUT, extend_run=True, clobber=True)
    assert [q.clobber for q in graph if q.clobber] == [(left,)]
    first = run_graph(butler, graph, executor=executor_of(kind, pool))
    assert [label for label, _, _ in first.failures] == ["calibrate"]
    assert run_graph(butler, graph, executor=executor_of(kind, pool)).ok
    assert butler.registry.get_datasets([left.id]) == [None]
    outputs = outputs_of(butler, OUT)
    assert outputs[CALEXP][data_id(1, 1)]["value"] == raw_value(1, 1) * GAIN
    assert outputs[SUMMARY][(("instrument", INSTRUMENT),)]["total"] == expected_total(VISITS, DETECTORS)
    assert butler.find_orphans(0) == []
