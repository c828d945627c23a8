"""Preflight and a serial run of the three-task pipeline (a tiny graph) on every registry x datastore pair.

The pairs, their butler.yaml sections and the shared servers (PostgreSQL cluster, moto S3) are the
Butler matrix's (test_butler_matrix). A registry without queries (the limited one) must refuse
preflight with CapabilityError and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import test_butler_matrix as matrix

from databutler import Butler
from databutler.domain.errors import CapabilityError
from databutler.domain.quantum import QuantumStatus
from databutler.ports.capabilities import RegistryCapability
from databutler.service.pipeline import build_quantum_graph, run_graph
from databutler.testing.pipeline_tasks import (
    INPUTS,
    INSTRUMENT,
    SUMMARY,
    expected_total,
    outputs_of,
    repository_state,
    setup_repository,
    three_task_pipeline,
)

# the matrix's shared servers and releases, started only by the pairs that need them
release_reader = matrix.release_reader
matrix_database = matrix.matrix_database
postgres_password = matrix.postgres_password
sqlite_release = matrix.sqlite_release
release_datasets = matrix.release_datasets
matrix_bucket = matrix.matrix_bucket

OUT = "out/run"
VISITS, DETECTORS = (1,), (1, 2)


@pytest.fixture(params=matrix.PAIRS)
def make_butler(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Butler]]:
    """A factory of fresh Butlers on the parametrised pair."""
    site = matrix.Site(request, tmp_path)
    yield from matrix.butlers(site, lambda: matrix.pair_config(request.param, site))


def test_preflight_and_serial_run_of_the_three_task_pipeline(make_butler: Callable[..., Butler]) -> None:
    butler = make_butler()
    setup_repository(butler, VISITS, DETECTORS)
    if RegistryCapability.QUERIES not in butler.registry.capabilities:
        before = repository_state(butler)
        with pytest.raises(CapabilityError, match="plan a pipeline"):
            build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
        assert repository_state(butler) == before
        return
    graph = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
    assert graph.counts() == {"calibrate": 2, "visit_summary": 1, "instrument_summary": 1}
    report = run_graph(butler, graph)
    assert report.ok, report.failures
    assert outputs_of(butler, OUT)[SUMMARY][(("instrument", INSTRUMENT),)]["total"] == expected_total(
        VISITS, DETECTORS)
    records = butler.registry.get_quanta([q.id for q in graph])
    assert all(r is not None and r.status is QuantumStatus.SUCCEEDED for r in records)
    assert butler.verify(butler.registry.datasets_in_collection(OUT)) == {}
