"""The Registry contract, topic group. DataUnit records: the universe a registry holds, inserting, fetching,
updating and validating records, and expanding DataIds.

Adopt it alone by subclassing ``RegistryDataUnitsContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import pytest

from ..domain.errors import (
    ConflictingDefinitionError,
    DataIdError,
    UnknownDataUnitError,
)
from ..domain.universe import Universe
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import detector_region, standard_records, visit_timespan
from .registry_editing import DataUnitUpdateContract
from .registry_support import (
    TINY_UNIVERSE,
    MakeRegistry,
    RegistryFixtures,
    all_records,
    calexp_id,
)


class RegistryDataUnitsContract(DataUnitUpdateContract, RegistryFixtures):
    """DataUnit records of the Registry contract."""

    # == universe and capabilities ============================================================

    def test_registry_holds_the_universe_it_was_made_with(self, make_registry: MakeRegistry) -> None:
        tiny = Universe.from_mapping(TINY_UNIVERSE)
        registry = make_registry(universe=tiny)
        assert registry.universe == tiny
        assert registry.insert_data_units("camera", [{"name": "C"}]) == 1
        assert registry.insert_data_units("ccd", [{"camera": "C", "id": 1, "gain": 1.5}]) == 1
        assert registry.fetch_data_unit_records("ccd") == [{"camera": "C", "id": 1, "gain": 1.5}]
        with pytest.raises(UnknownDataUnitError):
            registry.insert_data_units("instrument", [{"name": "Cam1"}])

    def test_declared_capabilities_are_registry_capabilities_and_include_write(self, registry: Registry) -> None:
        assert all(isinstance(c, RegistryCapability) for c in registry.capabilities)
        assert RegistryCapability.WRITE in registry.capabilities  # make_registry promises a writeable one

    def test_close_can_be_called_twice(self, make_registry: MakeRegistry) -> None:
        registry = make_registry()
        registry.close()
        registry.close()

    # == DataUnits =============================================================================

    def test_inserted_records_are_fetched_back_with_every_field(self, populated: Registry) -> None:
        visits = populated.fetch_data_unit_records("visit")
        expected = {(r["instrument"], r["id"]): r for r in standard_records()["visit"]}
        assert len(visits) == len(expected)
        for record in visits:
            given = expected[(record["instrument"], record["id"])]
            assert {k: record[k] for k in given} == given
            assert record["seq_num"] is None  # fields not given read back as None
        assert visits[0]["timespan"] == visit_timespan(visits[0]["instrument"], visits[0]["id"])

    def test_insert_returns_how_many_records_were_new(self, registry: Registry) -> None:
        assert registry.insert_data_units("instrument", [{"name": "Cam1"}, {"name": "Cam2"}]) == 2
        assert registry.insert_data_units("instrument", [{"name": "Cam1"}, {"name": "Cam3"}],
                                          skip_existing=True) == 1
        assert [r["name"] for r in registry.fetch_data_unit_records("instrument")] == ["Cam1", "Cam2", "Cam3"]

    def test_fetch_with_keys_returns_those_records_in_key_order(self, populated: Registry) -> None:
        records = populated.fetch_data_unit_records("detector", [{"instrument": "Cam2", "id": 3},
                                                                 {"instrument": "Cam1", "id": 2},
                                                                 {"instrument": "Cam1", "id": 99}])
        assert [(r["instrument"], r["id"]) for r in records] == [("Cam2", 3), ("Cam1", 2)]
        assert records[1]["full_name"] == "S01"

    def test_unknown_element_is_refused_with_a_suggestion(self, registry: Registry) -> None:
        with pytest.raises(UnknownDataUnitError, match="'visit'"):
            registry.insert_data_units("vist", [{"id": 1}])
        with pytest.raises(UnknownDataUnitError, match="'detector'"):
            registry.fetch_data_unit_records("detektor")
        with pytest.raises(UnknownDataUnitError):
            registry.expand_data_ids(["vist"], [{"instrument": "Cam1", "vist": 1}])

    def test_record_with_an_unknown_field_is_refused_and_nothing_is_written(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="colour"):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 9, "colour": "red"}])
        assert all_records(populated) == before

    def test_record_missing_a_key_field_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="'id'"):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "full_name": "S99"}])
        with pytest.raises(DataIdError, match="'instrument'"):
            populated.insert_data_units("detector", [{"id": 9}])
        assert all_records(populated) == before

    def test_record_with_a_key_of_the_wrong_type_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="integer"):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": "nine"}])
        with pytest.raises(DataIdError):
            populated.insert_data_units("detector", [{"instrument": 1, "id": 9}])
        assert all_records(populated) == before

    def test_record_with_metadata_of_the_wrong_type_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="exposure_time"):
            populated.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "exposure_time": "long"}])
        with pytest.raises(DataIdError, match="timespan"):
            populated.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "timespan": "tonight"}])
        assert all_records(populated) == before

    @pytest.mark.parametrize("value", ["../x", "a//b", "a/", "/a", "a/../b", "..", ".", "a\\b", "tab\there", ""])
    def test_path_like_or_control_character_key_values_are_refused(self, registry: Registry, value: str) -> None:
        with pytest.raises(DataIdError):
            registry.insert_data_units("instrument", [{"name": value}])
        assert registry.fetch_data_unit_records("instrument") == []
        with pytest.raises(DataIdError):
            registry.expand_data_ids(["instrument"], [{"instrument": value}])

    def test_record_naming_a_parent_the_registry_does_not_hold_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="CamX"):
            populated.insert_data_units("detector", [{"instrument": "CamX", "id": 1}])
        with pytest.raises(DataIdError, match="Cam1-z"):
            populated.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "physical_filter": "Cam1-z"}])
        assert all_records(populated) == before

    def test_batch_with_one_bad_record_writes_nothing(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 7}, {"instrument": "CamX", "id": 8}])
        assert all_records(populated) == before

    def test_reinserting_a_different_record_with_the_same_key_is_a_conflict(self, populated: Registry) -> None:
        before = all_records(populated)
        changed = {"instrument": "Cam1", "id": 1, "full_name": "other"}
        for skip_existing in (False, True):
            with pytest.raises(ConflictingDefinitionError, match="full_name"):
                populated.insert_data_units("detector", [changed], skip_existing=skip_existing)
        assert all_records(populated) == before

    def test_reinserting_an_identical_record_is_a_conflict_unless_skip_existing(self, populated: Registry) -> None:
        record = standard_records()["detector"][0]
        with pytest.raises(ConflictingDefinitionError):
            populated.insert_data_units("detector", [record])
        assert populated.insert_data_units("detector", [record], skip_existing=True) == 0
        partial = {"instrument": record["instrument"], "id": record["id"], "full_name": record["full_name"]}
        assert populated.insert_data_units("detector", [partial], skip_existing=True) == 0

    def test_the_same_key_twice_in_one_batch_is_a_conflict(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(ConflictingDefinitionError):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 9, "full_name": "a"},
                                                     {"instrument": "Cam1", "id": 9, "full_name": "b"}])
        assert all_records(populated) == before

    def test_an_alternate_key_value_taken_by_another_record_is_a_conflict(self, populated: Registry) -> None:
        """visit.name, detector.full_name...: unique among the records of the same instrument."""
        before = all_records(populated)
        with pytest.raises(ConflictingDefinitionError):
            populated.insert_data_units("detector", [{"instrument": "Cam1", "id": 9, "full_name": "S00"}])
        with pytest.raises(ConflictingDefinitionError):
            populated.insert_data_units("visit", [{"instrument": "Cam1", "id": 9, "name": "visit1",
                                                   "physical_filter": "Cam1-g", "day_obs": 20240101}])
        assert all_records(populated) == before
        # The same value under another instrument is another key.
        assert populated.insert_data_units("detector", [{"instrument": "Cam2", "id": 9, "full_name": "X9"},
                                                        {"instrument": "Cam1", "id": 9, "full_name": "X9"}]) == 2

    def test_populated_by_units_are_inserted_from_their_source_records(self, registry: Registry) -> None:
        registry.insert_data_units("instrument", [{"name": "Cam1"}])
        assert registry.fetch_data_unit_records("band") == []
        registry.insert_data_units("physical_filter", [{"instrument": "Cam1", "name": "Cam1-g", "band": "g"},
                                                       {"instrument": "Cam1", "name": "Cam1-g2", "band": "g"},
                                                       {"instrument": "Cam1", "name": "Cam1-i", "band": "i"}])
        assert registry.fetch_data_unit_records("band") == [{"name": "g"}, {"name": "i"}]

    def test_join_element_records_are_inserted_and_fetched(self, populated: Registry) -> None:
        overlaps = populated.fetch_data_unit_records("visit_patch_overlap")
        assert len(overlaps) == len(standard_records()["visit_patch_overlap"])
        assert {"instrument": "Cam1", "visit": 1, "skymap": "SkyMap1", "tract": 0, "patch": 0} in overlaps
        regions = populated.fetch_data_unit_records("visit_detector_region",
                                                    [{"instrument": "Cam2", "visit": 12, "detector": 4}])
        assert regions == [{"instrument": "Cam2", "detector": 4, "visit": 12, "region": detector_region("Cam2", 12, 4)}]

    def test_join_element_record_naming_an_unknown_unit_value_is_refused(self, populated: Registry) -> None:
        before = all_records(populated)
        with pytest.raises(DataIdError, match="99"):
            populated.insert_data_units("visit_detector_region", [{"instrument": "Cam1", "visit": 99, "detector": 1}])
        assert all_records(populated) == before

    # == DataIds ===============================================================================

    def test_expand_fills_in_implied_values(self, populated: Registry) -> None:
        (expanded,) = populated.expand_data_ids(["visit", "detector"], [calexp_id(3, 2)])
        assert dict(expanded) == {"instrument": "Cam1", "detector": 2, "visit": 3}
        assert dict(expanded.implied) == {"physical_filter": "Cam1-r", "band": "r", "day_obs": 20240102}
        assert expanded == calexp_id(3, 2)

    def test_expand_accepts_implied_values_that_agree_with_the_records(self, populated: Registry) -> None:
        (expanded,) = populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "band": "g"}])
        assert expanded.implied["physical_filter"] == "Cam1-g"

    def test_expand_refuses_an_implied_value_that_contradicts_the_records(self, populated: Registry) -> None:
        with pytest.raises(DataIdError, match="physical_filter"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "physical_filter": "Cam1-r"}])
        with pytest.raises(DataIdError, match="band"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "band": "r"}])

    def test_expand_refuses_a_value_the_registry_does_not_hold_naming_it(self, populated: Registry) -> None:
        with pytest.raises(DataIdError, match=r"visit.*77"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 77}])
        with pytest.raises(DataIdError, match="Cam9"):
            populated.expand_data_ids(["detector"], [{"instrument": "Cam9", "detector": 1}])

    def test_expand_refuses_missing_extra_and_mistyped_keys(self, populated: Registry) -> None:
        with pytest.raises(DataIdError, match="detector"):
            populated.expand_data_ids(["visit", "detector"], [{"instrument": "Cam1", "visit": 1}])
        with pytest.raises(DataIdError, match="tract"):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": 1, "tract": 0}])
        with pytest.raises(DataIdError):
            populated.expand_data_ids(["visit"], [{"instrument": "Cam1", "visit": "1"}])

    def test_expand_handles_many_data_ids_at_once_in_order(self, populated: Registry) -> None:
        given = [calexp_id(v, d, i) for (i, v) in [("Cam1", 4), ("Cam2", 11), ("Cam1", 1)] for d in (1, 4)]
        expanded = populated.expand_data_ids(["visit", "detector"], given)
        assert expanded == given
        assert [e.implied["band"] for e in expanded] == ["r", "r", "r", "r", "g", "g"]
