"""The example formatter runs databutler's shipped Formatter suite, and is used through its entry points."""

from __future__ import annotations

from pathlib import Path

import pytest
from databutler_csvtable import CSV_TABLE, CsvFormatter, Table

from databutler import Butler, DatasetType, StorageClassError
from databutler.config.format_plugins import FORMATTER_GROUP, STORAGE_CLASS_GROUP, PluginGroup
from databutler.domain import StorageClassRegistry
from databutler.ports import FormatterSet
from databutler.testing.formatter import FormatterCase, FormatterContract, Sample, case_ids, formatter_cases

SAMPLES = (
    Sample("CsvTable", "small", lambda: Table(("id", "ra", "note"), [("1", "10.5", "a, b"), ("2", "-3", 'q"t')]),
           reads=(({"columns": ["ra"]}, None), ({"columns": ["note", "id"]}, None), ({"columns": []}, None)),
           wrong_types=([["1"]], {"id": "1"}, "id,ra"),
           narrow=lambda table, p, component: table.select(p["columns"]) if p else table),
    Sample("CsvTable", "empty", lambda: Table(("only",))),
    Sample("CsvTable", "unicode", lambda: Table(("name",), [("Ω ∑ ✓ é",), ("multi\nline",)])),
)
CASES = formatter_cases(FormatterSet([CsvFormatter()], {"CsvTable": "csv"}), StorageClassRegistry((CSV_TABLE,)),
                        samples=SAMPLES)


class TestCsvFormatterContract(FormatterContract):
    """The shipped suite: round trips, partial reads equal to narrowed full reads, malformed bytes, wrong types."""

    @pytest.fixture(params=CASES, ids=case_ids(CASES))
    def formatter_case(self, request: pytest.FixtureRequest) -> FormatterCase:
        return request.param  # type: ignore[no-any-return]


def test_the_plugins_are_found_through_their_entry_points() -> None:
    assert "csv" in PluginGroup(FORMATTER_GROUP, object, "formatters").names()
    assert "CsvTable" in PluginGroup(STORAGE_CLASS_GROUP, object, "storage classes").names()


def test_a_repository_uses_the_plugin_storage_class_formatter_and_conversion(tmp_path: Path) -> None:
    butler = Butler.create(tmp_path / "repo", run="r")
    butler.registry.register_dataset_type(DatasetType("sources", ("instrument",), "CsvTable"))
    butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
    table = Table(("id", "flux"), [("1", "2.5"), ("2", "3.5")])
    butler.put(table, "sources", instrument="Cam1")
    assert butler.uri("sources", instrument="Cam1").endswith(".csv")
    assert butler.get("sources", instrument="Cam1") == table
    assert butler.get("sources", instrument="Cam1", parameters={"columns": ["flux"]}) == Table(
        ("flux",), [("2.5",), ("3.5",)])
    assert butler.get("sources", instrument="Cam1", storage_class="StructuredDataList") == [
        {"id": "1", "flux": "2.5"}, {"id": "2", "flux": "3.5"}]
    with pytest.raises(StorageClassError, match=r"CsvTable.*StructuredDataList"):
        butler.get("sources", instrument="Cam1", storage_class="NumpyArray")
    butler.close()
