"""The Formatter contract suite against the bundled formatters, and what each does beyond it."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from typing import Any

import pytest

from databutler.adapters.formats import default_formatter_set
from databutler.domain import ConfigError, FormatterError, StorageClassRegistry
from databutler.testing.formatter import FormatterCase, FormatterContract, case_ids, formatter_cases

FORMATTERS = default_formatter_set()
STORAGE_CLASSES = StorageClassRegistry()
CASES = formatter_cases(FORMATTERS, STORAGE_CLASSES)


class TestBundledFormatters(FormatterContract):
    @pytest.fixture(params=CASES, ids=case_ids(CASES))
    def formatter_case(self, request: pytest.FixtureRequest) -> FormatterCase:
        return request.param  # type: ignore[no-any-return]


class CountingStream(io.BytesIO):
    """A seekable stream that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.bytes_read += count
        return count


def _written(name: str, obj: Any, storage_class: str) -> bytes:
    stream = io.BytesIO()
    FORMATTERS.by_name(name).write(obj, stream, STORAGE_CLASSES[storage_class])
    return stream.getvalue()


def test_defaults_and_extensions() -> None:
    assert FORMATTERS.for_storage_class("StructuredData").name == "json"
    assert FORMATTERS.for_storage_class("StructuredDataDict").name == "json"
    assert FORMATTERS.for_storage_class("NumpyArray").name == "npy"
    assert FORMATTERS.for_storage_class("Object").name == "pickle"
    assert FORMATTERS.for_storage_class("ArrayWithMetadata").name == "npz"
    assert FORMATTERS.for_extension(".yaml", "StructuredDataDict").name == "yaml"
    with pytest.raises(ConfigError):
        FORMATTERS.for_extension(".yaml", "NumpyArray")


def test_overriding_a_default_formatter() -> None:
    assert FORMATTERS.with_defaults({"StructuredData": "yaml"}).for_storage_class("StructuredData").name == "yaml"
    with pytest.raises(ConfigError):
        FORMATTERS.with_defaults({"NumpyArray": "json"})
    with pytest.raises(ConfigError):
        FORMATTERS.with_defaults({"NumpyArray": "hdf5"})


@pytest.mark.parametrize(("name", "data"), [("json", b"[1, 2]"), ("yaml", b"- 1\n- 2\n"), ("yaml", b"")])
def test_a_file_holding_another_type_is_malformed(name: str, data: bytes) -> None:
    with pytest.raises(FormatterError, match="not a 'StructuredDataDict'"):
        FORMATTERS.by_name(name).read_full(io.BytesIO(data), STORAGE_CLASSES["StructuredDataDict"])


def test_yaml_refuses_python_specific_tags() -> None:
    data = b"!!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(FormatterError):
        FORMATTERS.by_name("yaml").read_full(io.BytesIO(data), STORAGE_CLASSES["StructuredData"])


def test_unserializable_values_raise_formatter_error() -> None:
    for name in ("json", "yaml"):
        with pytest.raises(FormatterError):
            _written(name, {"a": object()}, "StructuredData")
    with pytest.raises(FormatterError):
        _written("pickle", lambda: 1, "Object")


def test_npy_slices_along_the_first_axis_read_only_the_needed_rows() -> None:
    numpy = pytest.importorskip("numpy")
    array = numpy.arange(1000 * 100, dtype="float64").reshape(1000, 100)
    data = _written("npy", array, "NumpyArray")
    row_bytes = 100 * 8
    for slices, rows in (((slice(10, 13)), 3), (500, 1), ((slice(990, None), slice(0, 5)), 10),
                         (slice(200, 100, -10), 10)):
        stream = CountingStream(data)
        got = FORMATTERS.by_name("npy").read(stream, STORAGE_CLASSES["NumpyArray"], {"slices": slices})
        assert numpy.array_equal(got, array[slices])
        assert stream.bytes_read <= rows * row_bytes + 256, (slices, stream.bytes_read)


def test_npy_partial_read_of_a_truncated_file_raises_formatter_error() -> None:
    numpy = pytest.importorskip("numpy")
    data = _written("npy", numpy.zeros((100, 10)), "NumpyArray")
    with pytest.raises(FormatterError):
        FORMATTERS.by_name("npy").read(io.BytesIO(data[:-100]), STORAGE_CLASSES["NumpyArray"],
                                       {"slices": slice(95, 100)})


def test_npy_refuses_object_arrays() -> None:
    numpy = pytest.importorskip("numpy")
    with pytest.raises(FormatterError):
        _written("npy", numpy.array([{"a": 1}, None], dtype=object), "NumpyArray")


def test_npz_component_read_touches_only_that_member() -> None:
    numpy = pytest.importorskip("numpy")
    composite = {"array": numpy.zeros((1000, 100)), "metadata": {"a": 1}}
    data = _written("npz", composite, "ArrayWithMetadata")
    stream = CountingStream(data)
    metadata = FORMATTERS.by_name("npz").read(stream, STORAGE_CLASSES["ArrayWithMetadata"], None, "metadata")
    assert metadata == {"a": 1}
    assert stream.bytes_read < 2000
    stream = CountingStream(data)
    rows = FORMATTERS.by_name("npz").read(stream, STORAGE_CLASSES["ArrayWithMetadata"], {"slices": slice(5, 7)},
                                          "array")
    assert rows.shape == (2, 100) and stream.bytes_read < 2 * 800 + 2000


def test_npz_members_are_an_npy_array_and_json_metadata() -> None:
    numpy = pytest.importorskip("numpy")
    data = _written("npz", {"array": numpy.arange(3), "metadata": {"k": "v"}}, "ArrayWithMetadata")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["array.npy", "metadata.json"]
        assert json.loads(archive.read("metadata.json")) == {"k": "v"}
    assert numpy.array_equal(numpy.load(io.BytesIO(data))["array"], numpy.arange(3))


def test_npz_archive_missing_a_member_is_malformed() -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(FormatterError, match=r"array\.npy"):
        FORMATTERS.by_name("npz").read_full(io.BytesIO(stream.getvalue()), STORAGE_CLASSES["ArrayWithMetadata"])


def test_without_numpy_array_formatters_say_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    numpy = pytest.importorskip("numpy")
    array = numpy.arange(3)
    data = _written("npy", array, "NumpyArray")
    monkeypatch.setitem(sys.modules, "numpy", None)  # what an environment without numpy looks like
    with pytest.raises(FormatterError, match=r"pip install"):
        _written("npy", array, "NumpyArray")
    with pytest.raises(FormatterError, match=r"pip install"):
        FORMATTERS.by_name("npy").read_full(io.BytesIO(data), STORAGE_CLASSES["NumpyArray"])
    with pytest.raises(FormatterError, match=r"pip install"):
        _written("npz", {"array": array, "metadata": {}}, "ArrayWithMetadata")
