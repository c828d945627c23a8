"""Spatial functions and bound regions in the where language: parsed, bound, checked; hostile input refused clearly."""

from __future__ import annotations

import math

import pytest
from lsst import sphgeom

from databutler.config.universe import default_universe
from databutler.domain.errors import QueryError
from databutler.domain.query import prepare_where
from databutler.domain.query.ast import Overlaps, RegionLiteral, SpatialFunction
from databutler.domain.query.errors import BindError, ExpressionLimitError, ExpressionSyntaxError
from databutler.domain.query.spatial import region_of

UNIVERSE = default_universe()


@pytest.mark.parametrize(("text", "kind"), [
    ("visit.region OVERLAPS POINT(10, 20)", sphgeom.Circle),
    ("visit.region OVERLAPS circle(10, 20, 1.5)", sphgeom.Circle),
    ("visit.region OVERLAPS BOX(10, 20, 2, 1)", sphgeom.Box),
    ("patch.region OVERLAPS POLYGON(10, 20, 11, 20, 10.5, 21)", sphgeom.ConvexPolygon),
    ("tract.region OVERLAPS REGION('POLYGON 10 20 11 20 10.5 21')", sphgeom.ConvexPolygon),
    ("visit_detector_region.region OVERLAPS POINT(:ra, :dec)", sphgeom.Circle),
])
def test_written_regions_parse_to_the_region_they_describe(text: str, kind: type) -> None:
    resolved = prepare_where(text, UNIVERSE, {"ra": 10.0, "dec": -20})
    assert isinstance(resolved.node, Overlaps) and isinstance(resolved.node.right, SpatialFunction)
    region = region_of(resolved.node.right)
    assert isinstance(region, kind)
    probe = (10.0, -20.0) if ":ra" in text else (10.0, 20.0) if "POINT" in text else (10.2, 20.1)
    assert region.contains(sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(*probe)))


def test_a_bound_region_or_its_bytes_become_a_region_literal() -> None:
    box = sphgeom.Box.fromDegrees(0, 0, 1, 1)
    for value in (box, bytes(box.encode())):
        resolved = prepare_where("visit.region OVERLAPS :r", UNIVERSE, {"r": value})
        assert isinstance(resolved.node, Overlaps) and isinstance(resolved.node.right, RegionLiteral)
        assert region_of(resolved.node.right) == box


@pytest.mark.parametrize(("text", "bind", "error", "message"), [
    ("visit.region OVERLAPS POLYGON(" + ", ".join(["1"] * 2002) + ")", None, ExpressionLimitError, "more than"),
    ("visit.region OVERLAPS POINT(:ra, 0)", {"ra": math.nan}, BindError, "finite"),
    ("visit.region OVERLAPS POINT(:ra, 0)", {"ra": "10"}, QueryError, "numbers"),
    ("visit.region OVERLAPS REGION(:pos)", {"pos": 5}, QueryError, "REGION takes a string"),
    ("visit.region OVERLAPS :r", {"r": sphgeom.Box()}, BindError, "empty"),
    ("visit.region OVERLAPS :r", {"r": "box"}, BindError, "lsst.sphgeom Region"),
    ("visit.region OVERLAPS :r", {"r": [1, 2]}, BindError, "':r'"),
    ("visit.region OVERLAPS POINT()", None, ExpressionSyntaxError, "POINT takes 2 arguments"),
    ("visit.region OVERLAPS POINT(1, 2))", None, ExpressionSyntaxError, r"unmatched .\)."),
    ("visit.region OVERLAPS BOX(1, 2, 0, 1)", None, QueryError, "positive"),
    ("visit.region OVERLAPS POINT(1, -90.5)", None, QueryError, "declination"),
    ("visit.region IS NULL OR visit.region OVERLAPS POINT(1, 2, 3)", None, ExpressionSyntaxError, "POINT"),
])
def test_hostile_spatial_input_is_refused_with_a_query_error(text: str, bind: dict[str, object] | None,
                                                             error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        prepare_where(text, UNIVERSE, bind)
