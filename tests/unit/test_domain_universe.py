"""Universe construction from plain mappings, and its consistency checks."""

from __future__ import annotations

from typing import Any

import pytest

from databutler.config.universe import default_universe, load_universe
from databutler.domain import ConfigError, FieldType, JoinElement, Universe, UniverseError, UnknownDataUnitError
from databutler.testing.data import standard_universe


def test_default_universe_has_the_reference_elements_and_joins() -> None:
    universe = default_universe()
    assert (universe.namespace, universe.version) == ("daf_butler", 8)
    assert {u.name for u in universe.units} == {
        "instrument", "band", "physical_filter", "subfilter", "detector", "group", "day_obs", "visit", "exposure",
        "skymap", "tract", "patch", "visit_system", "ssp_hypothesis_table", "ssp_hypothesis_bundle",
        "ssp_balanced_index", "htm7"}  # htm7: the common skypix level (no records; see domain/topology.py)
    joins = {j.name: (j.joins, j.always_join, j.populated_by) for j in universe.join_elements}
    assert joins == {"visit_detector_region": (("visit", "detector"), False, "visit"),
                     "visit_definition": (("exposure", "visit"), True, "visit"),
                     "visit_system_membership": (("visit", "visit_system"), True, "visit")}
    assert "visit_patch_overlap" not in universe  # the reference relates visits and patches by region
    assert universe.required("patch") == ("skymap", "tract", "patch")
    assert universe.implied(("instrument", "visit")) == ("band", "physical_filter", "day_obs")
    assert universe.implied(("instrument", "exposure")) == ("band", "physical_filter", "group", "day_obs")
    assert universe.required("subfilter") == ("band", "subfilter")
    assert universe.unit("visit").key.type is FieldType.INT


def test_default_universe_fields_are_the_references_field_for_field() -> None:
    universe = default_universe()

    def fields(name: str) -> set[str]:
        return {f.name for f in universe.record_fields(name)}

    assert fields("exposure") == {
        "instrument", "id", "obs_id", "physical_filter", "group", "day_obs", "exposure_time", "dark_time",
        "observation_type", "observation_reason", "seq_num", "seq_start", "seq_end", "target_name",
        "science_program", "tracking_ra", "tracking_dec", "sky_angle", "azimuth", "zenith_angle",
        "has_simulated", "can_see_sky", "timespan"}
    assert fields("visit") == {
        "instrument", "id", "name", "physical_filter", "day_obs", "seq_num", "exposure_time", "target_name",
        "observation_reason", "science_program", "azimuth", "zenith_angle", "timespan", "region"}
    assert fields("day_obs") == {"instrument", "id", "timespan"}
    assert fields("group") == {"instrument", "name"}
    assert fields("visit_system") == {"instrument", "id", "name"}
    assert fields("visit_detector_region") == {"instrument", "visit", "detector", "region"}
    assert fields("tract") == {"skymap", "id", "region"}
    assert {f.name: f.type for f in universe.record_fields("exposure")}["can_see_sky"] is FieldType.BOOL


def test_alternate_keys_are_unique_fields_within_the_required_parents() -> None:
    universe = default_universe()
    assert universe.unique_fields("detector") == (("instrument", "full_name"),)
    assert universe.unique_fields("visit") == (("instrument", "name"),)
    assert universe.unique_fields("exposure") == (("instrument", "obs_id"),)
    assert universe.unique_fields("visit_system") == (("instrument", "name"),)
    assert universe.unique_fields("skymap") == (("hash",),)
    assert universe.unique_fields("patch") == ()
    assert [f.name for f in universe.unit("visit").alternate_keys] == ["name"]


def test_join_rules_round_trip_and_bad_declarations_are_refused() -> None:
    universe = default_universe()
    again = Universe.from_mapping(universe.to_mapping())
    assert again.element("visit_definition") == universe.element("visit_definition")
    with pytest.raises(UniverseError, match="always_join must be true or false"):
        _universe({"a": {"key": {"name": "id", "type": "int"}},
                   "b": {"key": {"name": "id", "type": "int"}},
                   "ab": {"joins": ["a", "b"], "always_join": "yes"}})
    with pytest.raises(UniverseError, match="refers to 'c'"):
        _universe({"a": {"key": {"name": "id", "type": "int"}},
                   "ab": {"joins": ["a"], "populated_by": "c"}})
    with pytest.raises(UniverseError, match="only a DataUnit has alternate keys"):
        _universe({"a": {"key": {"name": "id", "type": "int"}},
                   "ab": {"joins": ["a"], "metadata": [{"name": "x", "unique": True}]}})
    with pytest.raises(UniverseError, match="alternate key 'x' must be int or string"):
        _universe({"a": {"key": {"name": "id", "type": "int"}, "metadata": [{"name": "x", "type": "float",
                                                                            "unique": True}]}})


def test_the_standard_test_universe_adds_a_stored_visit_patch_relationship() -> None:
    universe = standard_universe()
    overlap = universe.element("visit_patch_overlap")
    assert isinstance(overlap, JoinElement) and overlap.always_join
    assert universe.key_fields("visit_patch_overlap") == ("instrument", "visit", "skymap", "tract", "patch")
    assert {e.name for e in universe.elements} - {e.name for e in default_universe().elements} == {
        "visit_patch_overlap"}


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
