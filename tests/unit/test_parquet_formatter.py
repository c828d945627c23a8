"""The Parquet formatter beyond the contract: what it reads, what it refuses, and what it needs installed."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from databutler.adapters.formats import ParquetFormatter, default_formatter_set
from databutler.domain import FormatterError, StorageClassError, StorageClassRegistry

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
np = pytest.importorskip("numpy")

STORAGE_CLASSES = StorageClassRegistry()
FORMATTER = ParquetFormatter(row_group_rows=10_000)
ROWS, COLUMNS = 100_000, 20


class CountingStream(io.RawIOBase):
    """A seekable stream over bytes that is not a BytesIO (so it is read at offsets), counting bytes read."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data, self._position, self.bytes_read = data, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = (offset, self._position + offset, len(self._data) + offset)[whence]
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: Any) -> int:
        chunk = self._data[self._position:self._position + len(buffer)]
        memoryview(buffer)[:len(chunk)] = chunk
        self._position += len(chunk)
        self.bytes_read += len(chunk)
        return len(chunk)


@pytest.fixture(scope="module")
def wide() -> tuple[Any, bytes]:
    """A 100,000-row, 20-column table of random floats (incompressible) and its Parquet bytes (10 row groups)."""
    rng = np.random.default_rng(13)
    columns = {"id": np.arange(ROWS, dtype="int64")}
    columns.update({f"c{i}": rng.random(ROWS) for i in range(1, COLUMNS)})
    table = pa.table(columns)
    return table, written(table)


def written(obj: Any, storage_class: str = "ArrowTable", formatter: ParquetFormatter = FORMATTER) -> bytes:
    stream = io.BytesIO()
    formatter.write(obj, stream, STORAGE_CLASSES[storage_class])
    return stream.getvalue()


def chunk_bytes(data: bytes, columns: list[str], row_groups: list[int] | None = None) -> int:
    """The stored size of the chunks of ``columns`` in ``row_groups`` (all if None), from the footer."""
    metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    total = 0
    for index in range(metadata.num_row_groups) if row_groups is None else row_groups:
        group = metadata.row_group(index)
        total += sum(group.column(i).total_compressed_size for i in range(group.num_columns)
                     if group.column(i).path_in_schema in columns)
    return total


def read(data: bytes, storage_class: str = "ArrowTable", parameters: dict[str, Any] | None = None,
         component: str | None = None) -> Any:
    return FORMATTER.read(io.BytesIO(data), STORAGE_CLASSES[storage_class], parameters, component)


def test_parquet_is_the_default_formatter_of_the_table_storage_classes() -> None:
    formatters = default_formatter_set()
    for name in ("ArrowTable", "DataFrame", "AstropyTable"):
        assert formatters.for_storage_class(name).name == "parquet"
    assert formatters.for_extension(".parq", "DataFrame").name == "parquet"


def test_a_column_subset_reads_only_those_column_chunks(wide: tuple[Any, bytes]) -> None:
    table, data = wide
    stream = CountingStream(data)
    got = FORMATTER.read(stream, STORAGE_CLASSES["ArrowTable"], {"columns": ["c3", "c7"]})
    assert got.equals(table.select(["c3", "c7"]))
    chunks = chunk_bytes(data, ["c3", "c7"])
    footer = 64 << 10  # read first, in one piece, whatever the footer's size
    assert chunks <= stream.bytes_read <= chunks + footer, f"{stream.bytes_read} of {len(data)} bytes read"
    assert stream.bytes_read < len(data) / 8


class MinimalStream:
    """Only read, seek and tell, like the datastore's verifying reader of large objects."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.closed_by_reader = False

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()


def test_a_stream_with_only_read_seek_and_tell_reads_and_stays_usable(wide: tuple[Any, bytes]) -> None:
    table, data = wide
    stream = MinimalStream(data)
    assert FORMATTER.read(stream, STORAGE_CLASSES["ArrowTable"], {"columns": ["c2"]}).equals(table.select(["c2"]))
    stream.seek(0)
    assert FORMATTER.read_full(stream, STORAGE_CLASSES["ArrowTable"]).equals(table)  # read once, in order
    stream.seek(0)
    assert stream.read(4) == b"PAR1"  # still open for the datastore (which hashes the rest)


def test_filters_skip_the_row_groups_their_statistics_rule_out(wide: tuple[Any, bytes]) -> None:
    table, data = wide
    stream = CountingStream(data)
    got = FORMATTER.read(stream, STORAGE_CLASSES["ArrowTable"], {"filters": [("id", "<", 2_500)], "columns": ["c1"]})
    assert got.equals(table.slice(0, 2_500).select(["c1"]))
    first_row_group = chunk_bytes(data, ["id", "c1"], row_groups=[0])
    two_footer_reads = 2 * (64 << 10)  # the row-group pruning reads the footer a second time
    assert first_row_group <= stream.bytes_read <= first_row_group + two_footer_reads, stream.bytes_read


@pytest.mark.parametrize(("parameters", "expected"), [(None, ROWS), ({"filters": [("id", ">=", 99_990)]}, 10)])
def test_rowcount_and_columns_come_from_the_footer(wide: tuple[Any, bytes], parameters: Any, expected: int) -> None:
    _, data = wide
    stream = CountingStream(data)
    assert FORMATTER.read(stream, STORAGE_CLASSES["ArrowTable"], parameters, "rowcount") == expected
    footer_and_at_most_one_row_group = 2 * (64 << 10) + 10_000 * 8
    assert stream.bytes_read <= footer_and_at_most_one_row_group
    stream = CountingStream(data)
    schema = FORMATTER.read(stream, STORAGE_CLASSES["DataFrame"], {"columns": ["c2", "id"]}, "columns")
    assert schema.names == ["c2", "id"] and schema.field("id").type == pa.int64()
    assert stream.bytes_read <= 64 << 10


def test_one_file_reads_as_each_table_view() -> None:
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("astropy")
    frame = pandas.DataFrame({"ra": [1.0, 2.0], "name": ["a", "b"]}, index=pandas.Index([7, 9], name="objectId"))
    data = written(frame, "DataFrame")
    arrow = read(data, "ArrowTable")
    assert arrow.column_names == ["ra", "name", "objectId"]
    astropy_table = read(data, "AstropyTable", {"columns": ["name"]})
    assert astropy_table.colnames == ["name"] and list(astropy_table["name"]) == ["a", "b"]
    assert read(data, "DataFrame", {"columns": ["ra"]}).index.tolist() == [7, 9]  # the index comes along


@pytest.mark.parametrize(("parameters", "message"), [
    ({"columns": ["c33"]}, r"no column 'c33'; did you mean 'c3'"),
    ({"columns": "c3"}, r"needs a list of column names.*write \['c3'\]"),
    ({"columns": ["c3", "c3"]}, r"names a column twice"),
    ({"columns": [3]}, r"column names are strings"),
    ({"filters": [("idd", "<", 3)]}, r"no column 'idd'; did you mean 'id'"),
    ({"filters": [("id", "~", 3)]}, r"unknown operator '~'"),
    ({"filters": [("id", "in", "abc")]}, r"'in' needs a list of values"),
    ({"filters": [("id", "<")]}, r"is not a \(column, op, value\) term"),
    ({"filters": []}, r"non-empty list"),
    ({"filters": [("id", "<", "text")]}, r"does not fit the column types"),
    ({"rows": 3}, r"does not accept read parameters \['rows'\]"),
])
def test_bad_read_parameters_are_storage_class_errors_and_the_file_still_reads(
        wide: tuple[Any, bytes], parameters: dict[str, Any], message: str) -> None:
    table, data = wide
    with pytest.raises(StorageClassError, match=message):
        read(data, "ArrowTable", parameters)
    assert read(data, "ArrowTable", {"columns": ["c3"]}).equals(table.select(["c3"]))


def test_a_component_the_storage_class_does_not_have_is_refused(wide: tuple[Any, bytes]) -> None:
    _, data = wide
    with pytest.raises(StorageClassError, match=r"no component 'schema'; components: \['columns', 'rowcount'\]"):
        read(data, "ArrowTable", None, "schema")
    assert read(data, "ArrowTable", None, "rowcount") == ROWS


def test_a_file_that_is_not_parquet_or_is_cut_short_is_a_formatter_error(wide: tuple[Any, bytes]) -> None:
    _, data = wide
    for bad in (b'{"a": 1}', data[:len(data) // 2], data[: len(data) - 10]):
        with pytest.raises(FormatterError, match=r"Parquet"):
            read(bad, "ArrowTable", {"columns": ["c1"]})


def test_a_table_with_nested_columns_cannot_be_read_as_an_astropy_table() -> None:
    pytest.importorskip("astropy")
    data = written(pa.table({"a": [1, 2], "point": [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]}))
    with pytest.raises(FormatterError, match=r"column 'point' of type struct.*read this dataset as an ArrowTable"):
        read(data, "AstropyTable")
    assert read(data, "AstropyTable", {"columns": ["a"]})["a"].tolist() == [1, 2]  # the plain columns still do
    assert read(data, "ArrowTable")["point"].to_pylist()[1] == {"x": 3.0, "y": 4.0}


def test_a_non_table_or_another_table_view_is_refused_before_anything_is_written() -> None:
    for obj, storage_class in (({"a": [1]}, "ArrowTable"), (pa.table({"a": [1]}), "DataFrame"),
                               (np.arange(3), "AstropyTable"), (pa.table({"a": [1]}).schema, "ArrowTable")):
        stream = io.BytesIO()
        with pytest.raises(StorageClassError, match=r"is not a .* dataset"):
            FORMATTER.write(obj, stream, STORAGE_CLASSES[storage_class])
        assert stream.getvalue() == b""


def test_astropy_tables_the_format_cannot_hold_are_refused_before_anything_is_written() -> None:
    table_module = pytest.importorskip("astropy.table")
    time_module = pytest.importorskip("astropy.time")
    with_mixin = table_module.Table({"t": time_module.Time([60000.0, 60001.0], format="mjd"), "a": [1, 2]})
    with_2d = table_module.Table({"v": np.zeros((2, 3))})
    with_object_meta = table_module.Table({"a": [1]}, meta={"when": object()})
    for table, message in ((with_mixin, r"column 't' is a Time \(a mixin column\)"),
                           (with_2d, r"column 'v' has shape \(2, 3\)"), (with_object_meta, r"JSON-serializable")):
        stream = io.BytesIO()
        with pytest.raises(FormatterError, match=message):
            FORMATTER.write(table, stream, STORAGE_CLASSES["AstropyTable"])
        assert stream.getvalue() == b""


def test_a_dataframe_arrow_cannot_hold_is_a_formatter_error_and_writes_nothing() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"mixed": [1, "two", 3.0]})
    stream = io.BytesIO()
    with pytest.raises(FormatterError, match=r"cannot store this DataFrame as Parquet"):
        FORMATTER.write(frame, stream, STORAGE_CLASSES["DataFrame"])
    assert stream.getvalue() == b""


def test_astropy_units_descriptions_masks_and_meta_survive() -> None:
    table_module = pytest.importorskip("astropy.table")
    table = table_module.Table({"ra": [1.0, 2.0]}, meta={"survey": "x"})
    table["ra"].unit, table["ra"].description = "deg", "right ascension"
    table["flux"] = table_module.MaskedColumn([1.5, 2.5], mask=[True, False])
    got = read(written(table, "AstropyTable"), "AstropyTable")
    assert got["ra"].unit == "deg" and got["ra"].description == "right ascension" and got.meta == {"survey": "x"}
    assert got["flux"].mask.tolist() == [True, False] and got["flux"][1] == 2.5


def test_without_pyarrow_tables_say_which_extra_to_install_and_other_formats_still_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    table = pa.table({"a": [1]})
    data = written(table)
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)  # what an environment without pyarrow looks like
    with pytest.raises(FormatterError, match=r"needs pyarrow.*pip install 'databutler\[tables\]'"):
        written(table)
    with pytest.raises(FormatterError, match=r"pip install 'databutler\[tables\]'"):
        read(data)
    stream = io.BytesIO()
    default_formatter_set().for_storage_class("StructuredData").write({"a": 1}, stream,
                                                                       STORAGE_CLASSES["StructuredData"])
    assert stream.getvalue()


def test_without_astropy_astropy_tables_name_the_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    table_module = pytest.importorskip("astropy.table")
    data = written(pa.table({"a": [1]}))
    table = table_module.Table({"a": [1]})
    for name in [m for m in sys.modules if m == "astropy" or m.startswith("astropy.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(FormatterError, match=r"needs astropy.*databutler\[tables,fits\]"):
        read(data, "AstropyTable")
    with pytest.raises(FormatterError, match=r"needs astropy"):
        written(table, "AstropyTable")
    assert read(data, "ArrowTable").num_rows == 1
