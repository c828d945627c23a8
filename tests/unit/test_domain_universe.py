"""Universe construction from plain mappings, and its consistency checks."""

from __future__ import annotations

from typing import Any

import pytest

from databutler.config.universe import default_universe, load_universe
from databutler.domain import ConfigError, FieldType, Universe, UniverseError, UnknownDataUnitError


def test_default_universe_has_the_reference_elements_and_joins() -> None:
    universe = default_universe()
    names = {e.name for e in universe.elements}
    assert {"instrument", "detector", "physical_filter", "band", "day_obs", "exposure", "visit",
            "skymap", "tract", "patch"} <= names
    assert {j.name for j in universe.join_elements} == {
        "visit_detector_region", "visit_definition", "visit_patch_overlap"}
    assert universe.required("patch") == ("skymap", "tract", "patch")
    assert universe.implied(("instrument", "visit")) == ("band", "physical_filter", "day_obs")
    assert universe.key_fields("visit_patch_overlap") == ("instrument", "visit", "skymap", "tract", "patch")
    assert universe.unit("visit").key.type is FieldType.INT


def test_universe_round_trips_through_a_mapping() -> None:
    universe = default_universe()
    assert Universe.from_mapping(universe.to_mapping()) == universe


def test_unknown_element_suggests_close_names() -> None:
    with pytest.raises(UnknownDataUnitError, match="did you mean 'visit'"):
        default_universe().element("vist")


def _universe(elements: dict[str, Any]) -> Universe:
    return Universe.from_mapping({"elements": elements})


@pytest.mark.parametrize(("elements", "fragment"), [
    ({"a": {"key": {"name": "id", "type": "int"}, "requires": ["b"]}}, "refers to 'b'"),
    ({"a": {"key": {"name": "id", "type": "float"}}}, "must be int or string"),
    ({"a": {"metadata": []}}, "needs a 'key'"),
    ({"a": {"key": {"name": "id"}, "requires": ["b"]}, "b": {"key": {"name": "id"}, "requires": ["a"]}}, "cycle"),
    ({"a": {"key": {"name": "id", "type": "blob"}}}, "is not one of"),
    ({"a": {"key": {"name": "id"}, "colour": "red"}}, "unknown attributes"),
    ({"a": {"key": {"name": "id"}, "metadata": [{"name": "id"}]}}, "duplicate fields"),
    ({"i": {"key": {"name": "n"}}, "f": {"key": {"name": "n"}, "requires": ["i"]},
      "v": {"key": {"name": "n"}, "implies": ["f"]}}, "does not require"),
])
def test_inconsistent_universes_are_refused(elements: dict[str, Any], fragment: str) -> None:
    with pytest.raises(UniverseError, match=fragment):
        _universe(elements)


def test_load_universe_reports_unreadable_files(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="cannot read universe"):
        load_universe(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements: {}\n")
    with pytest.raises(ConfigError, match="invalid"):
        load_universe(str(bad))
