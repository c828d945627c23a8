"""Preflight: the quantum graph planned from registry queries, what it leaves out and why, and what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler import Butler
from databutler.domain.errors import CapabilityError, PipelineError
from databutler.service.pipeline import build_quantum_graph, run_graph
from databutler.testing.pipeline_tasks import (
    CALEXP,
    INPUTS,
    INSTRUMENT,
    LABELS,
    SUMMARY,
    expected_total,
    outputs_of,
    repository_state,
    setup_repository,
    three_task_pipeline,
)

OUT = "out/run"


@pytest.fixture
def butler(tmp_path: Path) -> Iterator[Butler]:
    """A repository with 2 visits x 2 detectors of raws and a flat per detector."""
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler)
        yield butler


def test_counts_per_task_of_the_three_task_pipeline(butler: Butler) -> None:
    graph = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
    assert graph.counts() == {"calibrate": 4, "visit_summary": 2, "instrument_summary": 1}
    assert graph.dropped == () and graph.skipped == {}
    calibrate = [q for q in graph if q.label == "calibrate"]
    assert all(len(q.inputs["raw"]) == 1 and len(q.prerequisites["flat"]) == 1 for q in calibrate)
    assert all(ref.run == OUT for q in graph for ref in q.output_refs())
    visit_one = next(q for q in graph if q.label == "visit_summary" and q.data_id["visit"] == 1)
    assert {r.id for r in visit_one.inputs["calexps"]} == {
        r.id for q in calibrate if q.data_id["visit"] == 1 for r in q.outputs["calexp"]}


def test_preflight_writes_nothing(butler: Butler) -> None:
    before = repository_state(butler)
    build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
    assert repository_state(butler) == before


@pytest.mark.parametrize(("where", "data_id", "counts"), [
    ("visit = 1", None, {"calibrate": 2, "visit_summary": 1, "instrument_summary": 1}),
    ("", {"instrument": INSTRUMENT, "detector": 2}, {"calibrate": 2, "visit_summary": 2, "instrument_summary": 1}),
    ("visit = 2 AND detector = 1", None, {"calibrate": 1, "visit_summary": 1, "instrument_summary": 1}),
])
def test_where_and_data_id_restrict_the_quanta(butler: Butler, where: str, data_id: dict[str, object] | None,
                                              counts: dict[str, int]) -> None:
    graph = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT, where=where, data_id=data_id)
    assert graph.counts() == counts


def test_bind_values_fill_the_where_expression(butler: Butler) -> None:
    graph = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT, where="visit IN (:visits)",
                                bind={"visits": [2]})
    assert {q.data_id["visit"] for q in graph if q.label != "instrument_summary"} == {2}


def test_missing_prerequisite_drops_its_quantum_with_the_reason(tmp_path: Path) -> None:
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler, flats=[1])
        graph = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
    assert graph.counts() == {"calibrate": 2, "visit_summary": 2, "instrument_summary": 1}
    assert {(d.label, d.data_id["visit"], d.data_id["detector"]) for d in graph.dropped} == {
        ("calibrate", 1, 2), ("calibrate", 2, 2)}
    assert all("prerequisite 'flat' (pipe_flat) not found" in d.reason for d in graph.dropped)
    # the visit summaries (multiple inputs) read only the calexps that will exist
    assert all([r.data_id["detector"] for r in q.inputs["calexps"]] == [1]
               for q in graph if q.label == "visit_summary")


def test_missing_prerequisite_drops_the_quanta_downstream_of_it(tmp_path: Path) -> None:
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler, visits=[1], detectors=[1], flats=[])
        graph = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
    assert len(graph) == 0
    reasons = {d.label: d.reason for d in graph.dropped}
    assert set(reasons) == set(LABELS)
    assert "prerequisite 'flat' (pipe_flat) not found" in reasons["calibrate"]
    assert "its producer calibrate" in reasons["visit_summary"] and "was dropped" in reasons["visit_summary"]
    assert "its producer visit_summary" in reasons["instrument_summary"]
    assert graph.dropped_counts()["calibrate"] == {reasons["calibrate"]: 1}


def test_skip_existing_in_leaves_out_done_quanta_and_resumes_the_rest(butler: Butler) -> None:
    failing = three_task_pipeline(fail_visit=1, fail_detector=1)
    first = run_graph(butler, build_quantum_graph(butler, failing, INPUTS, OUT))
    assert first.counts["calibrate"]["failed"] == 1
    resumed = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT, skip_existing_in=[OUT],
                                  extend_run=True)
    assert resumed.counts() == {"calibrate": 1, "visit_summary": 1, "instrument_summary": 1}
    assert resumed.skipped == {"calibrate": 3, "visit_summary": 1}
    visit_one = next(q for q in resumed if q.label == "instrument_summary")
    assert len(visit_one.inputs["summaries"]) == 2  # one existing, one planned
    assert run_graph(butler, resumed).ok
    assert outputs_of(butler, OUT)[SUMMARY][(("instrument", INSTRUMENT),)]["total"] == expected_total()


def test_everything_done_plans_nothing(butler: Butler) -> None:
    assert run_graph(butler, build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)).ok
    again = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT, skip_existing_in=[OUT], extend_run=True)
    assert len(again) == 0
    assert again.skipped == {"calibrate": 4, "visit_summary": 2, "instrument_summary": 1}


def test_extend_run_with_clobber_replaces_outputs_a_failed_attempt_left(butler: Butler) -> None:
    butler.registry.register_dataset_type(three_task_pipeline().dataset_types()[CALEXP])
    left = butler.put({"visit": 1, "detector": 1, "value": -1.0}, CALEXP,
                      {"instrument": INSTRUMENT, "visit": 1, "detector": 1}, run=OUT)
    before = repository_state(butler)
    with pytest.raises(PipelineError, match=r"already exist in 'out/run' \(pipe_calexp\); pass clobber"):
        build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT, extend_run=True)
    assert repository_state(butler) == before
    graph = build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT, extend_run=True, clobber=True)
    assert [q.clobber for q in graph if q.clobber] == [(left,)]
    assert run_graph(butler, graph).ok
    assert butler.registry.get_datasets([left.id]) == [None]
    outputs = outputs_of(butler, OUT)
    assert outputs[CALEXP][(("detector", 1), ("instrument", INSTRUMENT), ("visit", 1))]["value"] == 202.0
    assert outputs[SUMMARY][(("instrument", INSTRUMENT),)]["total"] == expected_total()


def test_existing_output_run_without_extend_run_is_refused(butler: Butler) -> None:
    butler.register_collection(OUT, butler.registry.get_collection(INPUTS[0]).kind)
    before = repository_state(butler)
    with pytest.raises(PipelineError, match=r"output run 'out/run' already exists; pass extend_run"):
        build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
    assert repository_state(butler) == before


def test_limited_registry_refuses_preflight(tmp_path: Path) -> None:
    config = {"registry": {"adapter": "limited", "root": "{root}/registry"}}
    with Butler.create(tmp_path / "repo", config) as butler:
        setup_repository(butler)
        before = repository_state(butler)
        with pytest.raises(CapabilityError, match=r"does not declare the capability 'queries'.*plan a pipeline"):
            build_quantum_graph(butler, three_task_pipeline(), INPUTS, OUT)
        assert repository_state(butler) == before
