"""Reading tables of records from YAML or CSV files (insert-data-units, ingest-files), with line numbers.

Every error about an input table names the file and the line of the row at fault, whether the
file cannot be parsed or the registry refuses one of its rows (found by ``locate_failure``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import yaml

from ..domain.errors import ConflictingDefinitionError, DataButlerError, DataIdError
from ..domain.remedies import Action
from ..ports.registry import Registry
from .common import parse_value


class InputFileError(DataButlerError):
    """A records or file-list table could not be read, or one of its rows was refused."""

    def __init__(self, message: str, cause: DataButlerError | None = None) -> None:
        super().__init__(message)
        self.cause = cause

    def message(self, phrases: dict[Action, str] | None = None) -> str:
        """The location, then the refused row's own error (its remedy phrased by ``phrases``)."""
        if self.cause is None:
            return super().message(phrases)
        return f"{self.plain_message()}: {type(self.cause).__name__}: {self.cause.message(phrases)}"


@attrs.frozen
class Table:
    """The rows of an input file and the line each starts on."""

    path: str
    rows: list[dict[str, Any]]
    lines: list[int]

    def where(self, index: int) -> str:
        """``"raws.csv, line 1502"``: where row ``index`` (0-based) is in the file."""
        return f"{self.path}, line {self.lines[index]}"


def read_table(path: str, element: str | None = None) -> Table:
    """Rows of ``path``: a CSV with a header row, or YAML holding a list of mappings.

    A YAML mapping from element names to lists is accepted too; ``element`` picks its list.
    CSV cells read as int or float when they look like one; an empty cell is None.
    """
    try:
        if path.lower().endswith(".csv"):
            return _read_csv(path)
        with open(path, encoding="utf-8") as handle:
            loader = yaml.SafeLoader(handle)
            try:
                node = loader.get_single_node()
                data = None if node is None else loader.construct_document(node)
            finally:
                loader.dispose()
    except OSError as err:
        raise InputFileError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise InputFileError(f"cannot parse {path}: it is not UTF-8 text (byte {err.start + 1})") from None
    except yaml.YAMLError as err:  # its message names the line and column
        raise InputFileError(f"cannot parse {path}: {err}") from None
    if isinstance(data, Mapping) and element is not None and element in data and node is not None:
        node = next(value for key, value in node.value if key.value == element)
        data = data[element]
    if node is None or not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
        raise InputFileError(f"{os.path.basename(path)} must hold a list of records (mappings)"
                             + (f" or a mapping with the key {element!r}" if element else ""))
    return Table(path, [dict(row) for row in data], [item.start_mark.line + 1 for item in node.value])


def _read_csv(path: str) -> Table:
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        try:
            for row in reader:
                # The line a row ends on: where it starts unless a quoted cell spans lines.
                if None in row or any(v is None for v in row.values()):
                    raise InputFileError(f"{path}, line {reader.line_num}: {_count_problem(row)}")
                lines.append(reader.line_num)
                rows.append({k: (None if v == "" else parse_value(v)) for k, v in row.items()})
        except csv.Error as err:
            raise InputFileError(f"cannot parse {path}, line {reader.line_num}: {err}") from None
    return Table(path, rows, lines)


def _count_problem(row: Mapping[str | None, Any]) -> str:
    if None in row:
        return f"more cells than the {len(row) - 1} columns of the header"
    return "fewer cells than the columns of the header"


ROW_ERRORS = (DataIdError, ConflictingDefinitionError)
"""Errors caused by the content of rows (a value unknown, missing or clashing), worth a line number."""


class _UndoError(Exception):
    """Rolls back a dry run."""


def dry_run(registry: Registry, write: Callable[[], object]) -> None:
    """Run ``write`` in a registry transaction that is always rolled back; its errors propagate."""
    try:
        with registry.transaction():
            write()
            raise _UndoError
    except _UndoError:
        pass


def locate_failure(table: Table, probe: Callable[[Sequence[dict[str, Any]]], None],
                   error: DataButlerError) -> DataButlerError:
    """The error naming the first row of ``table`` whose addition makes ``probe`` fail, or ``error``.

    Only for errors caused by row content (ROW_ERRORS). ``probe(rows)`` must raise exactly when
    ``rows`` are refused, and change nothing (see ``dry_run``). It runs on prefixes of the table,
    about log2(rows) times, and only after a failure; any other error keeps ``error`` as it is.
    """
    def failure(count: int) -> DataButlerError | None:
        try:
            probe(table.rows[:count])
        except DataButlerError as err:
            return err
        return None

    if not isinstance(error, ROW_ERRORS):
        return error
    last = failure(len(table.rows))
    if not isinstance(last, ROW_ERRORS):
        return error  # the rows pass on their own (the failure came from elsewhere), or the probe cannot tell
    good, bad = 0, len(table.rows)  # the first `good` rows pass; the first `bad` rows fail
    while bad - good > 1:
        middle = (good + bad) // 2
        found = failure(middle)
        if found is None:
            good = middle
        elif isinstance(found, ROW_ERRORS):
            bad, last = middle, found
        else:
            return error
    return InputFileError(table.where(bad - 1), last)
