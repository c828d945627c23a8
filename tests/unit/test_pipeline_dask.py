"""The Dask executor on a LocalCluster (127.0.0.1, two worker processes): the same outputs as a serial run."""

from __future__ import annotations

from pathlib import Path

import pytest

from databutler import Butler
from databutler.domain.quantum import QuantumStatus
from databutler.service.pipeline import build_quantum_graph, run_graph
from databutler.testing.pipeline_tasks import INPUTS, outputs_of, setup_repository, three_task_pipeline

pytest.importorskip("distributed")
from databutler.adapters.executors.dask import DaskExecutor

pytestmark = pytest.mark.slow

VISITS, DETECTORS = (1, 2), (1, 2, 3)


def test_dask_run_writes_what_a_serial_run_writes_and_records_failures(tmp_path: Path) -> None:
    results: list[tuple[object, object]] = []
    dask = DaskExecutor(workers=2)
    with dask:
        assert dask.address.startswith("tcp://127.0.0.1:")
        for executor in (None, dask):
            with Butler.create(tmp_path / f"repo-{len(results)}") as butler:
                setup_repository(butler, VISITS, DETECTORS)
                graph = build_quantum_graph(butler, three_task_pipeline(fail_visit=1, fail_detector=3), INPUTS, "out")
                report = run_graph(butler, graph, executor=executor)
                [(label, _, error)] = report.failures
                assert label == "calibrate" and "calibration failed on purpose" in error
                statuses = sorted(r.status.value for r in butler.registry.find_quanta(run="out"))
                assert statuses.count(QuantumStatus.SUCCEEDED.value) == len(graph) - 3
                assert butler.find_orphans(0) == []
                results.append((outputs_of(butler, "out"), report.counts))
                if executor is dask:
                    assert report.merges < len(graph)
    assert results[0] == results[1]
