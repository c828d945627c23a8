"""The read parameters of table datasets, checked against a file's columns before anything is read.

``columns``: a list of column names. ``filters``: a row filter in pyarrow's disjunctive normal
form, ``[("col", "op", value), ...]`` (all must hold) or ``[[...], [...]]`` (any group holds),
with ``op`` one of ``=``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from ...domain.errors import StorageClassError
from ...domain.suggestions import hint
from .table_libs import arrow_errors, require

FILTER_OPERATORS = ("=", "==", "!=", "<", "<=", ">", ">=", "in", "not in")
"""The comparison operators a filter term may use."""


def unknown_column(parameter: str, name: str, names: Sequence[str]) -> StorageClassError:
    """The error for a column ``name`` that the table does not have, naming the closest ones."""
    listed = ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
    return StorageClassError(f"read parameter {parameter!r}: the table has no column {name!r}; "
                             + hint(name, names, otherwise=f"its columns: {listed}"))


def selected_columns(value: Any, names: Sequence[str]) -> list[str]:
    """The column names of the ``columns`` parameter, each checked to be one of ``names``."""
    if isinstance(value, str | bytes) or not isinstance(value, Collection):
        raise StorageClassError(f"read parameter 'columns' needs a list of column names, got {value!r}"
                                + (f"; write [{value!r}]" if isinstance(value, str) else ""))
    columns = list(value)
    for name in columns:
        if not isinstance(name, str):
            raise StorageClassError(f"read parameter 'columns': column names are strings, got {name!r}")
        if name not in names:
            raise unknown_column("columns", name, names)
    if len(set(columns)) != len(columns):
        raise StorageClassError(f"read parameter 'columns' names a column twice: {columns}")
    return columns


def filter_groups(value: Any, names: Sequence[str]) -> list[list[tuple[str, str, Any]]]:
    """The ``filters`` parameter as a list of AND-groups of ``(column, op, value)`` terms, each checked."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise StorageClassError(f"read parameter 'filters' needs a non-empty list of (column, op, value) terms, "
                                f"or a list of such lists; got {value!r}")
    groups = [value] if all(isinstance(term, tuple) for term in value) else value
    checked = []
    for group in groups:
        if isinstance(group, str | bytes | tuple) or not isinstance(group, Sequence) or not group:
            raise StorageClassError(f"read parameter 'filters': {group!r} is not a non-empty list of "
                                    "(column, op, value) terms")
        checked.append([_checked_term(term, names) for term in group])
    return checked


def filter_expression(groups: list[list[tuple[str, str, Any]]]) -> Any:
    """The pyarrow expression of checked filter ``groups``."""
    parquet = require("pyarrow.parquet")
    try:
        return parquet.filters_to_expression(groups)
    except arrow_errors() as err:
        raise StorageClassError(f"read parameter 'filters' {groups!r} is not a valid filter: {err}") from None


def filter_columns(groups: list[list[tuple[str, str, Any]]]) -> list[str]:
    """The columns that checked filter ``groups`` compare, in order of first mention."""
    return list(dict.fromkeys(term[0] for group in groups for term in group))


def _checked_term(term: Any, names: Sequence[str]) -> tuple[str, str, Any]:
    if not isinstance(term, tuple | list) or len(term) != 3:
        raise StorageClassError(f"read parameter 'filters': {term!r} is not a (column, op, value) term")
    column, op, operand = term
    if not isinstance(column, str):
        raise StorageClassError(f"read parameter 'filters': column names are strings, got {column!r}")
    if column not in names:
        raise unknown_column("filters", column, names)
    if op not in FILTER_OPERATORS:
        raise StorageClassError(f"read parameter 'filters': unknown operator {op!r} in {term!r}; "
                                f"operators: {list(FILTER_OPERATORS)}")
    if op in ("in", "not in") and (isinstance(operand, str | bytes) or not isinstance(operand, Collection)):
        raise StorageClassError(f"read parameter 'filters': {op!r} needs a list of values, got {operand!r}")
    return column, op, operand
