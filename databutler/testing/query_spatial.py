"""The query contract, topic group. Spatial: overlaps computed from regions, and spatial ``where`` predicates.

The standard data's regions (``databutler.testing.data``) are laid out so that the overlaps the
registry computes are ``VISIT_PATCH_OVERLAPS``, detectors 1-2 of a visit over its first patch and
3-4 over its second. Nothing here relies on overlap rows typed in by hand: the tests hold for a
universe without ``visit_patch_overlap`` too. Adopt it alone by subclassing ``QuerySpatialContract``.
"""

from __future__ import annotations

import pytest
from lsst import sphgeom

from ..domain.collection import CollectionKind
from ..domain.dataset_type import DatasetType
from ..domain.errors import DataIdError, QueryError
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import DETECTORS, VISIT_PATCH_OVERLAPS, VISITS, detector_region, visit_region
from .query_support import QueryFixtures
from .requirements import requires


def _patches_of_detector(instrument: str, visit: int, detector: int) -> tuple[int, int]:
    """The (tract, patch) a detector's slice of a visit lies over (see the module docstring)."""
    first, second = VISIT_PATCH_OVERLAPS[(instrument, visit)]
    return first if detector <= 2 else second


def _dump(registry: Registry) -> dict[str, list[dict[str, object]]]:
    """Every record of the spatial elements, regions as their encoding, to check nothing changed."""
    out: dict[str, list[dict[str, object]]] = {}
    for element in ("visit", "visit_detector_region", "tract", "patch"):
        out[element] = [{k: bytes(v.encode()) if isinstance(v, sphgeom.Region) else v for k, v in r.items()}
                        for r in registry.fetch_data_unit_records(element)]
    return out


class QuerySpatialContract(QueryFixtures):
    """Spatial joins and predicates of the query contract."""

    # == overlaps computed from regions ==========================================================

    @requires(RegistryCapability.QUERIES)
    def test_visits_and_patches_are_related_by_their_regions(self, queried: Registry) -> None:
        found = {(d["instrument"], d["visit"], d["tract"], d["patch"])
                 for d in queried.query_data_ids(("visit", "patch"))}
        assert found == {(i, v, t, p) for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() for t, p in pairs}

    @requires(RegistryCapability.QUERIES)
    def test_visits_and_tracts_are_related_by_the_tract_regions(self, queried: Registry) -> None:
        found = {(d["visit"], d["tract"]) for d in queried.query_data_ids(("visit", "tract"),
                                                                          where="instrument = 'Cam1'")}
        assert found == {(v, t) for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() if i == "Cam1" for t, _ in pairs}

    @requires(RegistryCapability.QUERIES)
    def test_with_detectors_the_detector_regions_decide(self, queried: Registry) -> None:
        found = {(d["visit"], d["detector"], d["tract"], d["patch"])
                 for d in queried.query_data_ids(("visit", "detector", "patch"), where="instrument = 'Cam2'")}
        assert found == {(v, d, *_patches_of_detector(i, v, d)) for (i, v) in VISITS if i == "Cam2"
                         for d in DETECTORS}

    @requires(RegistryCapability.QUERIES)
    def test_datasets_are_found_by_the_patch_their_detector_saw(self, queried: Registry) -> None:
        refs = queried.query_datasets("calexp", ["run1"], where="skymap = 'SkyMap1' AND tract = 0 AND patch = 1")
        found = {(r.data_id["instrument"], r.data_id["visit"], r.data_id["detector"]) for r in refs}
        assert found == {(i, v, d) for (i, v) in VISITS for d in DETECTORS
                         if _patches_of_detector(i, v, d) == (0, 1)}
        assert found  # visit 1's east half and visit 2's west half

    @requires(RegistryCapability.QUERIES)
    def test_records_related_spatially_follow_the_regions(self, queried: Registry) -> None:
        patches = queried.query_data_unit_records("patch", where="instrument = 'Cam1' AND visit = 4")
        assert {(p["tract"], p["id"]) for p in patches} == set(VISIT_PATCH_OVERLAPS[("Cam1", 4)])
        visits = queried.query_data_unit_records("visit", where="skymap = 'SkyMap1' AND tract = 1 AND patch = 0")
        assert {(v["instrument"], v["id"]) for v in visits} == {
            k for k, pairs in VISIT_PATCH_OVERLAPS.items() if (1, 0) in pairs}
        assert all(isinstance(v["region"], sphgeom.Region) for v in visits)

    @requires(RegistryCapability.QUERIES)
    def test_a_new_or_replaced_region_is_related_at_once(self, queried: Registry) -> None:
        def patches() -> set[tuple[object, object]]:
            return {(d["tract"], d["patch"]) for d in queried.query_data_ids(
                ("visit", "patch"), where="instrument = 'Cam1' AND visit = 9")}

        queried.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "region": visit_region("Cam2", 12)}])
        assert patches() == set(VISIT_PATCH_OVERLAPS[("Cam2", 12)])
        assert queried.update_data_units("visit", [{"instrument": "Cam1", "id": 9,
                                                    "region": visit_region("Cam2", 13)}]) == 1
        assert patches() == set(VISIT_PATCH_OVERLAPS[("Cam2", 13)])
        assert queried.update_data_units("visit", [{"instrument": "Cam1", "id": 9, "region": None}]) == 1
        assert patches() == set()

    # == spatial where ===========================================================================

    @requires(RegistryCapability.QUERIES)
    @pytest.mark.parametrize(("where", "expected"), [
        ("visit.region OVERLAPS POINT(45, 87)", {("Cam1", 1)}),
        ("visit.region OVERLAPS CIRCLE(90, 87, 0.5)", {("Cam1", 2)}),
        ("visit.region OVERLAPS BOX(135, 87, 1, 1)", {("Cam1", 3)}),
        ("visit.region OVERLAPS POLYGON(179, 86.5, 181, 86.5, 180, 87.5)", {("Cam1", 4)}),
        ("visit.region OVERLAPS REGION('CIRCLE 225 87 0.5')", {("Cam2", 11)}),
        ("visit.region OVERLAPS point(0, 87) OR visit.region OVERLAPS POINT(45, 87)", {("Cam2", 14), ("Cam1", 1)}),
        ("visit.region OVERLAPS POINT(45, -87)", set()),
        ("NOT visit.region OVERLAPS CIRCLE(0, 90, 5) AND instrument = 'Cam1'", set()),
    ])
    def test_visits_whose_region_overlaps_a_written_region(self, queried: Registry, where: str,
                                                          expected: set[tuple[str, int]]) -> None:
        assert {(d["instrument"], d["visit"]) for d in queried.query_data_ids("visit", where=where)} == expected

    @requires(RegistryCapability.QUERIES)
    def test_detectors_whose_region_overlaps_a_bound_region(self, queried: Registry) -> None:
        seen = detector_region("Cam1", 2, 3)
        found = queried.query_data_ids(("visit", "detector"), where="visit_detector_region.region OVERLAPS :r",
                                       bind={"r": seen})
        assert {(d["instrument"], d["visit"], d["detector"]) for d in found} == {("Cam1", 2, 3)}
        encoded = queried.query_datasets("calexp", ["run1"], where="visit_detector_region.region OVERLAPS :r",
                                         bind={"r": bytes(seen.encode())})
        assert {(r.data_id["visit"], r.data_id["detector"]) for r in encoded} == {(2, 3)}

    @requires(RegistryCapability.QUERIES)
    @pytest.mark.parametrize(("where", "bind", "message"), [
        ("visit.region OVERLAPS POINT(1)", None, "POINT takes 2 arguments"),
        ("visit.region OVERLAPS CIRCLE(1, 2, 0)", None, "radius"),
        ("visit.region OVERLAPS POINT(10, 91)", None, "declination"),
        ("visit.region OVERLAPS POLYGON(0, 0, 0, 0, 0, 0)", None, "convex polygon"),
        ("visit.region OVERLAPS REGION('SPHERE 1 2')", None, "IVOA POS"),
        ("visit.region OVERLAPS POINT('a', 2)", None, "numbers"),
        ("visit.region OVERLAPS POINT(visit, 2)", None, "values, not fields"),
        ("visit.region OVERLAPS :r", {"r": "box"}, "Region"),
        ("visit.region OVERLAPS :r", {"r": b"\x00\x01"}, "encoded"),
        ("visit.region OVERLAPS visit.timespan", None, "region on its right"),
        ("visit.timespan OVERLAPS POINT(1, 2)", None, "region field on its left"),
        ("visit.region = :r", {"r": sphgeom.Box.fromDegrees(0, 0, 1, 1)}, "region"),
    ])
    def test_malformed_spatial_predicates_are_refused_clearly(self, queried: Registry, where: str,
                                                              bind: dict[str, object] | None, message: str) -> None:
        before = _dump(queried)
        with pytest.raises((QueryError, DataIdError), match=message):
            list(queried.query_data_ids("visit", where=where, bind=bind))
        assert _dump(queried) == before  # a refused query changes nothing

    # == skypix DataUnits ========================================================================

    @requires(RegistryCapability.QUERIES)
    def test_skypix_values_relate_to_regions_exactly(self, queried: Registry) -> None:
        pixelization = sphgeom.HtmPixelization(7)
        region = visit_region("Cam1", 3)
        expected = {i for begin, end in pixelization.envelope(region) for i in range(begin, end)
                    if pixelization.pixel(i).overlaps(region) is not False}
        found = {d["htm7"] for d in queried.query_data_ids(("visit", "htm7"),
                                                           where="instrument = 'Cam1' AND visit = 3")}
        assert found == expected
        pixel = min(found)
        back = {(d["instrument"], d["visit"]) for d in queried.query_data_ids("visit", where="htm7 = :p",
                                                                               bind={"p": pixel})}
        assert ("Cam1", 3) in back and ("Cam1", 1) not in back

    @requires(RegistryCapability.QUERIES)
    def test_datasets_labelled_by_skypix_are_found_through_regions(self, queried: Registry) -> None:
        queried.register_dataset_type(DatasetType("ref_cat", ("htm7",), "StructuredData"))
        queried.register_collection("refcats", CollectionKind.RUN)
        pixelization = sphgeom.HtmPixelization(7)
        inside = pixelization.index(sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(45, 87)))  # in Cam1 visit 1
        far = pixelization.index(sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(45, -40)))
        queried.insert_datasets("ref_cat", "refcats", [{"htm7": inside}, {"htm7": far}])
        refs = queried.query_datasets("ref_cat", ["refcats"], where="instrument = 'Cam1' AND visit = 1")
        assert [r.data_id["htm7"] for r in refs] == [inside]
        assert queried.query_data_ids("htm7", datasets="ref_cat", collections=["refcats"]).count() == 2

    @requires(RegistryCapability.QUERIES)
    def test_skypix_values_are_range_checked_and_have_no_records(self, queried: Registry) -> None:
        queried.register_dataset_type(DatasetType("ref_cat", ("htm7",), "StructuredData"))
        queried.register_collection("refcats", CollectionKind.RUN)
        for value in (0, 2**17 - 1, 2**18, -1):
            with pytest.raises(DataIdError, match=r"not a pixel of htm7.*\[131072, 262144\)"):
                queried.insert_datasets("ref_cat", "refcats", [{"htm7": value}])
        with pytest.raises(DataIdError, match="skypix DataUnit, which has no records"):
            queried.insert_data_units("htm7", [{"id": 2**17}])
        with pytest.raises(QueryError, match="skypix DataUnit without records"):
            queried.query_data_ids("htm7").count()
        assert list(queried.query_datasets("ref_cat", ["refcats"])) == []  # nothing was written
