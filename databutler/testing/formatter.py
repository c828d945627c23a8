"""The Formatter contract suite, and sample Datasets of the builtin StorageClasses.

Plug formatters in with a ``formatter_case`` fixture parametrised over ``formatter_cases``::

    from databutler.testing.formatter import FormatterContract, formatter_cases

    CASES = formatter_cases(my_formatter_set(), StorageClassRegistry())

A third party whose formatters write StorageClasses of its own passes Samples of them
(``formatter_cases(formatters, storage_classes, samples=MY_SAMPLES)``); a Sample whose read
parameters the builtin rules do not know says what a read returns (``narrow(full, parameters, component)``)
and, if ``==`` is not the comparison, how to compare (``same``).

    class TestMyFormatters(FormatterContract):
        @pytest.fixture(params=CASES, ids=[case.id for case in CASES])
        def formatter_case(self, request):
            return request.param
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import pytest

from ..domain.errors import FormatterError, StorageClassError
from ..domain.storage_class import StorageClass, StorageClassRegistry, apply_read_parameters, extract_component
from ..ports.formatter import Formatter, FormatterSet
from . import table_samples

HAS_NUMPY = importlib.util.find_spec("numpy") is not None
Read = tuple[Mapping[str, Any] | None, str | None]
"""Read parameters and component of one read."""


@attrs.frozen
class SampleRecord:
    """A small user-defined class, to store as an ``Object``."""

    name: str
    values: tuple[float, ...]


def _numpy() -> Any:
    return pytest.importorskip("numpy", reason="numpy is not installed")


@attrs.frozen
class Sample:
    """A sample Dataset of one StorageClass, the reads to check on it and objects its class refuses."""

    storage_class: str
    label: str
    build: Callable[[], Any]
    reads: tuple[Read, ...] = ()
    wrong_types: tuple[Any, ...] = ()
    needs_numpy: bool = False
    needs: tuple[str, ...] = ()
    """Optional modules the sample needs (the test is skipped without them)."""
    build_wrong: Callable[[], tuple[Any, ...]] | None = None
    """More objects the class refuses, built when needed (they may need optional modules)."""
    narrow: Callable[[Any, Mapping[str, Any] | None, str | None], Any] | None = None
    """What a read with parameters and a component returns, when ``expected_read`` does not know."""
    same: Callable[[Any, Any, str], None] | None = None
    """How to compare two Datasets of this sample, when ``assert_same`` does not know."""

    @property
    def id(self) -> str:
        """A test id."""
        return f"{self.storage_class}-{self.label}"

    def make(self) -> Any:
        """A fresh copy of the sample (skips the test if it needs numpy and numpy is absent)."""
        if self.needs_numpy:
            _numpy()
        for module in self.needs:
            pytest.importorskip(module, reason=f"{module} is not installed")
        return self.build()

    def wrong_objects(self) -> tuple[Any, ...]:
        """Objects of types the StorageClass refuses."""
        return self.wrong_types + (self.build_wrong() if self.build_wrong else ())

    def expected(self, storage_class: StorageClass, full: Any, parameters: Mapping[str, Any] | None,
                 component: str | None) -> Any:
        """What a read with ``parameters`` and ``component`` must return, given the full Dataset."""
        if self.narrow is not None:
            storage_class.check_parameters(parameters)
            if component is not None:
                storage_class.component(component)
            return self.narrow(full, parameters, component)
        return expected_read(storage_class, full, parameters, component)

    def assert_same(self, actual: Any, expected: Any, where: str = "dataset") -> None:
        """Assert two Datasets of this sample are equal."""
        (self.same or assert_same)(actual, expected, where)


def _structured_dict() -> dict[str, Any]:
    return {"name": "calexp", "visit": 903334, "exposure_time": 30.5, "flags": [True, False, None],
            "nested": {"a": [1, 2, 3], "unicode": "Ω ∑ ✓ é"}, "empty": {}}


def _array_2d() -> Any:
    return _numpy().arange(120, dtype="float64").reshape(10, 12)


def _array_big_endian() -> Any:
    return _numpy().arange(17, dtype=">i4") * 3


def _array_fortran() -> Any:
    numpy = _numpy()
    return numpy.asfortranarray(numpy.arange(60, dtype="float32").reshape(5, 4, 3))


def _composite() -> dict[str, Any]:
    return {"array": _array_2d(), "metadata": {"exposure": 30.0, "detector": 42, "filters": ["r", "i"]}}


def _exposure(image_dtype: str, mask_dtype: str, *, with_wcs: bool, bbox: tuple[int, int, int, int] | None) -> Any:
    """A small Exposure (skips the test when astropy, the ``fits`` extra, is absent)."""
    pytest.importorskip("astropy", reason="astropy (databutler[fits]) is not installed")
    numpy = _numpy()
    from astropy.wcs import WCS

    from ..adapters.formats.exposure import Exposure

    height, width = 9, 13
    image = (numpy.arange(height * width).reshape(height, width) * 1.5).astype(image_dtype)
    mask = (numpy.arange(height * width).reshape(height, width) % 7).astype(mask_dtype)
    wcs = None
    if with_wcs:
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        wcs.wcs.crpix = [6.5, 4.25]
        wcs.wcs.crval = [150.1, 2.2]
        wcs.wcs.cd = [[-5.5e-5, 1e-7], [2e-7, 5.5e-5]]
    metadata = {"EXPTIME": 30.5, "FILTER": "HSC-R", "VISIT": 903334, "FLAGGED": False, "UNDEF": None,
                "long keyword Name": "kept as HIERARCH", "COMMENT": ["first", "second"]} if with_wcs else {}
    variance = (image * 0.25).astype(image_dtype)
    if bbox is None:
        return Exposure(image, mask, variance, wcs=wcs, metadata=metadata)
    return Exposure(image, mask, variance, wcs=wcs, metadata=metadata, bbox=bbox)


def _wcs(sip: bool) -> Any:
    """A small TAN WCS, with SIP distortion if ``sip`` (skips the test when astropy is absent)."""
    pytest.importorskip("astropy", reason="astropy (databutler[fits]) is not installed")
    numpy = _numpy()
    from astropy.wcs import WCS, Sip

    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN-SIP", "DEC--TAN-SIP"] if sip else ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = [100.5, 200.25]
    wcs.wcs.crval = [10.75, -45.125]
    wcs.wcs.cd = [[-5.5e-5, 1e-7], [2e-7, 5.5e-5]]
    if sip:
        a, b = numpy.zeros((3, 3)), numpy.zeros((3, 3))
        a[2, 0], b[0, 2] = 1.5e-6, -2.5e-6
        wcs.sip = Sip(a, b, None, None, wcs.wcs.crpix)
    return wcs


_EXPOSURE_READS: tuple[Read, ...] = (
    *((None, component) for component in ("image", "mask", "variance", "wcs", "metadata", "bbox")),
    ({"bbox": (1002, 2003, 1007, 2009)}, None), ({"bbox": (1000, 2000, 1013, 2009)}, None),
    ({"bbox": (1012, 2008, 1013, 2009)}, None), ({"bbox": (1003, 2001, 1010, 2004)}, "image"),
    ({"bbox": (1003, 2001, 1010, 2004)}, "mask"), ({"bbox": (1003, 2001, 1010, 2004)}, "wcs"),
    ({"bbox": (1003, 2001, 1010, 2004)}, "bbox"), ({"bbox": [1003, 2001, 1010, 2004]}, "metadata"),
)

_SLICES: tuple[Any, ...] = (
    slice(2, 5), 3, -1, slice(None, None, -1), slice(8, 1, -3), slice(None, None, 4), slice(20, 30),
    (slice(1, 4), 2), (slice(1, 4), slice(None, 5, 2)), (2, slice(3, 6)), (-2, None), (Ellipsis, 1), [0, 2, 5],
)
_COMPOSITE_READS: tuple[Read, ...] = (
    (None, "array"), (None, "metadata"), ({"slices": slice(2, 5)}, None), ({"slices": (slice(1, 3), 4)}, "array"),
    ({"slices": 4}, "array"), ({"slices": slice(2, 5)}, "metadata"),
)

SAMPLES: tuple[Sample, ...] = (
    Sample("StructuredData", "dict", _structured_dict, reads=(({"keys": ["visit", "name"]}, None),),
           wrong_types=({1, 2}, "a string", 3.5)),
    Sample("StructuredData", "list", lambda: [1, "two", 3.0, None, {"k": "v"}, [True]], wrong_types=((1, 2),)),
    Sample("StructuredDataDict", "dict", _structured_dict, reads=(({"keys": ["flags"]}, None), ({"keys": []}, None)),
           wrong_types=([1, 2],)),
    Sample("StructuredDataList", "list", lambda: [{"a": 1}, {"a": 2}], wrong_types=({"a": 1},)),
    Sample("Object", "record", lambda: SampleRecord("calexp", (1.5, 2.5))),
    Sample("Object", "mixed", lambda: {"set": {1, 2}, "bytes": b"\x00\xff", "tuple": (1, 2.5), "complex": 1 + 2j}),
    Sample("NumpyArray", "float64-2d", _array_2d, reads=tuple(({"slices": s}, None) for s in _SLICES),
           wrong_types=([1, 2, 3], {"array": 1}), needs_numpy=True),
    Sample("NumpyArray", "int32-big-endian", _array_big_endian,
           reads=tuple(({"slices": s}, None) for s in (slice(3, 9), 5, -3, slice(None, None, -2))),
           needs_numpy=True),
    Sample("NumpyArray", "fortran-3d", _array_fortran,
           reads=tuple(({"slices": s}, None) for s in (slice(1, 3), (2, 1), (slice(None), 0, 2))), needs_numpy=True),
    Sample("ArrayWithMetadata", "composite", _composite, reads=_COMPOSITE_READS,
           wrong_types=([1], {"metadata": {}}, {"array": [1, 2], "metadata": {}}), needs_numpy=True),
    Sample("Box", "positive", lambda: (1000, 2000, 1013, 2009), wrong_types=([0, 0, 1, 1], (0, 0, 0, 1), (1, 2))),
    Sample("Box", "negative-corner", lambda: (-5, -7, 8, 2)),
    Sample("Wcs", "tan", lambda: _wcs(sip=False), wrong_types=("RA---TAN", {"CTYPE1": "RA---TAN"}),
           needs_numpy=True),
    Sample("Wcs", "tan-sip", lambda: _wcs(sip=True), needs_numpy=True),
    Sample("Exposure", "float32-wcs",
           lambda: _exposure("float32", "int32", with_wcs=True, bbox=(1000, 2000, 1013, 2009)),
           reads=_EXPOSURE_READS, wrong_types=([1], {"image": 1}, "exposure"), needs_numpy=True),
    Sample("Exposure", "float64-uint16-bare", lambda: _exposure("float64", "uint16", with_wcs=False, bbox=None),
           reads=(({"bbox": (2, 3, 5, 9)}, None), (None, "wcs"), (None, "bbox"), ({"bbox": (0, 0, 13, 1)}, "mask")),
           needs_numpy=True),
    Sample("Exposure", "int16-uint8", lambda: _exposure("int16", "uint8", with_wcs=False, bbox=(-5, -7, 8, 2)),
           reads=(({"bbox": (-5, -7, -4, -6)}, None),), needs_numpy=True),
    *(Sample(storage_class, label, build, reads=table_samples.READS, wrong_types=("a string",),
             needs=("pyarrow", *needs), build_wrong=functools.partial(table_samples.wrong_for, storage_class),
             narrow=table_samples.narrow, same=table_samples.assert_same_table)
      for storage_class, label, build, needs in (
          ("ArrowTable", "catalog", table_samples.arrow_catalog, ()),
          ("DataFrame", "indexed", table_samples.dataframe_catalog, ("pandas",)),
          ("DataFrame", "range-index", table_samples.dataframe_range_indexed, ("pandas",)),
          ("AstropyTable", "catalog", table_samples.astropy_catalog, ("astropy",)))),
)
"""Samples of every builtin StorageClass."""


def samples_of(storage_class: str, samples: Sequence[Sample] = SAMPLES) -> tuple[Sample, ...]:
    """The samples of ``storage_class`` among ``samples``."""
    return tuple(s for s in samples if s.storage_class == storage_class)


def assert_same(actual: Any, expected: Any, where: str = "dataset") -> None:
    """Assert two Datasets are equal, comparing numpy arrays by shape, dtype and values."""
    if HAS_NUMPY:
        import numpy

        if isinstance(expected, numpy.ndarray | numpy.generic):
            assert isinstance(actual, type(expected)), f"{where}: {type(actual)} is not {type(expected)}"
            assert numpy.shape(actual) == numpy.shape(expected), f"{where}: shape {numpy.shape(actual)}"
            assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype} != {expected.dtype}"
            assert numpy.array_equal(actual, expected), f"{where}: {actual!r} != {expected!r}"
            return
    if type(expected).__module__ == "astropy.wcs.wcs":  # a WCS has no ==; a FITS round trip moves the last digit
        from ..adapters.formats.exposure import same_wcs

        assert type(actual) is type(expected) and same_wcs(actual, expected), f"{where}: WCS {actual} != {expected}"
        return
    if isinstance(expected, Mapping):
        assert isinstance(actual, Mapping), f"{where}: {actual!r} is not a mapping"
        assert list(actual) == list(expected), f"{where}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]")
        return
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{i}]")
        return
    assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def expected_read(storage_class: StorageClass, full: Any, parameters: Mapping[str, Any] | None,
                  component: str | None) -> Any:
    """What a read with ``parameters`` and ``component`` must return, given the full Dataset."""
    narrowed = apply_read_parameters(storage_class, full, parameters)
    return narrowed if component is None else extract_component(storage_class, narrowed, component)


@attrs.frozen
class FormatterCase:
    """One formatter, one StorageClass it handles, and one sample of it."""

    formatter: Formatter
    storage_class: StorageClass
    sample: Sample

    @property
    def id(self) -> str:
        """A test id."""
        return f"{self.formatter.name}-{self.sample.id}"


def formatter_cases(formatters: FormatterSet, storage_classes: StorageClassRegistry,
                    samples: Sequence[Sample] = SAMPLES) -> list[FormatterCase]:
    """A case for every formatter of ``formatters``, StorageClass it handles, and sample of that class."""
    cases: list[FormatterCase] = []
    for name in formatters.names():
        formatter = formatters.by_name(name)
        for storage_class in sorted(formatter.storage_classes):
            cases.extend(FormatterCase(formatter, storage_classes[storage_class], sample)
                         for sample in samples_of(storage_class, samples))
    return cases


class WriteOnlyStream(io.RawIOBase):
    """A binary stream that can be written but not read, sought or told, like a hashing pipe."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()

    def writable(self) -> bool:
        """True."""
        return True

    def write(self, data: Any) -> int:
        """Append ``data``."""
        view = memoryview(data).cast("B")
        self._buffer += view
        return view.nbytes

    def getvalue(self) -> bytes:
        """Everything written."""
        return bytes(self._buffer)


def write_bytes(case: FormatterCase, obj: Any) -> bytes:
    """The bytes ``case.formatter`` writes for ``obj``."""
    stream = io.BytesIO()
    case.formatter.write(obj, stream, case.storage_class)
    return stream.getvalue()


class FormatterContract:
    """What every Formatter promises; needs a ``formatter_case`` fixture returning a FormatterCase."""

    def test_declares_a_name_an_extension_and_storage_classes(self, formatter_case: FormatterCase) -> None:
        formatter = formatter_case.formatter
        assert formatter.name and formatter.extension.startswith(".")
        assert formatter_case.storage_class.name in formatter.storage_classes

    def test_write_then_read_round_trips(self, formatter_case: FormatterCase) -> None:
        obj = formatter_case.sample.make()
        data = write_bytes(formatter_case, obj)
        same = formatter_case.sample.assert_same
        same(formatter_case.formatter.read_full(io.BytesIO(data), formatter_case.storage_class), obj)
        same(formatter_case.formatter.read(io.BytesIO(data), formatter_case.storage_class), obj)

    def test_writes_to_a_stream_that_cannot_seek(self, formatter_case: FormatterCase) -> None:
        obj = formatter_case.sample.make()
        stream = WriteOnlyStream()
        formatter_case.formatter.write(obj, stream, formatter_case.storage_class)  # type: ignore[arg-type]
        formatter_case.sample.assert_same(
            formatter_case.formatter.read(io.BytesIO(stream.getvalue()), formatter_case.storage_class), obj)

    def test_partial_read_equals_full_read_then_narrowed(self, formatter_case: FormatterCase) -> None:
        if not formatter_case.sample.reads:
            pytest.skip(f"sample {formatter_case.sample.id} has no reads with parameters or components")
        formatter, storage_class = formatter_case.formatter, formatter_case.storage_class
        data = write_bytes(formatter_case, formatter_case.sample.make())
        full = formatter.read_full(io.BytesIO(data), storage_class)
        for parameters, component in formatter_case.sample.reads:
            got = formatter.read(io.BytesIO(data), storage_class, parameters, component)
            formatter_case.sample.assert_same(
                got, formatter_case.sample.expected(storage_class, full, parameters, component),
                f"read({parameters}, {component})")

    def test_unknown_read_parameter_or_component_is_refused(self, formatter_case: FormatterCase) -> None:
        formatter, storage_class = formatter_case.formatter, formatter_case.storage_class
        data = write_bytes(formatter_case, formatter_case.sample.make())
        with pytest.raises(StorageClassError):
            formatter.read(io.BytesIO(data), storage_class, {"no_such_parameter": 1})
        with pytest.raises(StorageClassError):
            formatter.read(io.BytesIO(data), storage_class, None, "no_such_component")

    @pytest.mark.parametrize("malformed", [b"", b"\x00\x01\xffnot a valid file\x80{[", b"PK\x03\x04garbage"],
                             ids=["empty", "garbage", "zip-like"])
    def test_malformed_bytes_raise_formatter_error(self, formatter_case: FormatterCase, malformed: bytes) -> None:
        with pytest.raises(FormatterError):
            formatter_case.formatter.read_full(io.BytesIO(malformed), formatter_case.storage_class)

    def test_truncated_bytes_raise_only_formatter_error(self, formatter_case: FormatterCase) -> None:
        data = write_bytes(formatter_case, formatter_case.sample.make())
        for size in sorted({1, len(data) // 2, len(data) - 1}):
            # A truncation that still parses (some YAML) is not malformed; any error but FormatterError fails.
            with contextlib.suppress(FormatterError):
                formatter_case.formatter.read_full(io.BytesIO(data[:size]), formatter_case.storage_class)

    def test_wrong_type_is_refused_with_storage_class_error(self, formatter_case: FormatterCase) -> None:
        if not formatter_case.sample.wrong_types and formatter_case.sample.build_wrong is None:
            pytest.skip(f"storage class {formatter_case.storage_class.name} accepts every sample type")
        formatter_case.sample.make()  # skips when the sample needs a missing optional package
        for wrong in formatter_case.sample.wrong_objects():
            stream = io.BytesIO()
            with pytest.raises(StorageClassError):
                formatter_case.formatter.write(wrong, stream, formatter_case.storage_class)
            assert stream.getvalue() == b"", "a refused object must not be partly written"

    @pytest.mark.parametrize("text", ["\ud800", "a\udcffb", "\x00"], ids=["lone-high-surrogate", "lone-low", "nul"])
    def test_text_the_format_cannot_hold_is_a_formatter_error_and_writes_nothing(
            self, formatter_case: FormatterCase, text: str) -> None:
        obj = {"text": text}
        if not formatter_case.storage_class.accepts(obj):
            pytest.skip(f"storage class {formatter_case.storage_class.name} holds no dicts of strings")
        stream = io.BytesIO()
        try:
            formatter_case.formatter.write(obj, stream, formatter_case.storage_class)
        except (FormatterError, StorageClassError):  # refused: nothing may have been written
            assert stream.getvalue() == b"", "a refused object must not be partly written"
            return
        assert_same(formatter_case.formatter.read_full(io.BytesIO(stream.getvalue()), formatter_case.storage_class),
                    obj)


def case_ids(cases: Sequence[FormatterCase]) -> list[str]:
    """Test ids of ``cases``."""
    return [case.id for case in cases]

