"""The query contract suite: query_data_ids, query_datasets, query_data_unit_records, select_sql.

An adapter plugs in like the Registry suite: subclass ``QueryContract`` and provide
``make_registry`` (or, faster, override ``populated`` with a registry already holding the
standard data of ``databutler.testing.data``). Tests of a capability the registry does not
declare check that the call is refused with CapabilityError instead.

The scenario (``queried``): the standard data, calexp datasets of every visit and detector in
RUN ``run1``, newer calexps of Cam1 visits 1-2 and detectors 1-2 in RUN ``run2``, deepCoadd
datasets of band ``r`` for every patch in RUN ``coadds``, a TAGGED ``best`` holding the run1
calexps of Cam2 visit 11, and the CHAINED ``chain`` = [run2, run1].
"""

from __future__ import annotations

import datetime
import types
from collections.abc import Callable, Iterable, Iterator

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef
from ..domain.errors import CapabilityError, DataButlerError, QueryError
from ..domain.values import KeyValue
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import (
    DETECTORS,
    INSTRUMENTS,
    PATCHES,
    SKYMAP,
    TRACTS,
    VISIT_PATCH_OVERLAPS,
    VISITS,
    exposure_time,
    insert_standard_data_units,
)
from .registry import CALEXP, COADD, MakeRegistry

RUN, TAGGED, CHAINED = CollectionKind.RUN, CollectionKind.TAGGED, CollectionKind.CHAINED
CAM1_VISITS = tuple(v for (i, v) in VISITS if i == "Cam1")
CAM2_VISITS = tuple(v for (i, v) in VISITS if i == "Cam2")


def calexp_keys(refs: Iterable[DatasetRef]) -> set[tuple[KeyValue, KeyValue, KeyValue, str]]:
    """(instrument, visit, detector, run) of each calexp ref."""
    return {(r.data_id["instrument"], r.data_id["visit"], r.data_id["detector"], r.run) for r in refs}


def needs(registry: Registry, capability: RegistryCapability) -> None:
    """Skip unless ``registry`` declares ``capability``."""
    if capability not in registry.capabilities:
        pytest.skip(f"the registry does not declare {capability.value!r}")


class QueryContract:
    """What every Registry declaring QUERIES (and SQL_SELECT) must answer."""

    @pytest.fixture
    def make_registry(self) -> MakeRegistry:
        """Override: a callable returning a fresh, empty, writeable registry on the default universe."""
        pytest.skip("the adapter's test class must provide a make_registry fixture")

    @pytest.fixture
    def populated(self, make_registry: MakeRegistry) -> Iterator[Registry]:
        """A registry holding the standard DataUnit records (override to copy a prepared one)."""
        registry = make_registry()
        insert_standard_data_units(registry)
        yield registry
        registry.close()

    @pytest.fixture
    def queried(self, populated: Registry) -> Registry:
        """The scenario of the module docstring."""
        registry = populated
        registry.register_dataset_type(CALEXP)
        registry.register_dataset_type(COADD)
        for name in ("run1", "run2", "coadds"):
            registry.register_collection(name, RUN)
        registry.insert_datasets("calexp", "run1", [{"instrument": i, "visit": v, "detector": d}
                                                    for (i, v) in VISITS for d in DETECTORS])
        registry.insert_datasets("calexp", "run2", [{"instrument": "Cam1", "visit": v, "detector": d}
                                                    for v in (1, 2) for d in (1, 2)])
        registry.insert_datasets("deepCoadd", "coadds", [{"band": "r", "skymap": SKYMAP, "tract": t, "patch": p}
                                                         for t in TRACTS for p in PATCHES])
        registry.register_collection("best", TAGGED)
        tagged = registry.find_datasets("calexp", [{"instrument": "Cam2", "visit": 11, "detector": d}
                                                   for d in DETECTORS], ["run1"])
        registry.associate("best", [r for r in tagged if r is not None])
        registry.register_collection("chain", CHAINED)
        registry.set_chain("chain", ["run2", "run1"])
        return registry

    # == data IDs ================================================================================

    def test_visit_patch_query_answers_through_the_overlap_join(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        found = {(d["instrument"], d["visit"], d["tract"], d["patch"])
                 for d in queried.query_data_ids(("visit", "patch"), where="tract = 1")}
        expected = {(i, v, t, p) for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() for t, p in pairs if t == 1}
        assert found == expected

    def test_foreign_keys_relate_patch_to_tract_and_skymap(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        found = list(queried.query_data_ids("patch", where="tract = 0"))
        assert {d["patch"] for d in found} == set(PATCHES)
        assert {(d["skymap"], d["tract"]) for d in found} == {(SKYMAP, 0)}

    def test_implied_units_relate_visits_to_bands(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        found = {(d["instrument"], d["visit"]) for d in queried.query_data_ids("visit", where="band = 'g'")}
        assert found == {("Cam1", 1), ("Cam1", 2)}

    def test_join_elements_relate_visits_detectors_and_exposures(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        pairs = queried.query_data_ids(("visit", "detector"), where="instrument = 'Cam2'")
        assert pairs.count() == len(CAM2_VISITS) * len(DETECTORS)
        exposures = [d["exposure"] for d in queried.query_data_ids(("exposure", "visit"),
                                                                    where="instrument = 'Cam1' AND visit = 3")]
        assert exposures == [VISITS[("Cam1", 3)]["exposure"]]

    def test_metadata_fields_ranges_and_binds_constrain(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        long = queried.query_data_ids("visit", where="instrument = :i AND visit.exposure_time > :t",
                                      bind={"i": "Cam1", "t": 20})
        assert {d["visit"] for d in long} == {v for v in CAM1_VISITS if exposure_time(v) > 20}
        odd = queried.query_data_ids("detector", where="instrument = 'Cam1' AND detector IN (1..4:2)")
        assert sorted(d["detector"] for d in odd) == [1, 3]
        science = queried.query_data_ids("detector", where="detector.purpose = 'SCIENCE' AND NOT detector = 2",
                                         data_id={"instrument": "Cam2"})
        assert sorted(d["detector"] for d in science) == [1, 3, 4]

    def test_timespans_overlap_half_open(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        night = datetime.datetime(2024, 1, 1, 22, 0)
        window = {"begin": night + datetime.timedelta(minutes=1, seconds=10),
                  "end": night + datetime.timedelta(minutes=2)}
        found = queried.query_data_ids("visit", where="instrument = 'Cam1' AND visit.timespan OVERLAPS (:begin, :end)",
                                       bind=window)
        assert [d["visit"] for d in found] == [1]  # visit 2 begins exactly at the window's end
        at = queried.query_data_ids("visit", where="instrument = 'Cam1' AND visit.timespan OVERLAPS :t",
                                    bind={"t": night + datetime.timedelta(minutes=2)})
        assert [d["visit"] for d in at] == [2]

    def test_data_ids_with_datasets_only_where_a_dataset_exists(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        found = queried.query_data_ids("visit", datasets="calexp", collections=["run2"])
        assert {(d["instrument"], d["visit"]) for d in found} == {("Cam1", 1), ("Cam1", 2)}

    # == datasets =================================================================================

    def test_query_datasets_filters_with_where_and_list_binds(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        refs = queried.query_datasets("calexp", ["run1"], where="instrument = 'Cam1' AND visit = :v AND "
                                      "detector IN (:d)", bind={"v": 3, "d": [1, 4]})
        assert calexp_keys(refs) == {("Cam1", 3, 1, "run1"), ("Cam1", 3, 4, "run1")}

    def test_find_first_keeps_the_first_dataset_in_the_search_path(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        where = "instrument = 'Cam1' AND visit = 1"
        first = calexp_keys(queried.query_datasets("calexp", ["chain"], where=where, find_first=True))
        assert first == {("Cam1", 1, 1, "run2"), ("Cam1", 1, 2, "run2"), ("Cam1", 1, 3, "run1"),
                         ("Cam1", 1, 4, "run1")}
        every = calexp_keys(queried.query_datasets("calexp", ["chain"], where=where))
        assert len(every) == 6

    def test_tagged_collections_and_several_types(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        tagged = queried.query_datasets("calexp", ["best"])
        assert calexp_keys(tagged) == {("Cam2", 11, d, "run1") for d in DETECTORS}
        both = queried.query_datasets(["calexp", "deepCoadd"], ["best", "coadds"], where="skymap = 'SkyMap1'")
        assert {r.dataset_type.name for r in both} == {"calexp", "deepCoadd"}
        assert both.count() == len(DETECTORS) + len(TRACTS) * len(PATCHES)
        in_tract_0 = queried.query_datasets(["calexp", "deepCoadd"], ["best", "coadds"], where="tract = 0")
        assert {r.dataset_type.name for r in in_tract_0} == {"deepCoadd"}  # Cam2 visit 11 overlaps tract 1 only

    def test_dataset_query_joins_through_overlaps_without_duplicates(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        refs = list(queried.query_datasets("calexp", ["run1"], where="tract = 0 AND detector = 1 AND "
                                           "instrument = 'Cam1'"))
        visits = {v for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() if i == "Cam1" and any(t == 0 for t, _ in pairs)}
        assert sorted(r.data_id["visit"] for r in refs) == sorted(visits)

    def test_order_by_limit_count_and_any(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
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

    def test_the_same_query_with_other_values_gives_their_answers(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
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

    def test_iteration_streams_lazily(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        rows = iter(queried.query_datasets("calexp", ["run1"]))
        assert isinstance(rows, Iterator) and not isinstance(rows, list | tuple)
        first = next(rows)
        assert first.dataset_type.name == "calexp"
        queried.register_collection("written-while-iterating", RUN)  # the open iteration blocks no write
        assert sum(1 for _ in rows) == len(VISITS) * len(DETECTORS) - 1
        assert queried.get_collection("written-while-iterating").kind is RUN

    # == records ==================================================================================

    def test_records_of_an_element_related_to_a_constraint(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        patches = list(queried.query_data_unit_records("patch", where="instrument = 'Cam1' AND visit = 1"))
        assert {(p["tract"], p["id"]) for p in patches} == set(VISIT_PATCH_OVERLAPS[("Cam1", 1)])
        assert all(p["region"] for p in patches)
        visits = queried.query_data_unit_records("visit", data_id={"instrument": "Cam2"}).order_by("-id").limit(1)
        assert [v["id"] for v in visits] == [max(CAM2_VISITS)]

    # == governors and errors =====================================================================

    def test_a_single_skymap_is_inferred_and_an_ambiguous_instrument_is_named(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        assert queried.query_data_ids("tract", where="tract = 1").count() == 1
        with pytest.raises(QueryError, match="instrument") as info:
            queried.query_datasets("calexp", ["run1"], where="visit = 1")
        assert all(name in str(info.value) for name in INSTRUMENTS)

    def test_typos_are_errors_naming_the_closest_names(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
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

    # == SQL SELECT ===============================================================================

    def test_select_sql_reads_the_documented_views(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.SQL_SELECT)
        rows = queried.select_sql("SELECT run, count(*) AS n FROM v_dataset WHERE dataset_type = :t GROUP BY run",
                                  bind={"t": "calexp"})
        assert {r["run"]: r["n"] for r in rows} == {"run1": len(VISITS) * len(DETECTORS), "run2": 4}
        assert rows.columns == ("run", "n")
        chain = list(queried.select_sql("SELECT parent, position, child FROM v_collection_chain")
                     .order_by("position"))
        assert [r["child"] for r in chain] == ["run2", "run1"]
        assert queried.select_sql("SELECT * FROM v_visit_patch_overlap").count() == 16
        assert queried.select_sql("select name from v_collection").order_by("-name").limit(1).count() == 1

    @pytest.mark.parametrize("sql", [
        "DELETE FROM v_collection",
        "SELECT 1; DELETE FROM collection",
        "WITH doomed AS (SELECT 1) DELETE FROM collection",
        "WITH doomed AS (SELECT 1) INSERT INTO meta (key, value) SELECT 'x', 'y' FROM doomed",
        "SELECT * FROM v_dataset WHERE run = 'run1",
        "SELECT * FROM no_such_view",
    ])
    def test_select_sql_refuses_anything_but_one_select(self, queried: Registry, sql: str) -> None:
        needs(queried, RegistryCapability.SQL_SELECT)
        before = queried.select_sql("SELECT count(*) AS n FROM v_collection").count()
        with pytest.raises(QueryError):
            list(queried.select_sql(sql))
        assert before == queried.select_sql("SELECT count(*) AS n FROM v_collection").count()
        assert len(queried.query_collections()) == 5

    # == capabilities =============================================================================

    def test_undeclared_query_capabilities_are_refused(self, populated: Registry) -> None:
        calls: dict[RegistryCapability, Callable[[], object]] = {
            RegistryCapability.QUERIES: lambda: populated.query_data_ids("visit"),
            RegistryCapability.SQL_SELECT: lambda: populated.select_sql("SELECT 1"),
        }
        refused = [c for c in calls if c not in populated.capabilities]
        if not refused:
            pytest.skip("declares both QUERIES and SQL_SELECT")
        for capability in refused:
            with pytest.raises(CapabilityError, match=capability.value):
                calls[capability]()

    def test_results_are_lazy_objects_not_lists(self, queried: Registry) -> None:
        needs(queried, RegistryCapability.QUERIES)
        results = queried.query_data_ids("instrument")
        assert not isinstance(results, list | tuple | types.GeneratorType)
        assert sorted(d["instrument"] for d in results) == sorted(INSTRUMENTS)
        assert sorted(d["instrument"] for d in results) == sorted(INSTRUMENTS), "iterable again"
