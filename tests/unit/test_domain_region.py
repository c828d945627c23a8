"""Region values: sphgeom Regions or the reference's encoded bytes, validated; everything else refused by name."""

from __future__ import annotations

import math

import pytest
from lsst import sphgeom

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain.errors import DataIdError
from databutler.domain.region import coerce_region, decode_region, encode_region, same_value
from databutler.domain.values import FieldType, coerce_value

TRIANGLE = sphgeom.ConvexPolygon([sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(lon, lat))
                                  for lon, lat in ((10, 0), (11, 0), (10, 1))])
CIRCLE = sphgeom.Circle(sphgeom.UnitVector3d(sphgeom.LonLat.fromDegrees(30, 40)), sphgeom.Angle.fromDegrees(0.5))
BOX = sphgeom.Box.fromDegrees(0, 0, 1, 1)
UNION = sphgeom.UnionRegion(TRIANGLE, CIRCLE)


@pytest.mark.parametrize("region", [TRIANGLE, CIRCLE, BOX, UNION], ids=["polygon", "circle", "box", "union"])
def test_regions_and_their_encodings_are_accepted_and_round_trip(region: sphgeom.Region) -> None:
    assert coerce_region(region, "x") is region
    encoded = encode_region(region)
    decoded = coerce_region(encoded, "x")
    assert type(decoded) is type(region)
    assert same_value(decoded, region)
    assert encode_region(decode_region(bytearray(encoded), "x")) == encoded
    assert coerce_value(memoryview(encoded), FieldType.REGION, "visit record field 'region'") is not None


@pytest.mark.parametrize(("value", "message"), [
    ("vdr(1,2)", "not a string"),
    (encode_region(TRIANGLE).hex(), "not a string"),
    (b"", "empty byte string"),
    (b"xyz", "first byte 0x78"),
    (encode_region(TRIANGLE)[:-1], "not a valid encoded ConvexPolygon"),
    (b"c" + b"\xff" * 40, "not finite"),
    (12, "got int"),
    ([1.0, 2.0], "got list"),
    (sphgeom.Box(), "is empty"),
    (sphgeom.Circle(sphgeom.UnitVector3d(1, 0, 0), sphgeom.Angle(math.nan)), "not finite"),
    (b"p" + b"\x00" * (1 << 20), "longer than"),
])
def test_anything_else_is_refused_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(DataIdError, match=message) as caught:
        coerce_value(value, FieldType.REGION, "visit record field 'region'")
    assert "visit record field 'region'" in str(caught.value)


def test_an_invalid_region_is_refused_by_the_registry_and_nothing_is_written() -> None:
    registry = SqlRegistry.create("sqlite://", default_universe())
    registry.insert_data_units("instrument", [{"name": "Cam1"}])
    good = {"instrument": "Cam1", "id": 1, "region": BOX}
    with pytest.raises(DataIdError, match=r"visit record field 'region'.*not a string"):
        registry.insert_data_units("visit", [good, {"instrument": "Cam1", "id": 2, "region": "box"}])
    assert registry.fetch_data_unit_records("visit") == []
    registry.insert_data_units("visit", [good])
    (stored,) = registry.fetch_data_unit_records("visit")
    assert isinstance(stored["region"], sphgeom.Box) and stored["region"] == BOX
    with pytest.raises(DataIdError, match="region"):
        registry.update_data_units("visit", [{"instrument": "Cam1", "id": 1, "region": b"\x01"}])
    assert registry.fetch_data_unit_records("visit")[0]["region"] == BOX


def test_identical_records_with_compound_regions_are_skipped_as_existing() -> None:
    registry = SqlRegistry.create("sqlite://", default_universe())
    registry.insert_data_units("instrument", [{"name": "Cam1"}])
    record = {"instrument": "Cam1", "id": 1, "region": UNION}
    assert registry.insert_data_units("visit", [record]) == 1
    assert registry.insert_data_units("visit", [{**record, "region": encode_region(UNION)}], skip_existing=True) == 0
