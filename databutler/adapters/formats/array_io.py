"""Reading and writing ``.npy`` array data, including only the rows a slice needs.

numpy is optional: it is imported on first use, and its absence is a FormatterError that says
how to install it.
"""

from __future__ import annotations

import math
from typing import IO, Any

from ...domain.errors import FormatterError, StorageClassError

_NUMPY_ERRORS = (ValueError, TypeError, EOFError, SyntaxError)


def import_numpy() -> Any:
    """The numpy module, or FormatterError if it is not installed."""
    try:
        import numpy
    except ImportError:
        raise FormatterError("reading or writing array datasets needs numpy, which is not installed; "
                             "install it with `pip install 'databutler[numpy]'`") from None
    return numpy


def write_array(array: Any, stream: IO[bytes]) -> None:
    """Write ``array`` to ``stream`` in ``.npy`` format (object arrays are refused: they would pickle)."""
    numpy = import_numpy()
    try:
        numpy.lib.format.write_array(stream, array, allow_pickle=False)
    except ValueError as err:
        raise FormatterError(f"cannot write this array as .npy: {err}") from None


def read_array(stream: IO[bytes]) -> Any:
    """Read a whole ``.npy`` array starting at the current position of ``stream``."""
    numpy = import_numpy()
    try:
        return numpy.lib.format.read_array(stream, allow_pickle=False)
    except _NUMPY_ERRORS as err:
        raise FormatterError(f"malformed .npy data: {err}") from None


def read_array_part(stream: IO[bytes], slices: Any, end: int | None = None) -> Any:
    """Return ``array[slices]`` of the ``.npy`` array at the current position of seekable ``stream``.

    For C-ordered arrays indexed along the first axis by an integer or a slice (optionally
    followed by basic indices of the other axes) only the needed rows are read; anything else
    falls back to a full read. ``end`` bounds the array data (an archive member's end).
    """
    numpy = import_numpy()
    start = stream.tell()
    try:
        version = numpy.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = numpy.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = numpy.lib.format.read_array_header_2_0(stream)
        else:
            shape, fortran_order, dtype = (), True, None  # rare header version: read it all
    except _NUMPY_ERRORS as err:
        raise FormatterError(f"malformed .npy data: {err}") from None
    first, rest = _split_index(numpy, slices)
    if fortran_order or not shape or dtype is None or dtype.hasobject or first is None:
        stream.seek(start)
        return index_array(read_array(stream), slices)
    reader = _RowReader(numpy, stream, offset=stream.tell(), shape=shape, dtype=dtype, end=end)
    if isinstance(first, slice):
        rows = range(*first.indices(shape[0]))
        return index_array(reader.read(rows), (slice(None), *rest))
    row = first + shape[0] if first < 0 else first
    if not 0 <= row < shape[0]:
        raise StorageClassError(f"read parameter 'slices' {slices!r} does not fit: index {first} is out "
                                f"of bounds for axis 0 with size {shape[0]}")
    return index_array(reader.read(range(row, row + 1))[0], rest)


def index_array(array: Any, index: Any) -> Any:
    """Return ``array[index]``, refusing an index that does not fit with StorageClassError."""
    try:
        return array[index]
    except (IndexError, TypeError, ValueError) as err:
        raise StorageClassError(f"read parameter 'slices' {index!r} does not fit: {err}") from None


def _split_index(numpy: Any, slices: Any) -> tuple[Any, tuple[Any, ...]]:
    """Split ``slices`` into a first-axis int or slice and basic indices of the other axes.

    Returns ``(None, ())`` when the index is not of that shape (fancy indexing, an ellipsis or
    a new axis first), so the caller reads the whole array.
    """
    parts = slices if isinstance(slices, tuple) else (slices,)
    if not parts:
        return None, ()
    first, rest = parts[0], parts[1:]
    if not (isinstance(first, slice) or _is_int(numpy, first)):
        return None, ()
    if not all(isinstance(p, slice) or p is None or p is Ellipsis or _is_int(numpy, p) for p in rest):
        return None, ()
    return (first if isinstance(first, slice) else int(first)), rest


def _is_int(numpy: Any, value: Any) -> bool:
    return type(value) is int or isinstance(value, numpy.integer)


class _RowReader:
    """Reads rows (first-axis entries) of a C-ordered array at ``offset`` of a seekable stream."""

    def __init__(self, numpy: Any, stream: IO[bytes], *, offset: int, shape: tuple[int, ...], dtype: Any,
                 end: int | None) -> None:
        self._numpy = numpy
        self._stream = stream
        self._offset = offset
        self._row_shape = shape[1:]
        self._dtype = dtype
        self._row_bytes = math.prod(self._row_shape) * dtype.itemsize
        self._end = end

    def read(self, rows: range) -> Any:
        """The array of ``rows`` (a range with any step), reading only their bytes."""
        if not rows:
            return self._numpy.empty((0, *self._row_shape), dtype=self._dtype)
        if rows.step in (1, -1):
            low, high = min(rows.start, rows[-1]), max(rows.start, rows[-1]) + 1
            block = self._read_span(low, high)
            return block if rows.step == 1 else block[::-1]
        out = self._numpy.empty((len(rows), *self._row_shape), dtype=self._dtype)
        for i, row in enumerate(rows):
            out[i] = self._read_span(row, row + 1)[0]
        return out

    def _read_span(self, low: int, high: int) -> Any:
        position = self._offset + low * self._row_bytes
        buffer = bytearray((high - low) * self._row_bytes)
        if self._end is not None and position + len(buffer) > self._end:
            raise FormatterError("malformed .npy data: the header describes more data than the file holds")
        self._stream.seek(position)
        if _read_into(self._stream, buffer) != len(buffer):
            raise FormatterError("malformed .npy data: the file is shorter than its header says")
        return self._numpy.frombuffer(buffer, dtype=self._dtype).reshape((high - low, *self._row_shape))


def _read_into(stream: IO[bytes], buffer: bytearray) -> int:
    """Fill ``buffer`` from ``stream`` without an intermediate copy where the stream allows it."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return int(readinto(buffer))
    data = stream.read(len(buffer))
    buffer[:len(data)] = data
    return len(data)
