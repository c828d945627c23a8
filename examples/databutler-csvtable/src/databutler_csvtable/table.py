"""The in-memory type, its StorageClass and its conversions."""

from __future__ import annotations

from typing import Any

import attrs

from databutler.domain import StorageClass, StorageClassError
from databutler.domain.conversion import Conversion


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(value)


def _rows(value: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(row) for row in value)


@attrs.frozen
class Table:
    """Named columns of strings; every row has one value per column."""

    columns: tuple[str, ...] = attrs.field(converter=_strings)
    rows: tuple[tuple[str, ...], ...] = attrs.field(converter=_rows, default=())

    def __attrs_post_init__(self) -> None:
        if len(set(self.columns)) != len(self.columns) or not all(isinstance(c, str) for c in self.columns):
            raise StorageClassError(f"table columns must be distinct strings, got {self.columns!r}")
        for row in self.rows:
            if len(row) != len(self.columns) or not all(isinstance(v, str) for v in row):
                raise StorageClassError(f"row {row!r} does not have one string per column {self.columns!r}")

    def select(self, columns: Any) -> Table:
        """The table of ``columns`` only, in that order (StorageClassError naming an unknown one)."""
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise StorageClassError(f"read parameter 'columns' needs a list of column names, got {columns!r}")
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise StorageClassError(f"read parameter 'columns': {missing} not among {list(self.columns)}")
        index = [self.columns.index(c) for c in columns]
        return Table(tuple(columns), tuple(tuple(row[i] for i in index) for row in self.rows))


CSV_TABLE = StorageClass("CsvTable", (f"{Table.__module__}.{Table.__qualname__}",),
                         parameters=frozenset({"columns"}),
                         doc="A table of strings in a CSV file; 'columns' reads some columns only.")
"""The StorageClass, registered under the entry-point group ``databutler.storage_classes``."""


def table_as_rows(table: Table) -> list[dict[str, str]]:
    """The table as a list of {column: value} dicts (a StructuredDataList)."""
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def conversions() -> list[Conversion]:
    """The read-time conversions of CsvTable, registered under ``databutler.converters``."""
    return [Conversion("CsvTable", "StructuredDataList", table_as_rows, "one dict per row")]
