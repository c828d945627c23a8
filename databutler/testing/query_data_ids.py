"""The query contract, topic group. Data IDs and records: joins through overlaps, foreign keys and implied
units, metadata and timespans, records related to a constraint, governors and typos.

Adopt it alone by subclassing ``QueryDataIdsContract`` and providing ``make_registry`` (or
``populated``); ``QueryContract`` includes it.
"""

from __future__ import annotations

import datetime

import pytest

from ..domain.errors import DataButlerError, QueryError
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import (
    DETECTORS,
    INSTRUMENTS,
    PATCHES,
    SKYMAP,
    VISIT_PATCH_OVERLAPS,
    VISITS,
    exposure_time,
)
from .query_support import CAM1_VISITS, CAM2_VISITS, QueryFixtures
from .requirements import requires


class QueryDataIdsContract(QueryFixtures):
    """Data IDs and records of the query contract."""

    # == data IDs ================================================================================

    @requires(RegistryCapability.QUERIES)
    def test_visit_patch_query_answers_through_the_overlap_join(self, queried: Registry) -> None:
        found = {(d["instrument"], d["visit"], d["tract"], d["patch"])
                 for d in queried.query_data_ids(("visit", "patch"), where="tract = 1")}
        expected = {(i, v, t, p) for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() for t, p in pairs if t == 1}
        assert found == expected

    @requires(RegistryCapability.QUERIES)
    def test_foreign_keys_relate_patch_to_tract_and_skymap(self, queried: Registry) -> None:
        found = list(queried.query_data_ids("patch", where="tract = 0"))
        assert {d["patch"] for d in found} == set(PATCHES)
        assert {(d["skymap"], d["tract"]) for d in found} == {(SKYMAP, 0)}

    @requires(RegistryCapability.QUERIES)
    def test_implied_units_relate_visits_to_bands(self, queried: Registry) -> None:
        found = {(d["instrument"], d["visit"]) for d in queried.query_data_ids("visit", where="band = 'g'")}
        assert found == {("Cam1", 1), ("Cam1", 2)}

    @requires(RegistryCapability.QUERIES)
    def test_join_elements_relate_visits_detectors_and_exposures(self, queried: Registry) -> None:
        pairs = queried.query_data_ids(("visit", "detector"), where="instrument = 'Cam2'")
        assert pairs.count() == len(CAM2_VISITS) * len(DETECTORS)
        exposures = [d["exposure"] for d in queried.query_data_ids(("exposure", "visit"),
                                                                    where="instrument = 'Cam1' AND visit = 3")]
        assert exposures == [VISITS[("Cam1", 3)]["exposure"]]

    @requires(RegistryCapability.QUERIES)
    def test_metadata_fields_ranges_and_binds_constrain(self, queried: Registry) -> None:
        long = queried.query_data_ids("visit", where="instrument = :i AND visit.exposure_time > :t",
                                      bind={"i": "Cam1", "t": 20})
        assert {d["visit"] for d in long} == {v for v in CAM1_VISITS if exposure_time(v) > 20}
        odd = queried.query_data_ids("detector", where="instrument = 'Cam1' AND detector IN (1..4:2)")
        assert sorted(d["detector"] for d in odd) == [1, 3]
        science = queried.query_data_ids("detector", where="detector.purpose = 'SCIENCE' AND NOT detector = 2",
                                         data_id={"instrument": "Cam2"})
        assert sorted(d["detector"] for d in science) == [1, 3, 4]

    @requires(RegistryCapability.QUERIES)
    def test_timespans_overlap_half_open(self, queried: Registry) -> None:
        night = datetime.datetime(2024, 1, 1, 22, 0)
        window = {"begin": night + datetime.timedelta(minutes=1, seconds=10),
                  "end": night + datetime.timedelta(minutes=2)}
        found = queried.query_data_ids("visit", where="instrument = 'Cam1' AND visit.timespan OVERLAPS (:begin, :end)",
                                       bind=window)
        assert [d["visit"] for d in found] == [1]  # visit 2 begins exactly at the window's end
        at = queried.query_data_ids("visit", where="instrument = 'Cam1' AND visit.timespan OVERLAPS :t",
                                    bind={"t": night + datetime.timedelta(minutes=2)})
        assert [d["visit"] for d in at] == [2]

    @requires(RegistryCapability.QUERIES)
    def test_data_ids_with_datasets_only_where_a_dataset_exists(self, queried: Registry) -> None:
        found = queried.query_data_ids("visit", datasets="calexp", collections=["run2"])
        assert {(d["instrument"], d["visit"]) for d in found} == {("Cam1", 1), ("Cam1", 2)}

    # == records ==================================================================================

    @requires(RegistryCapability.QUERIES)
    def test_records_of_an_element_related_to_a_constraint(self, queried: Registry) -> None:
        patches = list(queried.query_data_unit_records("patch", where="instrument = 'Cam1' AND visit = 1"))
        assert {(p["tract"], p["id"]) for p in patches} == set(VISIT_PATCH_OVERLAPS[("Cam1", 1)])
        assert all(p["region"] for p in patches)
        visits = queried.query_data_unit_records("visit", data_id={"instrument": "Cam2"}).order_by("-id").limit(1)
        assert [v["id"] for v in visits] == [max(CAM2_VISITS)]

    # == governors and errors =====================================================================

    @requires(RegistryCapability.QUERIES)
    def test_a_single_skymap_is_inferred_and_an_ambiguous_instrument_is_named(self, queried: Registry) -> None:
        assert queried.query_data_ids("tract", where="tract = 1").count() == 1
        with pytest.raises(QueryError, match="instrument") as info:
            queried.query_datasets("calexp", ["run1"], where="visit = 1")
        assert all(name in str(info.value) for name in INSTRUMENTS)

    @requires(RegistryCapability.QUERIES)
    def test_typos_are_errors_naming_the_closest_names(self, queried: Registry) -> None:
        with pytest.raises(QueryError, match="did you mean 'visit'"):
            queried.query_data_ids("visit", where="vist = 1")
        with pytest.raises(QueryError, match="exposure_time"):
            queried.query_data_ids("visit", where="visit.exposure_tim > 1")
        with pytest.raises(DataButlerError, match="did you mean 'visit'"):
            queried.query_data_ids("vist")
        with pytest.raises(QueryError, match="column"):
            queried.query_datasets("calexp", ["run1"], where="visit = = 1")
        with pytest.raises(QueryError):
            queried.query_datasets("calexp", ["run1"]).order_by("visitt")
