"""The CSV formatter: a header row, then one row per table row; read parameter ``columns`` applied while parsing."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import IO, Any

from databutler.domain import FormatterError, StorageClass, StorageClassError
from databutler.ports import Formatter

from .table import Table

_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


class CsvFormatter(Formatter):
    """CsvTable <-> UTF-8 CSV (RFC 4180 quoting); refuses control characters, which CSV readers mangle."""

    name = "csv"
    extension = ".csv"
    storage_classes = frozenset({"CsvTable"})
    partial_read = True

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write ``obj`` as CSV; nothing is written if it is refused."""
        if not storage_class.accepts(obj):
            raise StorageClassError(f"a {type(obj).__name__} is not a {storage_class.name} "
                                    f"(expected one of {list(storage_class.python_types)})")
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(obj.columns)
        writer.writerows(obj.rows)
        value = text.getvalue()
        if any(c in _CONTROL for c in value):
            raise FormatterError("CSV files cannot hold control characters (NUL included)")
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as err:
            raise FormatterError(f"text that UTF-8 cannot encode: {err}") from None
        stream.write(data)

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Table:
        """Parse the whole table."""
        return self._parse(stream.read())

    def read(self, stream: IO[bytes], storage_class: StorageClass,
             parameters: Mapping[str, Any] | None = None, component: str | None = None) -> Any:
        """Parse the table, keeping only the ``columns`` asked for."""
        storage_class.check_parameters(parameters)
        if component is not None:
            storage_class.component(component)  # CsvTable has none: refused with the known ones
        table = self._parse(stream.read())
        return table.select(parameters["columns"]) if parameters and "columns" in parameters else table

    @staticmethod
    def _parse(data: bytes) -> Table:
        try:
            text = data.decode("utf-8")
            if any(c in _CONTROL for c in text):
                raise FormatterError("not a CSV table: control characters")
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except (UnicodeDecodeError, csv.Error) as err:
            raise FormatterError(f"not a CSV table: {err}") from None
        if not rows:
            raise FormatterError("not a CSV table: no header row")
        try:
            return Table(tuple(rows[0]), tuple(tuple(row) for row in rows[1:]))
        except StorageClassError as err:
            raise FormatterError(f"not a CSV table: {err}") from None
