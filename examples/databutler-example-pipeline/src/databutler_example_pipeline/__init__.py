"""An example databutler pipeline (calibrate -> visit summary -> survey summary) and a demo input repository."""

from .demo_repo import INSTRUMENT, RAW_RUN, make_demo_repository
from .tasks import Calibrate, CalibrateConfig, SurveySummary, SurveySummaryConfig, VisitSummary

__all__ = ["INSTRUMENT", "RAW_RUN", "Calibrate", "CalibrateConfig", "SurveySummary",
           "SurveySummaryConfig", "VisitSummary", "make_demo_repository"]
