"""The query contract, topic group. Datasets: where and binds, find-first along a search path, TAGGED
collections and several types, order, limit, count, lazy streaming.

Adopt it alone by subclassing ``QueryDatasetsContract`` and providing ``make_registry`` (or
``populated``); ``QueryContract`` includes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import (
    DETECTORS,
    PATCHES,
    TRACTS,
    VISIT_PATCH_OVERLAPS,
    VISITS,
    exposure_time,
)
from .query_support import CAM1_VISITS, CAM2_VISITS, CHAINED, RUN, QueryFixtures, calexp_keys
from .requirements import requires


class QueryDatasetsContract(QueryFixtures):
    """Datasets of the query contract."""

    # == datasets =================================================================================

    @requires(RegistryCapability.QUERIES)
    def test_query_datasets_filters_with_where_and_list_binds(self, queried: Registry) -> None:
        refs = queried.query_datasets("calexp", ["run1"], where="instrument = 'Cam1' AND visit = :v AND "
                                      "detector IN (:d)", bind={"v": 3, "d": [1, 4]})
        assert calexp_keys(refs) == {("Cam1", 3, 1, "run1"), ("Cam1", 3, 4, "run1")}

    @requires(RegistryCapability.QUERIES)
    def test_find_first_keeps_the_first_dataset_in_the_search_path(self, queried: Registry) -> None:
        where = "instrument = 'Cam1' AND visit = 1"
        first = calexp_keys(queried.query_datasets("calexp", ["chain"], where=where, find_first=True))
        assert first == {("Cam1", 1, 1, "run2"), ("Cam1", 1, 2, "run2"), ("Cam1", 1, 3, "run1"),
                         ("Cam1", 1, 4, "run1")}
        every = calexp_keys(queried.query_datasets("calexp", ["chain"], where=where))
        assert len(every) == 6

    @requires(RegistryCapability.QUERIES)
    def test_a_chain_is_searched_in_the_collections_it_reaches_and_no_others(self, queried: Registry) -> None:
        queried.register_collection("inner", CHAINED)
        queried.register_collection("outer", CHAINED)
        queried.set_chain("inner", ["best", "run2"])
        queried.set_chain("outer", ["inner"])
        where = "instrument = 'Cam1' AND visit = 1"
        in_run2 = {("Cam1", 1, 1, "run2"), ("Cam1", 1, 2, "run2")}
        for find_first in (False, True):
            found = queried.query_datasets("calexp", ["outer"], where=where, find_first=find_first)
            assert calexp_keys(found) == in_run2
        assert calexp_keys(queried.query_datasets("calexp", ["outer"], where="instrument = 'Cam2'")) == {
            ("Cam2", 11, d, "run1") for d in DETECTORS}  # through the tagged collection only
        assert queried.query_datasets("deepCoadd", ["outer"]).count() == 0
        visits = queried.query_data_ids("visit", where="instrument = 'Cam1'", datasets="calexp", collections=["outer"])
        assert sorted(d["visit"] for d in visits) == [1, 2]
        queried.set_chain("inner", ["run1"])  # one level down: the outer chain's search changes with it
        assert len(calexp_keys(queried.query_datasets("calexp", ["outer"], where=where))) == len(DETECTORS)

    @requires(RegistryCapability.QUERIES)
    def test_tagged_collections_and_several_types(self, queried: Registry) -> None:
        tagged = queried.query_datasets("calexp", ["best"])
        assert calexp_keys(tagged) == {("Cam2", 11, d, "run1") for d in DETECTORS}
        both = queried.query_datasets(["calexp", "deepCoadd"], ["best", "coadds"], where="skymap = 'SkyMap1'")
        assert {r.dataset_type.name for r in both} == {"calexp", "deepCoadd"}
        assert both.count() == len(DETECTORS) + len(TRACTS) * len(PATCHES)
        in_tract_0 = queried.query_datasets(["calexp", "deepCoadd"], ["best", "coadds"], where="tract = 0")
        assert {r.dataset_type.name for r in in_tract_0} == {"deepCoadd"}  # Cam2 visit 11 overlaps tract 1 only

    @requires(RegistryCapability.QUERIES)
    def test_dataset_query_joins_through_overlaps_without_duplicates(self, queried: Registry) -> None:
        refs = list(queried.query_datasets("calexp", ["run1"], where="tract = 0 AND detector = 1 AND "
                                           "instrument = 'Cam1'"))
        visits = {v for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() if i == "Cam1" and any(t == 0 for t, _ in pairs)}
        assert sorted(r.data_id["visit"] for r in refs) == sorted(visits)

    @requires(RegistryCapability.QUERIES)
    def test_order_by_limit_count_and_any(self, queried: Registry) -> None:
        results = queried.query_datasets("calexp", ["run1"], where="instrument = 'Cam1' AND detector = 2")
        assert results.count() == len(CAM1_VISITS)
        ordered = [r.data_id["visit"] for r in results.order_by("-visit")]
        assert ordered == sorted(CAM1_VISITS, reverse=True)
        page = [r.data_id["visit"] for r in results.order_by("visit").limit(2, offset=1)]
        assert page == sorted(CAM1_VISITS)[1:3]
        assert results.limit(2, offset=1).count() == 2
        assert results.any()
        assert not queried.query_datasets("calexp", ["run2"], where="instrument = 'Cam2'").any()
        by_time = [d["visit"] for d in queried.query_data_ids("visit", where="instrument = 'Cam1'")
                   .order_by("-visit.exposure_time", "visit")]
        assert by_time == sorted(CAM1_VISITS, key=lambda v: (-exposure_time(v), v))

    @requires(RegistryCapability.QUERIES)
    def test_the_same_query_with_other_values_gives_their_answers(self, queried: Registry) -> None:
        for visit in CAM1_VISITS:  # one expression text, bound again and again (statements may be reused)
            refs = queried.query_datasets("calexp", ["run1"], where="visit = :v AND detector IN (:d)",
                                          bind={"v": visit, "d": [2, 3]}, data_id={"instrument": "Cam1"})
            assert calexp_keys(refs) == {("Cam1", visit, 2, "run1"), ("Cam1", visit, 3, "run1")}
        for instrument, visits in (("Cam1", CAM1_VISITS), ("Cam2", CAM2_VISITS)):
            found = queried.query_data_ids("visit", where="detector = 1", data_id={"instrument": instrument})
            assert {d["visit"] for d in found} == set(visits)
        three = queried.query_data_ids("detector", where="detector IN (:d)", bind={"d": [1, 2, 3]},
                                       data_id={"instrument": "Cam1"})
        one = queried.query_data_ids("detector", where="detector IN (:d)", bind={"d": [4]},
                                     data_id={"instrument": "Cam1"})
        assert (three.count(), [d["detector"] for d in one]) == (3, [4])

    @requires(RegistryCapability.QUERIES)
    def test_the_same_query_over_a_chain_then_over_one_of_its_runs_searches_that_run(self, queried: Registry
                                                                                      ) -> None:
        where, bind = "instrument = 'Cam1' AND visit = 1 AND detector IN (:d)", {"d": [1, 2]}
        over_chain = calexp_keys(queried.query_datasets("calexp", ["chain"], where=where, bind=bind))
        over_run = calexp_keys(queried.query_datasets("calexp", ["run1"], where=where, bind=bind))
        assert over_run == {("Cam1", 1, 1, "run1"), ("Cam1", 1, 2, "run1")}
        assert over_chain == over_run | {("Cam1", 1, 1, "run2"), ("Cam1", 1, 2, "run2")}

    @requires(RegistryCapability.QUERIES)
    def test_iteration_streams_lazily(self, queried: Registry) -> None:
        rows = iter(queried.query_datasets("calexp", ["run1"]))
        assert isinstance(rows, Iterator) and not isinstance(rows, list | tuple)
        first = next(rows)
        assert first.dataset_type.name == "calexp"
        queried.register_collection("written-while-iterating", RUN)  # the open iteration blocks no write
        assert sum(1 for _ in rows) == len(VISITS) * len(DETECTORS) - 1
        assert queried.get_collection("written-while-iterating").kind is RUN
