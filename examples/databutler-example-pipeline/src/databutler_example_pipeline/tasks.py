"""Three tasks: calibrate each detector of a visit, summarise each visit, then summarise the survey.

Each is plain Python over dicts (the StorageClass ``StructuredData``): ``run`` never sees a butler,
so it is tested by calling it. Connections are class attributes; ``units`` are the DataUnits of one
quantum; ``config_class`` is an attrs class whose values are recorded with every quantum.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

import attrs

from databutler.domain.pipeline import Input, Output, PipelineTask

DETECTOR = ("instrument", "visit", "detector")
VISIT = ("instrument", "visit")
INSTRUMENT = ("instrument",)


@attrs.frozen
class CalibrateConfig:
    """Options of Calibrate."""

    threshold: float = 5.0
    """A pixel is part of a source when it is this many counts above the background."""
    zero_point: float = 27.0
    """The photometric zero point (magnitude of one count per second)."""


class Calibrate(PipelineTask):
    """Per detector: subtract the background of a raw and count the pixels above a threshold."""

    units = DETECTOR
    config_class = CalibrateConfig
    raw = Input("raw", DETECTOR, "StructuredData", doc="{'pixels': [counts...], 'exposure_time': s}")
    calexp = Output("calexp", DETECTOR, "StructuredData")

    def run(self, **inputs: Any) -> Mapping[str, Any]:
        """``{"calexp": {...}}``: background, sources and zero point of one detector's exposure."""
        raw: Mapping[str, Any] = inputs["raw"]
        pixels = [float(p) for p in raw.get("pixels", [])]
        if not pixels:
            raise ValueError(f"raw of visit {raw.get('visit')} detector {raw.get('detector')} has no pixels")
        background = statistics.median(pixels)
        sources = sum(1 for p in pixels if p - background > self.config.threshold)
        return {"calexp": {"visit": raw.get("visit"), "detector": raw.get("detector"), "background": background,
                           "n_sources": sources, "zero_point": self.config.zero_point,
                           "exposure_time": raw.get("exposure_time")}}


class VisitSummary(PipelineTask):
    """Per visit: the sources and mean background over the visit's calibrated detectors."""

    units = VISIT
    calexps = Input("calexp", DETECTOR, "StructuredData", multiple=True)
    summary = Output("visit_summary", VISIT, "StructuredData")

    def run(self, **inputs: Any) -> Mapping[str, Any]:
        """``{"summary": {...}}`` from every calexp of one visit."""
        calexps: list[Mapping[str, Any]] = inputs["calexps"]
        return {"summary": {
            "visit": calexps[0].get("visit"),
            "detectors": len(calexps),
            "n_sources": sum(int(c["n_sources"]) for c in calexps),
            "mean_background": statistics.fmean(float(c["background"]) for c in calexps),
        }}


@attrs.frozen
class SurveySummaryConfig:
    """Options of SurveySummary."""

    min_sources: int = 0
    """Visits with fewer sources are counted as rejected."""


class SurveySummary(PipelineTask):
    """Per instrument: totals over every visit summary."""

    units = INSTRUMENT
    config_class = SurveySummaryConfig
    summaries = Input("visit_summary", VISIT, "StructuredData", multiple=True)
    survey = Output("survey_summary", INSTRUMENT, "StructuredData")

    def run(self, **inputs: Any) -> Mapping[str, Any]:
        """``{"survey": {...}}`` from every visit summary of one instrument."""
        summaries: list[Mapping[str, Any]] = inputs["summaries"]
        kept = [s for s in summaries if int(s["n_sources"]) >= self.config.min_sources]
        return {"survey": {
            "visits": len(summaries),
            "rejected_visits": len(summaries) - len(kept),
            "detector_exposures": sum(int(s["detectors"]) for s in summaries),
            "n_sources": sum(int(s["n_sources"]) for s in kept),
        }}
