"""The example pipeline: its tasks as plain functions, by entry point, and run over the demo repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from databutler_example_pipeline import (
    RAW_RUN,
    Calibrate,
    CalibrateConfig,
    SurveySummary,
    SurveySummaryConfig,
    VisitSummary,
    make_demo_repository,
)
from databutler_example_pipeline.demo_repo import main

from databutler import Butler
from databutler.service.pipeline import build_quantum_graph, import_task, load_pipeline, run_graph

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline.yaml"


def test_calibrate_subtracts_the_background_and_counts_pixels_above_the_threshold() -> None:
    raw = {"visit": 1, "detector": 2, "exposure_time": 30.0, "pixels": [100.0] * 9 + [130.0, 104.0]}
    calexp = Calibrate(CalibrateConfig(threshold=5.0)).run(raw=raw)["calexp"]
    assert calexp["background"] == 100.0
    assert calexp["n_sources"] == 1
    assert Calibrate(CalibrateConfig(threshold=3.0)).run(raw=raw)["calexp"]["n_sources"] == 2


def test_calibrate_refuses_a_raw_without_pixels() -> None:
    with pytest.raises(ValueError, match="raw of visit 1 detector 0 has no pixels"):
        Calibrate().run(raw={"visit": 1, "detector": 0, "pixels": []})


def test_visit_and_survey_summaries_add_up() -> None:
    calexps = [{"visit": 4, "n_sources": n, "background": b} for n, b in ((3, 100.0), (5, 102.0))]
    summary = VisitSummary().run(calexps=calexps)["summary"]
    assert summary == {"visit": 4, "detectors": 2, "n_sources": 8, "mean_background": 101.0}
    empty = {"visit": 5, "detectors": 2, "n_sources": 0, "mean_background": 100.0}
    survey = SurveySummary(SurveySummaryConfig(min_sources=1)).run(summaries=[summary, empty])["survey"]
    assert survey == {"visits": 2, "rejected_visits": 1, "detector_exposures": 4, "n_sources": 8}


def test_the_tasks_are_entry_points_of_databutler_tasks() -> None:
    assert import_task("calibrate") is Calibrate
    assert import_task("visit_summary") is VisitSummary
    assert import_task("survey_summary") is SurveySummary


def test_the_pipeline_runs_over_the_demo_repository(tmp_path: Path) -> None:
    with make_demo_repository(tmp_path / "repo", visits=2, detectors=3) as butler:
        graph = build_quantum_graph(butler, load_pipeline(PIPELINE), [RAW_RUN], "demo/run1")
        assert graph.counts() == {"calibrate": 6, "visit_summary": 2, "survey_summary": 1}
        report = run_graph(butler, graph)
        assert report.ok, report.failures
        survey = butler.get("survey_summary", instrument="DemoCam", collections="demo/run1")
    assert survey["visits"] == 2 and survey["detector_exposures"] == 6 and survey["n_sources"] > 0


def test_the_script_makes_the_demo_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(tmp_path / "repo"), "--visits", "2", "--detectors", "2"])
    assert "4 raws in run 'DemoCam/raw'" in capsys.readouterr().out
    with Butler(tmp_path / "repo", collections=[RAW_RUN]) as butler:
        assert len(list(butler.query_datasets("raw"))) == 4
