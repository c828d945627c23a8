"""Table datasets between their in-memory views and Arrow: pyarrow Table, pandas DataFrame, astropy Table.

Arrow is the form written to Parquet and read from it; the other views are conversions, made
without copying where pyarrow allows. These functions are also the read-time conversions
between the table StorageClasses (``to_arrow`` then ``from_arrow``).
"""

from __future__ import annotations

import json
from typing import Any

from ...domain.errors import FormatterError
from .table_libs import arrow_errors, require

ASTROPY_META_KEY = b"databutler.astropy.meta"
"""Schema metadata key holding an astropy Table's ``meta`` (JSON)."""
TABLE_CLASSES = frozenset({"ArrowTable", "DataFrame", "AstropyTable"})
"""The table StorageClasses: each reads any Parquet file of a table."""


def to_arrow(obj: Any, storage_class: str) -> Any:
    """``obj`` (of table StorageClass ``storage_class``) as a pyarrow Table; FormatterError if it cannot be one."""
    pa = require("pyarrow")
    if storage_class == "ArrowTable":
        return obj
    try:
        if storage_class == "DataFrame":
            return pa.Table.from_pandas(obj, preserve_index=None)  # a RangeIndex is kept as metadata only
        return _astropy_to_arrow(pa, obj)
    except arrow_errors() as err:
        raise FormatterError(f"cannot store this {storage_class} as Parquet: {err}") from None


def from_arrow(table: Any, storage_class: str) -> Any:
    """The pyarrow Table ``table`` as an object of ``storage_class``; FormatterError if its columns do not fit.

    The DataFrame is built with ``split_blocks=True, self_destruct=True``: each column becomes
    its own block (numeric columns without nulls are not copied) and Arrow memory is released
    column by column, so the peak is about one table, not two. ``table`` is unusable afterwards.
    """
    if storage_class == "ArrowTable":
        return table
    try:
        if storage_class == "DataFrame":
            require("pandas")
            return table.to_pandas(split_blocks=True, self_destruct=True)
        return _arrow_to_astropy(table)
    except arrow_errors() as err:
        raise FormatterError(f"this Parquet table cannot be read as a {storage_class}: {err}") from None


def pandas_index_columns(schema: Any) -> list[str]:
    """The stored index columns of a table written from a DataFrame (read with any column subset)."""
    metadata = schema.pandas_metadata or {}
    return [c for c in metadata.get("index_columns", ()) if isinstance(c, str) and c in schema.names]


def _astropy_to_arrow(pa: Any, table: Any) -> Any:
    table_module = require("astropy.table", "astropy tables")
    numpy = require("numpy")
    arrays, fields = [], []
    for name in table.colnames:
        column = table[name]
        if not isinstance(column, table_module.Column):
            raise FormatterError(f"column {name!r} is a {type(column).__name__} (a mixin column); Parquet holds "
                                 "plain columns only: convert it (e.g. a Time to its .mjd) before put")
        if column.ndim != 1:
            raise FormatterError(f"column {name!r} has shape {column.shape}; only 1-d columns are stored")
        mask = numpy.ma.getmaskarray(column) if isinstance(column, table_module.MaskedColumn) else None
        data = numpy.asarray(column.data.data if mask is not None else column.data)
        array = pa.array(data, mask=mask if mask is not None and mask.any() else None)
        metadata = {k: v for k, v in (("unit", column.unit and column.unit.to_string()),
                                      ("description", column.description)) if v}
        fields.append(pa.field(name, array.type, metadata=metadata or None))
        arrays.append(array)
    try:
        meta = json.dumps(dict(table.meta)) if table.meta else None
    except (TypeError, ValueError) as err:
        raise FormatterError(f"the table's meta cannot be stored (it must be JSON-serializable): {err}") from None
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata={ASTROPY_META_KEY: meta} if meta else None))


def _arrow_to_astropy(table: Any) -> Any:
    pa = require("pyarrow")
    table_module = require("astropy.table", "astropy tables")
    numpy = require("numpy")
    columns = []
    for field, chunked in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if not (pa.types.is_primitive(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
            raise FormatterError(f"column {field.name!r} of type {kind} cannot be an astropy Table column; "
                                 "read this dataset as an ArrowTable or a DataFrame")
        data, mask = _column_values(pa, numpy, chunked, kind)
        metadata = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        options = {"name": field.name, "unit": metadata.get("unit"), "description": metadata.get("description")}
        if mask is not None:
            columns.append(table_module.MaskedColumn(data, mask=mask, copy=False, **options))
        else:
            columns.append(table_module.Column(data, copy=False, **options))
    meta_json = (table.schema.metadata or {}).get(ASTROPY_META_KEY)
    return table_module.Table(columns, meta=json.loads(meta_json) if meta_json else None, copy=False)


def _column_values(pa: Any, numpy: Any, chunked: Any, kind: Any) -> tuple[Any, Any]:
    """A numpy array of one Arrow column (not copied when numeric, one chunk, without nulls), and its null mask."""
    mask = chunked.is_null().to_numpy(zero_copy_only=False) if chunked.null_count else None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return numpy.array(chunked.fill_null("").to_pylist(), dtype=str), mask
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return numpy.array(chunked.fill_null(b"").to_pylist(), dtype=bytes), mask
    if mask is not None:
        chunked = chunked.fill_null(False if pa.types.is_boolean(kind) else 0)
    return chunked.to_numpy(), mask
