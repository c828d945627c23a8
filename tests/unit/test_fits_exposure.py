"""The FITS Exposure formatter beyond the contract: file layout, reads in parts, WCS shifts, refusals."""

from __future__ import annotations

import io
import math
import sys
from typing import Any

import pytest

np = pytest.importorskip("numpy")
fits = pytest.importorskip("astropy.io.fits")
from astropy.wcs import WCS  # noqa: E402

from databutler.adapters.formats import Exposure, FitsExposureFormatter  # noqa: E402
from databutler.domain import FormatterError, StorageClassError, StorageClassRegistry  # noqa: E402
from databutler.domain.storage_class import apply_read_parameters  # noqa: E402

FORMATTER = FitsExposureFormatter()
EXPOSURE = StorageClassRegistry()["Exposure"]


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


def tan_wcs() -> Any:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = [100.5, 80.25]
    wcs.wcs.crval = [53.1, -27.8]
    wcs.wcs.cd = [[-5.6e-5, 1e-8], [2e-8, 5.6e-5]]
    return wcs


def exposure(height: int = 120, width: int = 200, bbox: tuple[int, int, int, int] | None = (50, 70, 250, 190),
             **kwargs: Any) -> Exposure:
    image = np.arange(height * width, dtype="float32").reshape(height, width)
    planes = {"image": image, "mask": (image % 16).astype("int32"), "variance": image + 0.5,
              "wcs": tan_wcs(), "metadata": {"EXPTIME": 30.0, "DATE-OBS": "2024-01-01T00:00:00"}}
    if bbox is not None:
        planes["bbox"] = bbox
    return Exposure(**{**planes, **kwargs})


def written(obj: Any) -> bytes:
    stream = io.BytesIO()
    FORMATTER.write(obj, stream, EXPOSURE)
    return stream.getvalue()


def read(data: bytes, parameters: dict[str, Any] | None = None, component: str | None = None) -> Any:
    return FORMATTER.read(io.BytesIO(data), EXPOSURE, parameters, component)


def test_the_file_is_a_primary_header_and_three_named_uncompressed_image_extensions() -> None:
    data = written(exposure())
    with fits.open(io.BytesIO(data)) as hdus:
        assert [hdu.name for hdu in hdus] == ["PRIMARY", "IMAGE", "MASK", "VARIANCE"]
        assert hdus[0].data is None and hdus[0].header["EXPTIME"] == 30.0
        assert all(type(hdu) is fits.ImageHDU and hdu.shape == (120, 200) for hdu in hdus[1:])
        assert (hdus["IMAGE"].header["LTV1"], hdus["IMAGE"].header["LTV2"]) == (-50, -70)
        assert hdus["MASK"].header["CTYPE1"] == "RA---TAN"  # every plane carries the WCS


def test_bbox_is_parent_frame_with_exclusive_ends_and_cuts_rows_and_columns() -> None:
    whole = exposure()
    cut = read(written(whole), {"bbox": (60, 75, 63, 80)})
    assert cut.bbox == (60, 75, 63, 80) and cut.image.shape == (5, 3)
    np.testing.assert_array_equal(cut.image, whole.image[5:10, 10:13])
    np.testing.assert_array_equal(cut.mask, whole.mask[5:10, 10:13])
    assert cut.image.dtype == np.dtype("float32") and cut.image.dtype.isnative


def test_a_cutout_wcs_maps_its_pixels_to_the_same_sky_as_the_parent() -> None:
    whole = exposure()
    for cut in (read(written(whole), {"bbox": (60, 75, 63, 80)}), whole.cutout((60, 75, 63, 80))):
        for x, y in ((0, 0), (2, 4), (1.5, 3.25)):
            ours = cut.wcs.pixel_to_world(x, y)
            parent = whole.wcs.pixel_to_world(x + 10, y + 5)
            assert ours.separation(parent).arcsec < 1e-6


def test_wcs_round_trips_and_none_stays_none() -> None:
    whole = exposure()
    assert read(written(whole), None, "wcs").wcs.compare(whole.wcs.wcs, tolerance=1e-12)
    assert read(written(exposure(wcs=None)), None, "wcs") is None


def test_metadata_round_trips_keeping_order_case_and_list_cards() -> None:
    metadata = {"EXPTIME": 30.0, "lower case key": "kept", "N": 3, "OK": True, "NOTHING": None,
                "HISTORY": ["step 1", "step 2"], "LONG": "x" * 200}
    assert read(written(exposure(metadata=metadata)), None, "metadata") == metadata


def test_mask_dtypes_round_trip() -> None:
    for dtype in ("uint8", "int8", "int16", "uint16", "int32", "uint32", "int64"):
        whole = exposure(mask=(np.arange(120 * 200).reshape(120, 200) % 100).astype(dtype))
        assert read(written(whole), None, "mask").dtype == np.dtype(dtype), dtype


def test_header_components_read_only_headers_and_a_cut_only_its_rows() -> None:
    data = written(exposure(height=400, width=500, bbox=None))
    plane = 400 * 500 * 4
    for component in ("metadata", "bbox", "wcs"):
        stream = CountingStream(data)
        FORMATTER.read(stream, EXPOSURE, None, component)
        assert stream.bytes_read < 4 * 2880 * 3, (component, stream.bytes_read)
    stream = CountingStream(data)
    FORMATTER.read(stream, EXPOSURE, {"bbox": (100, 100, 110, 110)})
    assert stream.bytes_read < 3 * 10 * 10 * 4 + 8 * 2880 * 3 < plane
    stream = CountingStream(data)
    FORMATTER.read(stream, EXPOSURE, None, "variance")
    assert stream.bytes_read < plane + 8 * 2880 * 3


def test_the_domain_applies_bbox_to_an_in_memory_exposure_as_the_formatter_does() -> None:
    whole = exposure()
    assert apply_read_parameters(EXPOSURE, whole, {"bbox": (60, 75, 63, 80)}) == read(written(whole),
                                                                                       {"bbox": (60, 75, 63, 80)})


@pytest.mark.parametrize("bbox", [(0, 0, 10, 10), (40, 70, 60, 80), (60, 75, 260, 80), (60, 75, 63, 191)],
                         ids=["left-of-image", "x0-outside", "x1-outside", "y1-outside"])
def test_a_bbox_outside_the_image_is_refused_and_nothing_is_read_wrongly(bbox: tuple[int, ...]) -> None:
    data = written(exposure())
    for component in (None, "image", "bbox", "wcs"):
        with pytest.raises(StorageClassError, match=r"not inside the image, whose box is \(50, 70, 250, 190\)"):
            read(data, {"bbox": bbox}, component)
    assert read(data) == exposure(), "the file still reads whole"
    with pytest.raises(StorageClassError, match="not inside"):
        exposure().cutout(bbox)  # type: ignore[arg-type]


@pytest.mark.parametrize("bbox", [(60, 75, 59, 80), (60, 75, 60, 80), (60, 80, 63, 75)],
                         ids=["x1<x0", "empty", "y1<y0"])
def test_a_bbox_without_pixels_is_refused(bbox: tuple[int, ...]) -> None:
    with pytest.raises(StorageClassError, match="holds no pixels"):
        read(written(exposure()), {"bbox": bbox})
    with pytest.raises(StorageClassError, match="holds no pixels"):
        apply_read_parameters(EXPOSURE, exposure(), {"bbox": bbox})


@pytest.mark.parametrize("bbox", [(1, 2, 3), (1, 2, 3, 4, 5), "0123", (0.0, 0, 5, 5), (True, 0, 5, 5), None, 7],
                         ids=["three", "five", "string", "float", "bool", "none", "int"])
def test_a_bbox_that_is_not_four_ints_is_refused_before_reading(bbox: Any) -> None:
    stream = CountingStream(written(exposure()))
    with pytest.raises(StorageClassError, match="not a box"):
        FORMATTER.read(stream, EXPOSURE, {"bbox": bbox})
    assert stream.bytes_read == 0


def test_numpy_integers_make_a_bbox() -> None:
    cut = read(written(exposure()), {"bbox": tuple(np.int64(v) for v in (60, 75, 63, 80))})
    assert cut.bbox == (60, 75, 63, 80) and all(type(v) is int for v in cut.bbox)


def test_an_unknown_component_or_parameter_is_refused() -> None:
    data = written(exposure())
    components = r"'bbox', 'image', 'mask', 'metadata', 'variance', 'wcs'"
    with pytest.raises(StorageClassError, match=r"no component 'psf'.*" + components):
        read(data, None, "psf")
    with pytest.raises(StorageClassError, match="does not accept read parameters"):
        read(data, {"columns": ["a"]})


@pytest.mark.parametrize("missing", ["IMAGE", "MASK", "VARIANCE"])
def test_a_file_missing_an_extension_is_malformed_and_names_it(missing: str) -> None:
    with fits.open(io.BytesIO(written(exposure()))) as hdus:
        kept = fits.HDUList([hdu.copy() for hdu in hdus if hdu.name != missing])
        stream = io.BytesIO()
        kept.writeto(stream)
    with pytest.raises(FormatterError, match=f"no '{missing}' extension"):
        read(stream.getvalue())
    with pytest.raises(FormatterError, match=f"no '{missing}' extension"):
        read(stream.getvalue(), None, missing.lower())


def test_planes_of_different_shapes_are_refused_when_built_and_when_written() -> None:
    image = np.zeros((4, 5), dtype="float32")
    with pytest.raises(StorageClassError, match="one shape"):
        Exposure(image, np.zeros((4, 6), dtype="int32"), image)
    whole = Exposure(image, np.zeros((4, 5), dtype="int32"), image.copy())
    whole.mask.shape = (5, 4)  # arrays can be reshaped in place after the check
    stream = io.BytesIO()
    with pytest.raises(StorageClassError, match="one shape"):
        FORMATTER.write(whole, stream, EXPOSURE)
    assert stream.getvalue() == b""


@pytest.mark.parametrize("planes", [
    {"mask": np.zeros((4, 5), dtype="float32")}, {"image": np.zeros((2, 4, 5))}, {"variance": [[1.0] * 5] * 4},
    {"image": np.zeros((0, 5)), "mask": np.zeros((0, 5), dtype="int8"), "variance": np.zeros((0, 5))},
    {"bbox": (0, 0, 4, 5)}, {"wcs": "RA---TAN"},
], ids=["float-mask", "3-d", "list", "empty", "bbox-transposed", "wcs-string"])
def test_an_inconsistent_exposure_cannot_be_built(planes: dict[str, Any]) -> None:
    base = {"image": np.zeros((4, 5), dtype="float32"), "mask": np.zeros((4, 5), dtype="int32"),
            "variance": np.zeros((4, 5), dtype="float32")}
    with pytest.raises(StorageClassError):
        Exposure(**{**base, **planes})


@pytest.mark.parametrize("metadata", [{"NAXIS1": 3}, {"naxis": 3}, {"EXTNAME": "X"}, {"RATIO": math.nan},
                                      {"NAME": "Ω"}, {"TRAIL": "spaces  "}, {"K": [1, 2]}, {"K=V": 1}, {3: "x"},
                                      {"K": 1 + 2j}, {"COMMENT": [1]}],
                         ids=["naxis1", "naxis-lower", "extname", "nan", "non-ascii", "trailing-spaces", "list",
                              "equals", "int-key", "complex", "comment-not-strings"])
def test_metadata_fits_cannot_hold_as_given_is_refused_and_nothing_is_written(metadata: dict[Any, Any]) -> None:
    stream = io.BytesIO()
    with pytest.raises(StorageClassError, match="metadata"):
        FORMATTER.write(exposure(metadata=metadata), stream, EXPOSURE)
    assert stream.getvalue() == b""


@pytest.mark.parametrize("wrong", [np.zeros((3, 3)), {"image": np.zeros((3, 3))}, [1, 2], "calexp"],
                         ids=["array", "dict", "list", "str"])
def test_an_object_that_is_not_an_exposure_is_refused_and_nothing_is_written(wrong: Any) -> None:
    stream = io.BytesIO()
    with pytest.raises(StorageClassError, match="not a 'Exposure' dataset"):
        FORMATTER.write(wrong, stream, EXPOSURE)
    assert stream.getvalue() == b""


def test_without_astropy_the_error_names_the_fits_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    data = written(exposure())
    for module in [name for name in sys.modules if name == "astropy" or name.startswith("astropy.")]:
        monkeypatch.setitem(sys.modules, module, None)  # what an environment without astropy looks like
    with pytest.raises(FormatterError, match=r"pip install 'databutler\[fits\]'"):
        read(data)
    with pytest.raises(FormatterError, match=r"pip install 'databutler\[fits\]'"):
        written(exposure(wcs=None))
