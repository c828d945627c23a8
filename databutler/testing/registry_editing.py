"""Registry contract tests for correcting what was registered: updating DataUnit records, and the
refusals that keep a user's typo out of the registry (unknown storage classes, misspelled names).

Part of the data-unit and dataset-type groups of ``RegistryContract``; the tests use the ``registry`` fixture
and write their own records, so they run the same on a layered registry, whose standard records
are in the read-only release.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset_type import DatasetType
from ..domain.errors import (
    ConflictingDefinitionError,
    DataIdError,
    MissingDatasetTypeError,
    StorageClassError,
)
from ..ports.registry import Registry
from .registry_support import RegistryFixtures
from .requirements import Harness, requires

CAMERA = "CamU"
VISIT = {"instrument": CAMERA, "visit": 1, "detector": 1}
PICTURE = DatasetType("picture", ("instrument", "visit", "detector"), "StructuredData")


class EditingBoomError(Exception):
    """Raised by tests to abandon a transaction."""


def insert_camera(registry: Registry) -> None:
    """Instrument CamU without detector_max, filters CamU-g (band g) and CamU-r (band r), detector 1, visit 1 (g)."""
    with registry.transaction():
        registry.insert_data_units("instrument", [{"name": CAMERA, "visit_max": 10}])
        registry.insert_data_units("physical_filter", [{"instrument": CAMERA, "name": "CamU-g", "band": "g"},
                                                       {"instrument": CAMERA, "name": "CamU-r", "band": "r"}])
        registry.insert_data_units("detector", [{"instrument": CAMERA, "id": 1, "purpose": "SCIENCE"}])
        registry.insert_data_units("visit", [{"instrument": CAMERA, "id": 1, "physical_filter": "CamU-g",
                                              "exposure_time": 30.0}])


def camera_records(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """The records ``insert_camera`` wrote, as the registry holds them now."""
    return {e: registry.fetch_data_unit_records(e) for e in ("instrument", "physical_filter", "detector", "visit")}


class DataUnitUpdateContract(RegistryFixtures):
    """``update_data_units``: set fields of existing records; keys never change; missing records are refused."""

    def test_update_sets_a_field_left_empty_at_insert_and_keeps_the_others(self, registry: Registry) -> None:
        insert_camera(registry)
        assert registry.update_data_units("instrument", [{"name": CAMERA, "detector_max": 200}]) == 1
        [record] = registry.fetch_data_unit_records("instrument", [{"name": CAMERA}])
        assert record["detector_max"] == 200
        assert record["visit_max"] == 10, "fields not given keep their values"

    def test_update_can_clear_a_nullable_field(self, registry: Registry) -> None:
        insert_camera(registry)
        registry.update_data_units("detector", [{"instrument": CAMERA, "id": 1, "purpose": None}])
        assert registry.fetch_data_unit_records("detector")[0]["purpose"] is None

    def test_update_to_the_same_values_changes_nothing(self, registry: Registry) -> None:
        insert_camera(registry)
        assert registry.update_data_units("instrument", [{"name": CAMERA, "visit_max": 10}]) == 0
        assert registry.update_data_units("instrument", []) == 0

    def test_update_of_a_missing_record_is_refused_and_nothing_is_updated(self, registry: Registry) -> None:
        insert_camera(registry)
        before = camera_records(registry)
        with pytest.raises(DataIdError,
                           match=r"not in the registry .*nothing was updated\); insert one with insert_data_units"):
            registry.update_data_units("detector", [{"instrument": CAMERA, "id": 1, "purpose": "WAVEFRONT"},
                                                    {"instrument": CAMERA, "id": 9, "purpose": "WAVEFRONT"}])
        assert camera_records(registry) == before, "the record that exists was not updated either"

    @pytest.mark.parametrize(("record", "message"), [
        ({"name": CAMERA, "detector_maximum": 3}, r"unknown fields \['detector_maximum'\]"),
        ({"detector_max": 3}, r"missing the key field 'name'"),
        ({"name": CAMERA, "detector_max": "many"}, r"detector_max"),
    ])
    def test_bad_update_is_refused_and_nothing_is_updated(self, registry: Registry, record: dict[str, Any],
                                                          message: str) -> None:
        insert_camera(registry)
        before = camera_records(registry)
        with pytest.raises(DataIdError, match=message):
            registry.update_data_units("instrument", [record])
        assert camera_records(registry) == before

    def test_update_takes_a_sequence_of_records_not_one(self, registry: Registry) -> None:
        insert_camera(registry)
        with pytest.raises(DataIdError, match="sequence of records"):
            registry.update_data_units("instrument", {"name": CAMERA, "detector_max": 2})  # type: ignore[arg-type]

    def test_update_naming_one_record_twice_is_refused(self, registry: Registry) -> None:
        insert_camera(registry)
        with pytest.raises(ConflictingDefinitionError, match="twice"):
            registry.update_data_units("instrument", [{"name": CAMERA, "detector_max": 2},
                                                      {"name": CAMERA, "detector_max": 3}])

    def test_implied_unit_of_an_unused_record_may_change_and_data_ids_follow(self, registry: Registry) -> None:
        insert_camera(registry)
        visit = {"instrument": CAMERA, "visit": 1}
        assert registry.expand_data_ids(("visit",), [visit])[0].full["band"] == "g"  # remembered, then changed
        registry.update_data_units("visit", [{"instrument": CAMERA, "id": 1, "physical_filter": "CamU-r"}])
        expanded = registry.expand_data_ids(("visit",), [visit])[0]
        assert (expanded.full["physical_filter"], expanded.full["band"]) == ("CamU-r", "r")

    def test_implied_unit_must_name_a_record_the_registry_holds(self, registry: Registry) -> None:
        insert_camera(registry)
        before = camera_records(registry)
        with pytest.raises(DataIdError, match="CamU-z"):
            registry.update_data_units("visit", [{"instrument": CAMERA, "id": 1, "physical_filter": "CamU-z"}])
        assert camera_records(registry) == before

    def test_implied_unit_of_a_record_datasets_are_labelled_with_cannot_change(self, registry: Registry) -> None:
        insert_camera(registry)
        registry.register_dataset_type(PICTURE)
        registry.register_collection("run", CollectionKind.RUN)
        [ref] = registry.insert_datasets("picture", "run", [VISIT])
        with pytest.raises(ConflictingDefinitionError, match=r"physical_filter from 'CamU-g' to 'CamU-r'.*datasets"):
            registry.update_data_units("visit", [{"instrument": CAMERA, "id": 1, "physical_filter": "CamU-r"}])
        registry.update_data_units("visit", [{"instrument": CAMERA, "id": 1, "exposure_time": 15.0}])
        assert registry.fetch_data_unit_records("visit")[0]["exposure_time"] == 15.0, "metadata may still change"
        [found] = registry.find_datasets("picture", [VISIT], ["run"])
        assert found == ref and found.data_id.full["physical_filter"] == "CamU-g"

    def test_update_in_a_failed_transaction_is_undone(self, registry: Registry) -> None:
        insert_camera(registry)
        before = camera_records(registry)
        with pytest.raises(EditingBoomError), registry.transaction():
            registry.update_data_units("instrument", [{"name": CAMERA, "detector_max": 200}])
            raise EditingBoomError
        assert camera_records(registry) == before

    @requires(Harness.REOPEN_REGISTRY)
    def test_update_is_seen_by_another_handle_on_the_store(self, registry: Registry, reopen_registry: Any) -> None:
        insert_camera(registry)
        registry.update_data_units("instrument", [{"name": CAMERA, "detector_max": 200}])
        other = reopen_registry(registry)
        try:
            assert other.fetch_data_unit_records("instrument", [{"name": CAMERA}])[0]["detector_max"] == 200
        finally:
            other.close()


class DatasetTypeRulesContract(RegistryFixtures):
    """DatasetTypes with a storage class the repository does not know are refused; typos get suggestions."""

    def test_unknown_storage_class_is_refused_with_the_closest_names(self, registry: Registry) -> None:
        registry.restrict_storage_classes(["StructuredData", "NumpyArray", "Object"])
        with pytest.raises(StorageClassError, match=r"storage class 'StructuredDta' .*did you mean 'StructuredData'"):
            registry.register_dataset_type(DatasetType("calexp", ("instrument",), "StructuredDta"))
        assert registry.query_dataset_types() == [], "nothing was registered"
        with pytest.raises(MissingDatasetTypeError):
            registry.get_dataset_type("calexp")
        assert registry.register_dataset_type(DatasetType("calexp", ("instrument",), "StructuredData"))

    def test_storage_class_far_from_every_known_one_lists_them(self, registry: Registry) -> None:
        registry.restrict_storage_classes(["StructuredData", "NumpyArray"])
        with pytest.raises(StorageClassError, match=r"known storage classes are \['NumpyArray', 'StructuredData'\]"):
            registry.register_dataset_type(DatasetType("calexp", ("instrument",), "Zebra"))
        assert registry.query_dataset_types() == []

    def test_misspelled_dataset_type_suggests_the_registered_name(self, registry: Registry) -> None:
        registry.register_dataset_type(DatasetType("calexp", ("instrument",), "StructuredData"))
        with pytest.raises(MissingDatasetTypeError, match=r"'calexpp' is not registered; did you mean 'calexp'\?"
                           ) as info:
            registry.get_dataset_type("calexpp")
        assert "register it" not in str(info.value), "it does not tell the user to register the typo"
        with pytest.raises(MissingDatasetTypeError, match=r"'flat' is not registered; register it"):
            registry.get_dataset_type("flat")
