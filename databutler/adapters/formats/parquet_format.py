"""Table datasets (ArrowTable, DataFrame, AstropyTable) as Parquet files, read column by column.

A read opens the file's footer first (one ranged read of its last 64 KiB), checks the read
parameters against the stored columns, then reads only the column chunks it needs: those of
``columns``, in the row groups that ``filters`` cannot rule out from the row groups'
statistics. The ``columns`` and ``rowcount`` components come from the footer alone. On an
object store each of those reads is one ranged request, so nothing else is fetched.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import IO, Any

from ...domain.errors import FormatterError, StorageClassError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import check_read, check_storage_class, check_writable
from .table_convert import TABLE_CLASSES, from_arrow, pandas_index_columns, to_arrow
from .table_libs import arrow_errors, read_errors, require
from .table_params import filter_columns, filter_expression, filter_groups, selected_columns

ROW_GROUP_ROWS = 1 << 17
"""Rows per Parquet row group written: small enough for filters to skip row groups, large enough
that one column chunk (1 MiB of float64) is worth one ranged request."""


class ParquetFormatter(Formatter):
    """pyarrow Tables, pandas DataFrames and astropy Tables as Parquet files (``pip install 'databutler[tables]'``)."""

    name = "parquet"
    extension = ".parq"
    storage_classes = TABLE_CLASSES
    partial_read = True

    def __init__(self, *, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.row_group_rows = row_group_rows

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write table ``obj`` to ``stream`` as Parquet (converted to Arrow first, so a refusal writes nothing)."""
        check_writable(self, obj, storage_class)
        table = to_arrow(obj, storage_class.name)
        parquet = require("pyarrow.parquet")
        try:
            parquet.write_table(table, _KeptOpen(stream), row_group_size=self.row_group_rows,
                                use_dictionary=_dictionary_columns(table.schema))
        except arrow_errors() as err:
            raise FormatterError(f"cannot write this {storage_class.name} as Parquet: {err}") from None

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Read the whole table from ``stream``."""
        return self.read(stream, storage_class)

    def read(self, stream: IO[bytes], storage_class: StorageClass,
             parameters: Mapping[str, Any] | None = None, component: str | None = None) -> Any:
        """Read the table, the ``columns`` and rows the parameters select, or the ``columns``/``rowcount`` component."""
        check_storage_class(self, storage_class)
        storage_class.check_parameters(parameters)
        if component is not None:
            storage_class.component(component)
        parameters = parameters or {}
        whole = not parameters and component is None
        source = _source(stream, whole)
        try:
            return self._read(source, storage_class, parameters, component)
        finally:
            source.close()  # now, not when a collector gets to it (at exit, pyarrow may then abort)

    def _read(self, source: Any, storage_class: StorageClass, parameters: Mapping[str, Any],
              component: str | None) -> Any:
        parquet_file = _open(source)
        schema = parquet_file.schema_arrow
        columns = selected_columns(parameters["columns"], schema.names) if "columns" in parameters else None
        groups = filter_groups(parameters["filters"], schema.names) if "filters" in parameters else None
        expression = None if groups is None else filter_expression(groups)
        if component == "columns":
            if columns is None:
                return schema
            return require("pyarrow").schema([schema.field(c) for c in columns], metadata=schema.metadata)
        if component == "rowcount":
            if groups is None:
                return int(parquet_file.metadata.num_rows)
            return _read_table(parquet_file, source, [], groups, expression).num_rows
        if columns is not None and storage_class.name == "DataFrame":
            columns += [c for c in pandas_index_columns(schema) if c not in columns]
        table = _read_table(parquet_file, source, columns, groups, expression)
        return check_read(self, from_arrow(table, storage_class.name), storage_class)


class _KeptOpen(io.RawIOBase):
    """A writable view of the datastore's stream that pyarrow cannot close (it closes the sinks it is given)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream
        self._written = 0

    def writable(self) -> bool:
        """True."""
        return True

    def write(self, data: Any) -> int:
        """Write ``data`` to the stream."""
        view = memoryview(data).cast("B")
        self._stream.write(view)
        self._written += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        """Bytes written so far (the stream itself may not tell: a hashing upload pipe)."""
        return self._written

    def close(self) -> None:
        """Stop accepting writes; the stream stays open for its owner."""
        super().close()


class _KeptOpenReader(io.RawIOBase):
    """A seekable read view of the datastore's stream with what pyarrow asks of a file (``closed``...).

    The datastore's streams may be minimal (a verifying reader has read, seek and tell only), and
    pyarrow closes the files it is given; the stream itself stays open for its owner.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        """True."""
        return True

    def seekable(self) -> bool:
        """True."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all with -1), straight from the stream."""
        return self._stream.read(-1 if size is None else size)

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``; return the byte count."""
        data = self._stream.read(len(buffer))
        memoryview(buffer).cast("B")[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move in the stream."""
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        """The stream's position."""
        return self._stream.tell()


def _dictionary_columns(schema: Any) -> list[str]:
    """The columns worth dictionary-encoding: all but floating-point ones.

    Measured on 10^6 random float64 rows x 50 columns, trying a dictionary first (pyarrow's
    default) made the file 25% larger and the write 9x slower; floats rarely repeat.
    """
    types = require("pyarrow").types
    return [field.name for field in schema if not types.is_floating(field.type)]


def _source(stream: IO[bytes], whole: bool) -> Any:
    """A pyarrow file over ``stream``: in-memory bytes without a copy, any other stream through reads at offsets.

    For a ``whole`` read the stream is read once, in order, into memory: a datastore that hashes
    while it reads (an object store's large objects) then fetches every byte once, not twice.
    """
    pa = require("pyarrow")
    if isinstance(stream, io.BytesIO):
        return pa.BufferReader(pa.py_buffer(stream.getbuffer()))
    if whole:
        return pa.BufferReader(pa.py_buffer(stream.read()))
    return pa.PythonFile(_KeptOpenReader(stream), mode="r")


def _open(source: Any) -> Any:
    """The Parquet file over the pyarrow file ``source`` (its footer read, nothing else)."""
    parquet = require("pyarrow.parquet")
    try:
        return parquet.ParquetFile(source)
    except read_errors() as err:
        raise FormatterError(f"not a readable Parquet file: {err}") from None


def _read_table(parquet_file: Any, source: Any, columns: list[str] | None, groups: Any, expression: Any) -> Any:
    """The table of ``columns`` (all if None) and of the rows matching ``expression``.

    Without a filter the column chunks are read directly. With one, the row groups that the
    footer's min/max statistics rule out are skipped (pyarrow's dataset fragment decides, from
    the footer alone), the others are read with the filter's columns, then filtered exactly.
    Reads go through ``ParquetFile`` rather than a dataset scan: a scan's read-ahead through a
    Python file left work in pyarrow's thread pools that aborted the interpreter at exit.
    """
    try:
        if expression is None:
            return parquet_file.read(columns=columns, use_pandas_metadata=False)
        fragment = require("pyarrow.dataset").ParquetFileFormat().make_fragment(source)
        kept = [piece.row_groups[0].id for piece in fragment.split_by_row_group(expression)]
        wanted = None if columns is None else list(dict.fromkeys([*columns, *filter_columns(groups)]))
        table = parquet_file.read_row_groups(kept, columns=wanted, use_pandas_metadata=False).filter(expression)
        return table if columns is None else table.select(columns)
    except (require("pyarrow").lib.ArrowNotImplementedError, require("pyarrow").lib.ArrowTypeError) as err:
        raise StorageClassError(f"read parameter 'filters' {groups!r} does not fit the column types: {err}") from None
    except read_errors() as err:
        raise FormatterError(f"cannot read the Parquet file: {err}") from None
