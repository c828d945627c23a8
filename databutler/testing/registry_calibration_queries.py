"""The Registry contract, topic group. Queries through CALIBRATION collections, choosing by a DataUnit's time.

As the reference's query system: a query that searches CALIBRATION collections and names a temporal
DataUnit (an exposure, else a visit, else a day_obs) keeps a certified dataset only where its
validity range overlaps that unit's timespan; find-first then runs per DataId of the result. Adopt it
alone by subclassing ``RegistryCalibrationQueriesContract`` and providing ``make_registry``;
``RegistryContract`` includes it.

The standard data's Cam1 exposures 101 and 102 (visits 1, 2) are on the night of January 1, 2024,
103 and 104 (visits 3, 4) on the night of January 2 (see ``testing.data``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef
from ..domain.errors import CalibrationLookupError
from ..domain.values import Timespan
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import visit_timespan
from .registry_calibrations import BIAS, bias_id, day, ranges
from .registry_support import CHAINED, RUN, TAGGED, RegistryFixtures
from .requirements import requires

CAM1 = "instrument = 'Cam1'"


def found(refs: Iterable[DatasetRef]) -> list[tuple[str, int]]:
    """(run, detector) of each ref, sorted."""
    return sorted((ref.run, int(ref.data_id["detector"])) for ref in refs)


def ask(registry: Registry, where: str, collections: list[str] | None = None, *, find_first: bool = True,
        **kwargs: Any) -> list[tuple[str, int]]:
    """(run, detector) of the biases ``query_datasets`` answers."""
    return found(registry.query_datasets("bias", collections or ["calib"], where=where, find_first=find_first,
                                         **kwargs))


class RegistryCalibrationQueriesContract(RegistryFixtures):
    """query_datasets and query_data_ids through CALIBRATION collections, joined to a DataUnit's time."""

    @pytest.fixture
    def certified(self, populated: Registry) -> Registry:
        """Biases of Cam1: b1 detectors 1 and 2 valid January 1 (a day), b2 detector 1 valid January 2-10."""
        registry = populated
        registry.register_dataset_type(BIAS)
        for run in ("b1", "b2"):
            registry.register_collection(run, RUN)
        early = registry.insert_datasets("bias", "b1", [bias_id(1), bias_id(2)])
        late = registry.insert_datasets("bias", "b2", [bias_id(1)])
        registry.register_collection("calib", CollectionKind.CALIBRATION)
        registry.certify("calib", early, Timespan(day(1), day(2)))
        registry.certify("calib", late, Timespan(day(2), day(10)))
        return registry

    @requires(RegistryCapability.CALIBRATIONS, RegistryCapability.QUERIES)
    def test_a_query_naming_an_exposure_or_visit_finds_the_calibration_valid_then(self, certified: Registry) -> None:
        registry = certified
        assert ask(registry, f"{CAM1} AND exposure = 101 AND detector = 1") == [("b1", 1)]
        assert ask(registry, f"{CAM1} AND exposure = 103 AND detector = 1") == [("b2", 1)]
        assert ask(registry, f"{CAM1} AND exposure = 101") == [("b1", 1), ("b1", 2)]
        assert ask(registry, f"{CAM1} AND exposure = 103") == [("b2", 1)]  # detector 2 has nothing valid then
        assert ask(registry, "", data_id={"instrument": "Cam1", "exposure": 103, "detector": 1}) == [("b2", 1)]
        assert ask(registry, f"{CAM1} AND visit = 1 AND detector = 1") == [("b1", 1)]
        assert ask(registry, f"{CAM1} AND visit = 4 AND detector = 1") == [("b2", 1)]
        assert ask(registry, f"{CAM1} AND day_obs = 20240102") == [("b2", 1)]
        assert ask(registry, f"{CAM1} AND exposure.obs_id = 'Cam1_103'") == [("b2", 1)]
        assert ask(registry, f"{CAM1} AND exposure = 103", find_first=False) == [("b2", 1)]
        assert registry.query_datasets("bias", ["calib"], where=f"{CAM1} AND exposure = 103", find_first=True
                                       ).count() == 1
        ordered = registry.query_datasets("bias", ["calib"], where=f"{CAM1} AND exposure = 101", find_first=True,
                                          order_by=["-detector"])
        assert [r.data_id["detector"] for r in ordered] == [2, 1]
        assert [r.data_id["detector"] for r in registry.query_datasets(
            "bias", ["calib"], where=f"{CAM1} AND exposure = 101", find_first=True, order_by=["detector"], limit=1)
                ] == [1]
        with pytest.raises(CalibrationLookupError, match=r"ambiguous.*'calib'.*2 validity ranges"):
            ask(registry, f"{CAM1} AND detector = 1")  # no time to choose by
        assert ask(registry, f"{CAM1} AND detector = 1", find_first=False) == [("b1", 1), ("b2", 1)]

    @requires(RegistryCapability.CALIBRATIONS, RegistryCapability.QUERIES)
    def test_an_exposure_outside_every_range_finds_nothing(self, certified: Registry) -> None:
        registry = certified
        registry.decertify("calib", "bias", Timespan(day(2, 22), day(3)))
        assert ask(registry, f"{CAM1} AND exposure = 103") == []
        assert ask(registry, f"{CAM1} AND exposure = 103", find_first=False) == []
        assert ask(registry, f"{CAM1} AND visit = 4 AND detector = 1") == []
        assert ask(registry, f"{CAM1} AND exposure = 101") == [("b1", 1), ("b1", 2)]  # the other night is kept
        assert [c.timespan for c in registry.query_certifications("calib", "bias")
                if c.ref.run == "b2"] == [Timespan(day(2), day(2, 22)), Timespan(day(3), day(10))]

    @requires(RegistryCapability.CALIBRATIONS, RegistryCapability.QUERIES)
    def test_several_exposures_at_once(self, certified: Registry) -> None:
        """The result's DataIds are the bias's (no exposure): without find_first every calibration valid at one
        of the exposures; with it, as the reference, several matches for one DataId are ambiguous."""
        registry = certified
        both = f"{CAM1} AND exposure IN (101, 103) AND detector = 1"
        assert ask(registry, both, find_first=False) == [("b1", 1), ("b2", 1)]
        assert ask(registry, f"{CAM1} AND exposure IN (101, 103)", find_first=False) == [
            ("b1", 1), ("b1", 2), ("b2", 1)]
        before = ranges(registry)
        with pytest.raises(CalibrationLookupError, match=r"ambiguous.*'detector': 1.*'calib'.*exposure"):
            ask(registry, both)
        with pytest.raises(CalibrationLookupError, match="ambiguous"):  # one range matched by two exposures
            ask(registry, f"{CAM1} AND exposure IN (101, 102) AND detector = 1")
        assert ranges(registry) == before  # a refused query changes nothing
        assert ask(registry, f"{CAM1} AND exposure IN (101, 102) AND detector = 2", find_first=False) == [("b1", 2)]
        ids = registry.query_data_ids(("exposure", "detector"), datasets="bias", collections=["calib"],
                                      where=CAM1)
        assert sorted((d["exposure"], d["detector"]) for d in ids) == [
            (101, 1), (101, 2), (102, 1), (102, 2), (103, 1), (104, 1)]  # detector 2 is calibrated on night 1 only
        visits = registry.query_data_ids(("visit",), datasets="bias", collections=["calib"],
                                         where=f"{CAM1} AND detector = 2")
        assert sorted(d["visit"] for d in visits) == [1, 2]

    @requires(RegistryCapability.CALIBRATIONS, RegistryCapability.QUERIES)
    def test_find_first_through_chains_mixing_runs_tags_and_calibrations(self, certified: Registry) -> None:
        registry = certified
        registry.register_collection("search", CHAINED)
        registry.set_chain("search", ["calib", "b2"])
        assert ask(registry, f"{CAM1} AND exposure = 101", ["search"]) == [("b1", 1), ("b1", 2)]
        assert ask(registry, f"{CAM1} AND exposure = 103", ["search"]) == [("b2", 1)]
        assert ask(registry, f"{CAM1} AND exposure = 101", ["search"], find_first=False) == [
            ("b1", 1), ("b1", 2), ("b2", 1)]
        registry.set_chain("search", ["b2", "calib"])
        assert ask(registry, f"{CAM1} AND exposure = 101", ["search"]) == [("b1", 2), ("b2", 1)]
        (late_d1,) = registry.datasets_in_collection("b2")
        registry.register_collection("picked", TAGGED)
        registry.associate("picked", [late_d1])
        registry.decertify("calib", "bias", Timespan(day(1), day(2)), data_ids=[bias_id(1)])
        registry.set_chain("search", ["calib", "picked"])
        # detector 1 has nothing valid on night 1 in calib now: the tag answers; detector 2 still the calibration
        assert ask(registry, f"{CAM1} AND exposure = 101", ["search"]) == [("b1", 2), ("b2", 1)]
        assert ask(registry, f"{CAM1} AND exposure = 101", ["calib"]) == [("b1", 2)]
        assert ask(registry, f"{CAM1} AND exposure = 101", ["b1"]) == [("b1", 1), ("b1", 2)]  # a run: no time

    @requires(RegistryCapability.CALIBRATIONS, RegistryCapability.QUERIES)
    def test_a_range_meeting_an_exposure_is_compared_to_the_microsecond(self, certified: Registry) -> None:
        """Validity ranges (stored as microseconds) and record timespans (datetimes) compare exactly, half-open."""
        registry = certified
        standard = visit_timespan("Cam1", 1)  # a new exposure at 101's time, moved by fractions of a second
        assert standard.begin is not None and standard.end is not None
        begin = standard.begin + datetime.timedelta(microseconds=250_001)
        end = standard.end + datetime.timedelta(microseconds=500_007)
        registry.insert_data_units("exposure", [{"instrument": "Cam1", "id": 150, "obs_id": "Cam1_150",
                                                 "physical_filter": "Cam1-g", "day_obs": 20240101,
                                                 "timespan": Timespan(begin, end)}])
        (late,) = registry.datasets_in_collection("b2")
        micro = datetime.timedelta(microseconds=1)
        where = f"{CAM1} AND exposure = 150 AND detector = 1"
        spans = [(Timespan(end, None), []), (Timespan(end - micro, None), [("b2", 1)]),
                 (Timespan(None, begin), []), (Timespan(None, begin + micro), [("b2", 1)])]
        for span, expected in spans:
            registry.decertify("calib", "bias", Timespan(None, None))
            registry.certify("calib", [late], span)
            assert ask(registry, where) == expected, span
