"""A three-task pipeline for tests (per detector, per visit, per instrument), importable by pool and Dask workers.

Content: ``setup_repository(butler)`` inserts the DataUnit records of ``INSTRUMENT``, a raw
dataset per visit and detector in ``RAW_RUN`` and a flat per detector in ``CALIB_RUN``;
``three_task_pipeline()`` plans ``CalibrateTask`` (raw + flat prerequisite -> calexp),
``VisitSummaryTask`` (calexps of a visit -> visit summary) and ``InstrumentSummaryTask``
(visit summaries -> one instrument summary). ``expected_total`` is what the last one must hold.

``CalibrateTask`` misbehaves on purpose for one visit and detector when its config says so
(``failure``: raise, return an undeclared output, return an object its StorageClass refuses,
or SIGKILL its own process), every time or, with a marker file, only the first time.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..domain.pipeline import Input, Output, Pipeline, PipelineTask, PrerequisiteInput, class_path
from ..service.butler import Butler
from ..service.pipeline import pipeline_from_mapping

INSTRUMENT = "PipeCam"
RAW_RUN = "PipeCam/raw"
CALIB_RUN = "PipeCam/calib"
INPUTS = (RAW_RUN, CALIB_RUN)
RAW, FLAT, CALEXP, VISIT_SUMMARY, SUMMARY = "pipe_raw", "pipe_flat", "pipe_calexp", "pipe_visit_summary", "pipe_summary"
DETECTOR_UNITS = ("instrument", "visit", "detector")
VISIT_UNITS = ("instrument", "visit")
FAILURES = ("raise", "undeclared", "refused", "kill")
GAIN = 2.0


def raw_value(visit: int, detector: int) -> int:
    """What the raw dataset of one visit and detector holds."""
    return visit * 100 + detector


def setup_repository(butler: Butler, visits: Sequence[int] = (1, 2), detectors: Sequence[int] = (1, 2), *,
                     flats: Iterable[int] | None = None) -> list[DatasetRef]:
    """DataUnits, raws in RAW_RUN and flats (of ``flats``, default every detector) in CALIB_RUN; the raw refs."""
    registry = butler.registry
    registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 100, "visit_max": 10**6,
                                               "exposure_max": 10**6}])
    registry.insert_data_units("physical_filter", [{"instrument": INSTRUMENT, "name": "PC-r", "band": "r"}])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d, "full_name": f"S{d:02d}",
                                             "purpose": "SCIENCE"} for d in detectors])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": 20240101}])
    registry.insert_data_units("visit", [{"instrument": INSTRUMENT, "id": v, "physical_filter": "PC-r",
                                          "day_obs": 20240101, "exposure_time": 30.0} for v in visits])
    registry.register_dataset_type(DatasetType(RAW, DETECTOR_UNITS, "StructuredData"))
    registry.register_dataset_type(DatasetType(FLAT, ("instrument", "detector"), "StructuredData"))
    butler.register_collection(CALIB_RUN, CollectionKind.RUN)
    flat_detectors = list(detectors if flats is None else flats)
    if flat_detectors:
        butler.put_many([({"gain": GAIN}, FLAT, {"instrument": INSTRUMENT, "detector": d})
                         for d in flat_detectors], run=CALIB_RUN)
    return butler.put_many([({"visit": v, "detector": d, "value": raw_value(v, d)}, RAW,
                             {"instrument": INSTRUMENT, "visit": v, "detector": d})
                            for v in visits for d in detectors], run=RAW_RUN)


def expected_total(visits: Sequence[int] = (1, 2), detectors: Sequence[int] = (1, 2), scale: float = 1.0) -> float:
    """The instrument summary's ``total`` once every quantum has run."""
    return sum(raw_value(v, d) * scale * GAIN for v in visits for d in detectors)


@attrs.frozen
class CalibrateConfig:
    """How to calibrate, and (for tests) where and how to misbehave."""

    scale: float = 1.0
    fail_visit: int = 0
    """The visit (with ``fail_detector``) whose quantum misbehaves; 0: none."""
    fail_detector: int = 0
    failure: str = attrs.field(default="raise", validator=attrs.validators.in_(FAILURES))
    marker: str = ""
    """A file created on the first misbehaviour; once it exists the task behaves (so a re-run succeeds)."""


class CalibrateTask(PipelineTask):
    """Per detector: the raw times the flat's gain and the configured scale."""

    units = DETECTOR_UNITS
    config_class = CalibrateConfig
    config: CalibrateConfig
    raw = Input(RAW, DETECTOR_UNITS, "StructuredData")
    flat = PrerequisiteInput(FLAT, ("instrument", "detector"), "StructuredData")
    calexp = Output(CALEXP, DETECTOR_UNITS, "StructuredData")

    def run(self, raw: Mapping[str, Any], flat: Mapping[str, Any]) -> Mapping[str, Any]:  # type: ignore[override]
        """The calexp of one detector (or the configured misbehaviour)."""
        config = self.config
        calexp = {"visit": raw["visit"], "detector": raw["detector"],
                  "value": raw["value"] * config.scale * flat["gain"]}
        if (raw["visit"], raw["detector"]) == (config.fail_visit, config.fail_detector) and self._first_attempt():
            if config.failure == "raise":
                raise RuntimeError(f"calibration failed on purpose for visit {raw['visit']} "
                                   f"detector {raw['detector']}")
            if config.failure == "undeclared":
                return {"calexp": calexp, "background": {"level": 1}}
            if config.failure == "refused":
                return {"calexp": "a string is not StructuredData"}
            os.kill(os.getpid(), signal.SIGKILL)
        return {"calexp": calexp}

    def _first_attempt(self) -> bool:
        """Whether to misbehave: always without a marker file, else only until it exists (then it does)."""
        if not self.config.marker:
            return True
        try:
            with open(self.config.marker, "x", encoding="utf-8") as stream:
                stream.write(str(os.getpid()))
        except FileExistsError:
            return False
        return True


class VisitSummaryTask(PipelineTask):
    """Per visit: the calexps' count and total."""

    units = VISIT_UNITS
    calexps = Input(CALEXP, DETECTOR_UNITS, "StructuredData", multiple=True)
    summary = Output(VISIT_SUMMARY, VISIT_UNITS, "StructuredData")

    def run(self, calexps: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:  # type: ignore[override]
        """One visit's summary."""
        return {"summary": {"detectors": sorted(c["detector"] for c in calexps),
                            "total": sum(c["value"] for c in calexps)}}


class InstrumentSummaryTask(PipelineTask):
    """Per instrument: the visit summaries' total."""

    units = ("instrument",)
    summaries = Input(VISIT_SUMMARY, VISIT_UNITS, "StructuredData", multiple=True)
    summary = Output(SUMMARY, ("instrument",), "StructuredData")

    def run(self, summaries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:  # type: ignore[override]
        """The instrument's summary."""
        return {"summary": {"visits": len(summaries), "total": sum(s["total"] for s in summaries)}}


LABELS = ("calibrate", "visit_summary", "instrument_summary")


def pipeline_mapping(**calibrate: Any) -> dict[str, Any]:
    """The three-task pipeline as its YAML mapping; ``calibrate`` sets CalibrateTask's config."""
    return {"description": "per detector, per visit, per instrument", "tasks": {
        "calibrate": {"class": class_path(CalibrateTask), "config": dict(calibrate)},
        "visit_summary": class_path(VisitSummaryTask),
        "instrument_summary": {"class": class_path(InstrumentSummaryTask)},
    }}


def three_task_pipeline(**calibrate: Any) -> Pipeline:
    """The three-task pipeline, loaded as a pipeline file would be."""
    return pipeline_from_mapping(pipeline_mapping(**calibrate))


def outputs_of(butler: Butler, run: str) -> dict[str, dict[tuple[Any, ...], Any]]:
    """Every output of the pipeline in ``run``: dataset type -> DataId values (required, sorted) -> object."""
    found: dict[str, dict[tuple[Any, ...], Any]] = {}
    for name in (CALEXP, VISIT_SUMMARY, SUMMARY):
        refs = butler.registry.datasets_in_collection(run, name)
        objects = butler.get_many(refs) if refs else []
        found[name] = {tuple(sorted(ref.data_id.items())): obj for ref, obj in zip(refs, objects, strict=True)}
    return found


def repository_state(butler: Butler) -> dict[str, Any]:
    """What a refused operation must leave unchanged: dataset types, collections, and each run's datasets."""
    registry = butler.registry
    collections = sorted((c.name, c.kind.value) for c in registry.query_collections())
    return {
        "dataset_types": sorted((t.name, tuple(t.units), t.storage_class) for t in registry.query_dataset_types()),
        "collections": collections,
        "datasets": {name: sorted(str(ref.id) for ref in registry.datasets_in_collection(name))
                     for name, kind in collections if kind == CollectionKind.RUN.value},
    }
