"""Preflight finds a calibration prerequisite in a CALIBRATION collection at the time of each quantum's visit."""

from __future__ import annotations

import datetime
from pathlib import Path

from databutler import Butler, CollectionKind, DatasetType, Timespan
from databutler.service.pipeline import build_quantum_graph, run_graph
from databutler.testing.pipeline_tasks import (
    CALIB_RUN,
    FLAT,
    INSTRUMENT,
    RAW_RUN,
    expected_total,
    outputs_of,
    setup_repository,
    three_task_pipeline,
)

NEW_FLATS = "PipeCam/calib/new"
OUT = "out/run"


def test_each_quantum_gets_the_flat_valid_at_its_visit(tmp_path: Path) -> None:
    noon = datetime.datetime(2024, 1, 1, 12)
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler, flats=[])
        registry = butler.registry
        registry.remove_dataset_type(FLAT)  # the same flat, now a calibration type
        registry.register_dataset_type(DatasetType(FLAT, ("instrument", "detector"), "StructuredData",
                                                   is_calibration=True))
        minute = datetime.timedelta(minutes=1)
        registry.update_data_units("visit", [  # visit 1 in the morning, visit 2 in the afternoon
            {"instrument": INSTRUMENT, "id": v, "timespan": Timespan(t, t + minute)}
            for v, t in ((1, noon - 3 * minute * 60), (2, noon + 3 * minute * 60))])
        old = butler.put_many([({"gain": 2.0}, FLAT, {"instrument": INSTRUMENT, "detector": d}) for d in (1, 2)],
                              run=CALIB_RUN)
        new = butler.put_many([({"gain": 4.0}, FLAT, {"instrument": INSTRUMENT, "detector": d}) for d in (1, 2)],
                              run=NEW_FLATS)
        registry.register_collection("PipeCam/flats", CollectionKind.CALIBRATION)
        registry.certify("PipeCam/flats", old, Timespan(None, noon))
        registry.certify("PipeCam/flats", new, Timespan(noon, None))
        graph = build_quantum_graph(butler, three_task_pipeline(), (RAW_RUN, "PipeCam/flats"), OUT)
        flats = {(q.data_id["visit"], q.data_id["detector"]): q.prerequisites["flat"][0]
                 for q in graph if q.label == "calibrate"}
        assert flats == {(1, 1): old[0], (1, 2): old[1], (2, 1): new[0], (2, 2): new[1]}
        assert graph.dropped == ()
        assert run_graph(butler, graph).ok
        total = outputs_of(butler, OUT)
    morning, afternoon = expected_total(visits=[1]), expected_total(visits=[2])
    summary = next(iter(total["pipe_summary"].values()))
    assert summary["total"] == morning + 2 * afternoon  # visit 2 calibrated with the new flats' doubled gain
