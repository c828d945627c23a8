"""kill -9 during a pipeline run (of a pool worker, of the whole run), then a re-run: the repository ends consistent.

The kill is the task's own (SIGKILL of its process for one DataId, the first time only, remembered
by a marker file), so it lands at a known quantum without timing. After the re-run:

- every planned quantum has a SUCCEEDED record, and the run's outputs are exactly the planned ones;
- every output exists once per DataId and reads back the expected value;
- ``verify`` is clean for every dataset of the run, and no orphan file is left (any age).
"""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from databutler import Butler
from databutler.adapters.executors import ProcessPoolExecutorAdapter
from databutler.domain.pipeline import QuantumGraph
from databutler.domain.quantum import QuantumStatus
from databutler.service.pipeline import build_quantum_graph, load_graph, run_graph, save_graph
from databutler.testing.pipeline_tasks import (
    CALEXP,
    INPUTS,
    INSTRUMENT,
    SUMMARY,
    VISIT_SUMMARY,
    expected_total,
    outputs_of,
    setup_repository,
    three_task_pipeline,
)

pytestmark = pytest.mark.slow

OUT = "out/run"
VISITS, DETECTORS = (1, 2), (1, 2, 3)

RUN_SCRIPT = """
import sys
from databutler import Butler
from databutler.service.pipeline import load_graph, run_graph
with Butler(sys.argv[1]) as butler:
    run_graph(butler, load_graph(sys.argv[2], butler.registry.universe))
"""


def assert_consistent(butler: Butler, graph: QuantumGraph, figures: collections.Counter[str]) -> None:
    """Every planned quantum succeeded once, every output exists once with its value, no damage, no orphan."""
    records = butler.registry.get_quanta([q.id for q in graph])
    assert all(r is not None and r.status is QuantumStatus.SUCCEEDED for r in records)
    stored = {r.id for t in (CALEXP, VISIT_SUMMARY, SUMMARY) for r in butler.registry.datasets_in_collection(OUT, t)}
    assert stored == {r.id for q in graph for r in q.output_refs()}
    outputs = outputs_of(butler, OUT)
    assert (len(outputs[CALEXP]), len(outputs[VISIT_SUMMARY])) == (len(VISITS) * len(DETECTORS), len(VISITS))
    assert outputs[SUMMARY][(("instrument", INSTRUMENT),)]["total"] == expected_total(VISITS, DETECTORS)
    assert butler.verify(butler.registry.datasets_in_collection(OUT)) == {}
    orphans = butler.find_orphans(0)
    figures["orphans_left_after_recovery"] += len(orphans)
    assert orphans == []


def test_killed_pool_worker_then_rerun_leaves_the_repository_consistent(
        tmp_path: Path, figures: collections.Counter[str]) -> None:
    marker = tmp_path / "killed-once"
    with Butler.create(tmp_path / "repo") as butler, ProcessPoolExecutorAdapter(2) as pool:
        setup_repository(butler, VISITS, DETECTORS)
        graph = build_quantum_graph(butler, three_task_pipeline(fail_visit=2, fail_detector=2, failure="kill",
                                                                marker=str(marker)), INPUTS, OUT)
        first = run_graph(butler, graph, executor=pool)
        assert marker.exists()
        figures["kills"] += 1
        assert not first.ok
        assert any("BrokenProcessPool" in error or "terminated abruptly" in error for _, _, error in first.failures)
        second = run_graph(butler, graph, executor=pool)
        assert second.ok, second.failures
        assert_consistent(butler, graph, figures)


def test_killed_local_run_then_rerun_leaves_the_repository_consistent(
        tmp_path: Path, figures: collections.Counter[str]) -> None:
    marker = tmp_path / "killed-once"
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler, VISITS, DETECTORS)
        graph = build_quantum_graph(butler, three_task_pipeline(fail_visit=2, fail_detector=2, failure="kill",
                                                                marker=str(marker)), INPUTS, OUT)
    save_graph(graph, tmp_path / "graph.json")
    killed = subprocess.run([sys.executable, "-c", RUN_SCRIPT, str(tmp_path / "repo"), str(tmp_path / "graph.json")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    figures["kills"] += 1
    with Butler(tmp_path / "repo") as butler:
        recorded = [r for r in butler.registry.get_quanta([q.id for q in graph]) if r is not None]
        assert 0 < len(recorded) < len(graph)  # killed part-way: some quanta done, the rest not
        graph = load_graph(tmp_path / "graph.json", butler.registry.universe)
        report = run_graph(butler, graph)
        assert report.ok, report.failures
        assert sum(c["existing"] for c in report.counts.values()) == len(recorded)
        assert_consistent(butler, graph, figures)
