"""DataId normalisation and validation against the universe (pure domain, no registry)."""

from __future__ import annotations

import pytest

from databutler.config.universe import default_universe
from databutler.domain import DataId, DataIdError, DatasetType, UnknownDataUnitError, normalize_data_id

UNIVERSE = default_universe()
UNITS = DatasetType("calexp", ("visit", "detector"), "StructuredData").normalized(UNIVERSE).units


def test_dataset_type_units_become_their_required_closure_in_universe_order() -> None:
    assert UNITS == ("instrument", "detector", "visit")
    patch_units = DatasetType("coadd", ("patch", "band"), "NumpyArray").normalized(UNIVERSE).units
    assert patch_units == ("band", "skymap", "tract", "patch")


def test_normalize_merges_kwargs_and_orders_keys() -> None:
    data_id = normalize_data_id(UNIVERSE, UNITS, {"visit": 1}, {"detector": 2, "instrument": "Cam1"})
    assert list(data_id) == ["instrument", "detector", "visit"]
    assert data_id == {"instrument": "Cam1", "detector": 2, "visit": 1}
    assert data_id.key() == '["Cam1",2,1]'


def test_implied_values_are_kept_apart_and_ignored_by_equality() -> None:
    plain = normalize_data_id(UNIVERSE, UNITS, {"instrument": "Cam1", "visit": 1, "detector": 2})
    with_band = normalize_data_id(UNIVERSE, UNITS, {"instrument": "Cam1", "visit": 1, "detector": 2, "band": "r"})
    assert with_band.implied == {"band": "r"}
    assert plain == with_band
    assert hash(plain) == hash(with_band)


def test_numpy_style_integers_are_accepted() -> None:
    class IndexLike:
        def __index__(self) -> int:
            return 7

    data_id = normalize_data_id(UNIVERSE, UNITS, {"instrument": "Cam1", "visit": IndexLike(), "detector": 2})
    assert data_id["visit"] == 7
    assert type(data_id["visit"]) is int


@pytest.mark.parametrize(("given", "error", "fragment"), [
    ({"instrument": "Cam1", "visit": 1, "detectr": 2}, UnknownDataUnitError, "did you mean 'detector'"),
    ({"instrument": "Cam1", "visit": 1}, DataIdError, "missing a value for 'detector'"),
    ({"instrument": "Cam1", "visit": "1", "detector": 2}, DataIdError, "expected an integer"),
    ({"instrument": "Cam1", "visit": 1.0, "detector": 2}, DataIdError, "expected an integer"),
    ({"instrument": "Cam1", "visit": True, "detector": 2}, DataIdError, "expected an integer"),
    ({"instrument": 5, "visit": 1, "detector": 2}, DataIdError, "expected a string"),
    ({"instrument": "../../etc", "visit": 1, "detector": 2}, DataIdError, "path-like"),
    ({"instrument": "Cam/../etc", "visit": 1, "detector": 2}, DataIdError, "path-like"),
    ({"instrument": "Cam/", "visit": 1, "detector": 2}, DataIdError, "path-like"),
    ({"instrument": "Cam\\1", "visit": 1, "detector": 2}, DataIdError, "backslashes"),
    ({"instrument": "..", "visit": 1, "detector": 2}, DataIdError, "path-like"),
    ({"instrument": "Cam\x001", "visit": 1, "detector": 2}, DataIdError, "control characters"),
    ({"instrument": "", "visit": 1, "detector": 2}, DataIdError, "empty"),
    ({"instrument": "Cam1", "visit": 1, "detector": 2, "tract": 3}, DataIdError, "'tract' is not one of"),
    ({"instrument": "x" * 33, "visit": 1, "detector": 2}, DataIdError, "longer than 32"),
])
def test_malformed_data_ids_are_refused_with_a_clear_error(
        given: dict[str, object], error: type[Exception], fragment: str) -> None:
    with pytest.raises(error) as info:
        normalize_data_id(UNIVERSE, UNITS, given)
    assert fragment in str(info.value)


def test_a_value_given_twice_differently_is_refused() -> None:
    with pytest.raises(DataIdError, match="given twice"):
        normalize_data_id(UNIVERSE, UNITS, {"instrument": "Cam1", "visit": 1, "detector": 2}, {"visit": 3})


def test_a_non_mapping_data_id_is_refused() -> None:
    with pytest.raises(DataIdError, match="mapping"):
        normalize_data_id(UNIVERSE, UNITS, [("visit", 1)])  # type: ignore[arg-type]


def test_data_id_is_immutable_mapping() -> None:
    data_id = DataId({"instrument": "Cam1"})
    with pytest.raises(TypeError):
        data_id["instrument"] = "Cam2"  # type: ignore[index]
