"""Name lengths are limited once, in the domain, so every registry refuses the same names (SQLite ignores lengths)."""

from __future__ import annotations

import pytest

from databutler.adapters.sql.schema import build_schema
from databutler.config.container import build_storage_classes
from databutler.config.universe import default_universe
from databutler.domain.collection import COLLECTION_NAME_MAX_LENGTH, check_collection_name
from databutler.domain.dataset_type import DATASET_TYPE_NAME_MAX_LENGTH, DatasetType
from databutler.domain.errors import CollectionError, ConfigError, DatasetTypeError, StorageClassError
from databutler.domain.storage_class import MAX_COMPONENT_NAME, MAX_STORAGE_CLASS_NAME, StorageClass


def test_collection_names_up_to_the_limit_are_valid_and_longer_ones_are_refused() -> None:
    name = "/".join(["a" * 100, "b" * (COLLECTION_NAME_MAX_LENGTH - 101)])
    assert check_collection_name(name) == name
    with pytest.raises(CollectionError, match=f"at most {COLLECTION_NAME_MAX_LENGTH}"):
        check_collection_name(name + "c")


def test_dataset_type_and_storage_class_names_longer_than_their_limits_are_refused() -> None:
    DatasetType("d" * DATASET_TYPE_NAME_MAX_LENGTH, ("instrument",), "S" * MAX_STORAGE_CLASS_NAME)
    with pytest.raises(DatasetTypeError, match=f"at most {DATASET_TYPE_NAME_MAX_LENGTH}"):
        DatasetType("d" * (DATASET_TYPE_NAME_MAX_LENGTH + 1), ("instrument",), "StructuredData")
    with pytest.raises(DatasetTypeError, match=f"at most {MAX_STORAGE_CLASS_NAME}"):
        DatasetType("calexp", ("instrument",), "S" * (MAX_STORAGE_CLASS_NAME + 1))


def test_storage_class_and_component_names_longer_than_their_limits_are_refused() -> None:
    StorageClass("S" * MAX_STORAGE_CLASS_NAME, ("builtins.dict",), {"c" * MAX_COMPONENT_NAME: "StructuredData"})
    with pytest.raises(StorageClassError, match=f"at most {MAX_STORAGE_CLASS_NAME}"):
        StorageClass("S" * (MAX_STORAGE_CLASS_NAME + 1), ("builtins.dict",))
    with pytest.raises(StorageClassError, match=f"at most {MAX_COMPONENT_NAME}"):
        StorageClass("Composite", ("builtins.dict",), {"c" * (MAX_COMPONENT_NAME + 1): "StructuredData"})


def test_a_storage_class_in_butler_yaml_with_a_too_long_component_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Composite"):
        build_storage_classes({"Composite": {"python_types": ["builtins.dict"],
                                             "components": {"c" * (MAX_COMPONENT_NAME + 1): "StructuredData"}}})


def test_the_sql_columns_hold_exactly_the_names_the_domain_allows() -> None:
    """Bounded name columns are exactly as wide as the domain's limit; the other name columns are unbounded."""
    tables = build_schema(default_universe()).metadata.tables
    widths = {("collection", "name"): COLLECTION_NAME_MAX_LENGTH,
              ("dataset_type", "name"): DATASET_TYPE_NAME_MAX_LENGTH}
    for (table, column), width in widths.items():
        assert getattr(tables[table].c[column].type, "length", None) == width, f"{table}.{column}"
    for table, column in (("dataset_type", "storage_class"), ("dataset_artifact", "storage_class"),
                          ("dataset_artifact", "component"), ("quantum", "run")):
        assert getattr(tables[table].c[column].type, "length", None) is None, f"{table}.{column}"
