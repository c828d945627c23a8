"""Sample table Datasets (ArrowTable, DataFrame, AstropyTable) for the Formatter contract suite.

Each view holds the same small catalog. What a read with ``columns``/``filters`` or a component
must return is computed here directly on the in-memory object (row by row in plain Python), not
through Parquet, so the suite checks a formatter against an independent answer.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

ROWS = 1000
"""Rows of every sample table."""
BANDS = ("g", "r", "i", None)
"""The values of the ``band`` column, cycled (None is a null)."""

READS: tuple[tuple[Mapping[str, Any] | None, str | None], ...] = (
    ({"columns": ["ra", "dec"]}, None),
    ({"columns": []}, None),
    ({"filters": [("id", "<", 10)]}, None),
    ({"filters": [("id", ">=", 500), ("band", "in", ["r", "i"])]}, None),
    ({"columns": ["ra"], "filters": [[("band", "=", "g"), ("id", "<", 50)], [("id", ">", 990)]]}, None),
    ({"filters": [("band", "!=", "r")]}, None),
    ({"filters": [("id", "not in", [1, 2, 3])], "columns": ["id"]}, None),
    ({"filters": [("id", ">", 10**6)]}, None),
    (None, "columns"),
    (None, "rowcount"),
    ({"columns": ["dec", "id"]}, "columns"),
    ({"filters": [("id", "<", 10)]}, "rowcount"),
    ({"columns": ["ra"], "filters": [("band", "==", "i")]}, "rowcount"),
)
"""Reads every table sample is checked with."""

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "in": lambda v, s: v in s, "not in": lambda v, s: v not in s,
}


def _module(name: str) -> Any:
    return pytest.importorskip(name, reason=f"{name} is not installed")


def _columns() -> dict[str, Any]:
    numpy = _module("numpy")
    ids = numpy.arange(ROWS, dtype="int64")
    return {"id": ids, "ra": ids * 0.25 + 10.0, "dec": numpy.sin(ids.astype("float64")),
            "mag": (ids % 7).astype("float32"), "flag": ids % 3 == 0,
            "band": [BANDS[i % len(BANDS)] for i in range(ROWS)]}


def arrow_catalog() -> Any:
    """A pyarrow Table: int64, float64, float32, bool and string (with nulls) columns, and schema metadata."""
    pa = _module("pyarrow")
    table = pa.table(_columns())
    return table.replace_schema_metadata({"survey": "test"})


def dataframe_catalog() -> Any:
    """A pandas DataFrame indexed by a named ``objectId`` column."""
    pandas = _module("pandas")
    _module("pyarrow")
    columns = _columns()
    frame = pandas.DataFrame(columns, index=pandas.Index(columns["id"] * 10 + 7, name="objectId"))
    return frame


def dataframe_range_indexed() -> Any:
    """A pandas DataFrame with the default RangeIndex (stored as metadata only)."""
    pandas = _module("pandas")
    _module("pyarrow")
    return pandas.DataFrame(_columns())


def astropy_catalog() -> Any:
    """An astropy Table with units, a description, a masked column and meta."""
    table_module = _module("astropy.table")
    _module("pyarrow")
    numpy = _module("numpy")
    columns = _columns()
    bands = [b or "" for b in columns.pop("band")]
    table = table_module.Table(columns, meta={"survey": "test", "version": 2})
    table["ra"].unit = "deg"
    table["dec"].unit = "deg"
    table["mag"].description = "a magnitude"
    table["band"] = table_module.MaskedColumn(bands, mask=numpy.array([b == "" for b in bands]))
    return table


def wrong_for(storage_class: str) -> tuple[Any, ...]:
    """Objects that are not of table StorageClass ``storage_class`` (other tables among them)."""
    pa, numpy = _module("pyarrow"), _module("numpy")
    batch = pa.record_batch({"a": [1, 2]})
    others: dict[str, tuple[Any, ...]] = {
        "ArrowTable": (batch, {"a": [1, 2]}, numpy.arange(3)),
        "DataFrame": (pa.table({"a": [1]}), {"a": [1, 2]}),
        "AstropyTable": (pa.table({"a": [1]}), numpy.zeros(2, dtype=[("a", "f8")])),
    }
    return others[storage_class]


def _values(obj: Any, column: str) -> list[Any]:
    """The values of ``column`` of any table view as Python values, None for nulls."""
    kind = type(obj).__module__.partition(".")[0]
    if kind == "pyarrow":
        return list(obj.column(column).to_pylist())
    if kind == "pandas":
        return [None if _is_nan(v) else v for v in obj[column].tolist()]
    data = obj[column]
    mask = getattr(data, "mask", None)
    values = data.tolist() if mask is None else data.data.tolist()
    return values if mask is None else [None if m else v for v, m in zip(values, list(mask), strict=True)]


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _row_mask(obj: Any, filters: Any) -> list[bool]:
    groups = [filters] if all(isinstance(t, tuple) for t in filters) else filters
    rows = len(obj)
    keep = [False] * rows
    for group in groups:
        hits = [True] * rows
        for column, op, operand in group:
            values = _values(obj, column)
            hits = [h and v is not None and bool(_OPS[op](v, operand)) for h, v in zip(hits, values, strict=True)]
        keep = [k or h for k, h in zip(keep, hits, strict=True)]
    return keep


def narrow(full: Any, parameters: Mapping[str, Any] | None, component: str | None) -> Any:
    """What a read of ``full`` with ``parameters`` and ``component`` returns, computed in memory."""
    parameters = parameters or {}
    kind = type(full).__module__.partition(".")[0]
    columns: Sequence[str] | None = parameters.get("columns")
    result = full
    if "filters" in parameters:
        mask = _row_mask(full, parameters["filters"])
        result = full.filter(_module("pyarrow").array(mask, type="bool")) if kind == "pyarrow" else full[mask]
        if kind == "pandas" and isinstance(full.index, _module("pandas").RangeIndex):
            result = result.reset_index(drop=True)  # row positions are not stored: the rows read are renumbered
    if component == "rowcount":
        return len(result)
    if component == "columns":
        return _schema(full, columns)
    if columns is not None:
        if kind == "pyarrow":
            result = result.select(list(columns))
        elif kind == "pandas" or columns:
            result = result[list(columns)]
        else:  # astropy reads an empty list as no rows, not as no columns
            result = type(result)(meta=result.meta)
    return result


def _schema(full: Any, columns: Sequence[str] | None) -> Any:
    pa = _module("pyarrow")
    kind = type(full).__module__.partition(".")[0]
    if kind == "pyarrow":
        schema = full.schema
    elif kind == "pandas":
        schema = pa.Schema.from_pandas(full)
    else:
        schema = pa.schema([(name, pa.string() if full[name].dtype.kind == "U"
                             else pa.from_numpy_dtype(full[name].dtype)) for name in full.colnames])
    return schema if columns is None else pa.schema([schema.field(c) for c in columns])


def assert_same_table(actual: Any, expected: Any, where: str = "dataset") -> None:
    """Assert two tables (or schemas, or row counts) of the same view are equal in columns, types and values."""
    kind = type(expected).__module__.partition(".")[0]
    assert type(actual) is type(expected), f"{where}: {type(actual)} is not {type(expected)}"
    if isinstance(expected, int):
        assert actual == expected, f"{where}: {actual} != {expected}"
    elif kind == "pyarrow" and hasattr(expected, "num_rows"):
        assert actual.schema.equals(expected.schema), f"{where}: schema {actual.schema} != {expected.schema}"
        assert actual.equals(expected), f"{where}: values differ"
    elif kind == "pyarrow":
        assert actual.equals(expected, check_metadata=False), f"{where}: schema {actual} != {expected}"
    elif kind == "pandas":
        _module("pandas").testing.assert_frame_equal(actual, expected)
    else:
        _assert_same_astropy(actual, expected, where)


def _assert_same_astropy(actual: Any, expected: Any, where: str) -> None:
    assert actual.colnames == expected.colnames, f"{where}: columns {actual.colnames} != {expected.colnames}"
    assert len(actual) == len(expected), f"{where}: {len(actual)} rows != {len(expected)}"
    assert dict(actual.meta) == dict(expected.meta), f"{where}: meta {actual.meta} != {expected.meta}"
    for name in expected.colnames:
        got, want = actual[name], expected[name]
        assert got.dtype == want.dtype, f"{where}[{name!r}]: dtype {got.dtype} != {want.dtype}"
        assert got.unit == want.unit and got.description == want.description, f"{where}[{name!r}]: unit/description"
        assert _values(actual, name) == _values(expected, name), f"{where}[{name!r}]: values differ"
