"""The Registry contract, topic group. DatasetTypes: registering, conflicting definitions, storage-class and
name rules, removal.

Adopt it alone by subclassing ``RegistryDatasetTypesContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import pytest

from ..domain.dataset_type import DatasetType
from ..domain.errors import (
    ConflictingDefinitionError,
    DatasetTypeError,
    MissingDatasetTypeError,
    UnknownDataUnitError,
)
from ..ports.registry import Registry
from .registry_editing import DatasetTypeRulesContract
from .registry_support import (
    CALEXP,
    COADD,
    RAW,
    RegistryFixtures,
    calexp_id,
)


class RegistryDatasetTypesContract(DatasetTypeRulesContract, RegistryFixtures):
    """DatasetTypes of the Registry contract."""

    # == DatasetTypes ==========================================================================

    def test_register_dataset_type_is_idempotent(self, populated: Registry) -> None:
        assert populated.register_dataset_type(CALEXP) is True
        assert populated.register_dataset_type(CALEXP) is False
        assert populated.get_dataset_type("calexp") == CALEXP

    def test_dataset_type_units_are_stored_as_their_required_closure(self, populated: Registry) -> None:
        populated.register_dataset_type(DatasetType("visit_summary", ("visit",), "StructuredData"))
        assert populated.get_dataset_type("visit_summary").units == ("instrument", "visit")
        assert populated.register_dataset_type(DatasetType("visit_summary", ("instrument", "visit"),
                                                           "StructuredData")) is False

    def test_conflicting_dataset_type_definition_is_refused(self, populated: Registry) -> None:
        populated.register_dataset_type(CALEXP)
        with pytest.raises(ConflictingDefinitionError, match="calexp"):
            populated.register_dataset_type(DatasetType("calexp", ("instrument", "visit"), "StructuredData"))
        with pytest.raises(ConflictingDefinitionError):
            populated.register_dataset_type(DatasetType("calexp", CALEXP.units, "NumpyArray"))
        assert populated.get_dataset_type("calexp") == CALEXP

    def test_dataset_type_with_an_unknown_unit_is_refused(self, populated: Registry) -> None:
        with pytest.raises(UnknownDataUnitError):
            populated.register_dataset_type(DatasetType("bad", ("instrument", "vist"), "StructuredData"))
        assert populated.query_dataset_types() == []

    def test_missing_dataset_type_raises_missing_dataset_type_error(self, populated: Registry) -> None:
        with pytest.raises(MissingDatasetTypeError, match="calexp"):
            populated.get_dataset_type("calexp")

    def test_query_dataset_types_matches_a_glob_and_sorts_by_name(self, populated: Registry) -> None:
        for dataset_type in (CALEXP, RAW, COADD, DatasetType("calexp_background", CALEXP.units, "StructuredData")):
            populated.register_dataset_type(dataset_type)
        assert [t.name for t in populated.query_dataset_types()] == ["calexp", "calexp_background", "deepCoadd",
                                                                     "raw"]
        assert [t.name for t in populated.query_dataset_types("calexp*")] == ["calexp", "calexp_background"]
        assert populated.query_dataset_types("nothing*") == []

    def test_remove_dataset_type_is_refused_while_datasets_of_it_exist(self, with_runs: Registry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id()])
        with pytest.raises(DatasetTypeError, match="calexp"):
            with_runs.remove_dataset_type("calexp")
        assert with_runs.get_dataset_type("calexp") == CALEXP
        with_runs.remove_datasets([ref.id])
        with_runs.remove_dataset_type("calexp")
        with pytest.raises(MissingDatasetTypeError):
            with_runs.get_dataset_type("calexp")
        with pytest.raises(MissingDatasetTypeError):
            with_runs.remove_dataset_type("calexp")
