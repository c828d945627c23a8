"""Exposure: an image with its mask and variance planes, a WCS, a header and its box in the parent frame.

numpy (and astropy, for a WCS) are optional: they are imported when an Exposure is checked or cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ...domain.box import Box, box_shape, check_box, check_box_within
from ...domain.errors import FormatterError, StorageClassError
from ...domain.storage_class import StorageClass
from ...ports.assembler import Assembler
from .array_io import import_numpy
from .checks import type_name

PLANES = ("image", "mask", "variance")
"""The pixel planes of an Exposure, in the order they are stored."""
WCS_TOLERANCE = 1e-10
"""Two WCSs whose parameters differ by less than this are equal (a FITS header round trip moves the last digit)."""


def _metadata(value: Any) -> dict[str, Any]:
    return {} if value is None else value


def _whole_box(exposure: Exposure) -> Box:
    height, width = exposure.check_planes()
    return 0, 0, width, height


@attrs.frozen(eq=False)
class Exposure:
    """Image, mask and variance (2-D numpy arrays of one shape; the mask of integers), WCS, header and box.

    ``bbox`` is ``(x0, y0, x1, y1)`` in the parent frame, x1 and y1 exclusive (``domain.box``); it
    defaults to ``(0, 0, width, height)``. ``wcs`` maps this image's own array pixels (0-based,
    astropy's convention) to the sky, so a cut-out carries a WCS shifted to its corner.
    ``metadata`` holds the primary header's cards (keyword to value).
    """

    image: Any
    mask: Any
    variance: Any
    wcs: Any = None
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=_metadata)
    bbox: Box = attrs.field(default=attrs.Factory(_whole_box, takes_self=True))

    def __attrs_post_init__(self) -> None:
        self.check()

    def check_planes(self) -> tuple[int, int]:
        """The common shape of the three planes; StorageClassError if they are not 2-D arrays of one shape."""
        numpy = import_numpy()
        for name in PLANES:
            plane = getattr(self, name)
            if not isinstance(plane, numpy.ndarray) or plane.ndim != 2 or plane.dtype.kind not in "biuf":
                raise StorageClassError(f"the {name} of an Exposure must be a 2-D numpy array of numbers, got "
                                        f"{_describe(plane)}")
        if self.mask.dtype.kind not in "iu":
            raise StorageClassError(f"the mask of an Exposure must be an array of integers, got dtype "
                                    f"{self.mask.dtype}")
        shapes = {name: getattr(self, name).shape for name in PLANES}
        if len(set(shapes.values())) != 1:
            raise StorageClassError(f"the planes of an Exposure must have one shape, got {shapes}")
        if 0 in self.image.shape:
            raise StorageClassError(f"an Exposure needs at least one pixel; its planes have shape {self.image.shape}")
        return self.image.shape  # type: ignore[no-any-return]

    def check(self) -> None:
        """Raise StorageClassError unless planes, box, WCS and metadata fit together (checked again at put)."""
        shape = self.check_planes()
        box = check_box(self.bbox, "the bbox of an Exposure")
        if box_shape(box) != shape:
            raise StorageClassError(f"the bbox {box!r} of an Exposure is {box_shape(box)} (height, width) but its "
                                    f"planes have shape {shape}")
        if self.wcs is not None and type_name(self.wcs) != "astropy.wcs.wcs.WCS":
            raise StorageClassError(f"the wcs of an Exposure must be an astropy.wcs.WCS or None, got "
                                    f"{type_name(self.wcs)}")
        if not isinstance(self.metadata, dict):
            raise StorageClassError(f"the metadata of an Exposure must be a dict, got {type_name(self.metadata)}")

    @property
    def width(self) -> int:
        """Columns of the image."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Rows of the image."""
        return int(self.image.shape[0])

    def cutout(self, bbox: Box) -> Exposure:
        """The part inside ``bbox`` (parent frame), its planes views of these, with a shifted WCS."""
        x0, y0, x1, y1 = check_box_within(check_box(bbox), self.bbox)
        rows, columns = slice(y0 - self.bbox[1], y1 - self.bbox[1]), slice(x0 - self.bbox[0], x1 - self.bbox[0])
        return Exposure(self.image[rows, columns], self.mask[rows, columns], self.variance[rows, columns],
                        wcs=shifted_wcs(self.wcs, rows.start, columns.start), metadata=dict(self.metadata),
                        bbox=(x0, y0, x1, y1))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Exposure):
            return NotImplemented
        numpy = import_numpy()
        return (self.bbox == other.bbox and self.metadata == other.metadata
                and all(getattr(self, p).dtype == getattr(other, p).dtype
                        and numpy.array_equal(getattr(self, p), getattr(other, p), equal_nan=True) for p in PLANES)
                and same_wcs(self.wcs, other.wcs))

    __hash__ = None  # type: ignore[assignment]  # mutable arrays: equal Exposures need not hash alike

    def __repr__(self) -> str:
        return (f"Exposure(bbox={self.bbox!r}, image={self.image.dtype}, mask={self.mask.dtype}, "
                f"variance={self.variance.dtype}, wcs={'yes' if self.wcs is not None else 'none'}, "
                f"metadata={len(self.metadata)} cards)")


class ExposureAssembler(Assembler):
    """Exposures in parts: the three planes (``.npy``), ``wcs`` (FITS header text), ``metadata`` and ``bbox`` (JSON).

    An Exposure without a WCS has no ``wcs`` part (a read of that component gives None). The
    ``bbox`` read parameter is in the parent frame, which only the ``bbox`` part knows: the
    assembler applies it itself, cutting the assembled Exposure (planes read whole, WCS shifted)
    as the FITS formatter would have read it.
    """

    def disassemble(self, obj: Any, storage_class: StorageClass) -> dict[str, Any]:
        """The planes, metadata, bbox (a tuple of ints) and, if there is one, the WCS of Exposure ``obj``."""
        if not isinstance(obj, Exposure):
            raise StorageClassError(f"a {storage_class.name} dataset in parts must be an Exposure, got "
                                    f"{type_name(obj)}")
        obj.check()
        parts = {plane: getattr(obj, plane) for plane in PLANES}
        parts.update(metadata=obj.metadata, bbox=check_box(obj.bbox))
        if obj.wcs is not None:
            parts["wcs"] = obj.wcs
        return parts

    def assemble(self, components: Mapping[str, Any], storage_class: StorageClass) -> Any:
        """The Exposure of ``components`` (FormatterError if parts are missing or do not fit together)."""
        missing = sorted({*PLANES, "metadata", "bbox"} - set(components))
        if missing:
            raise FormatterError(f"an Exposure stored in parts lacks the parts {missing}")
        try:
            return Exposure(components["image"], components["mask"], components["variance"],
                            wcs=components.get("wcs"), metadata=components["metadata"], bbox=components["bbox"])
        except StorageClassError as err:
            raise FormatterError(f"the parts of an Exposure do not fit together: {err}") from None

    def own_parameters(self, storage_class: StorageClass) -> frozenset[str]:
        """``bbox``: applied to the assembled Exposure (``Exposure.cutout``)."""
        return frozenset({"bbox"})

    def optional_components(self, storage_class: StorageClass) -> Mapping[str, Any]:
        """``wcs``: an Exposure without one has no ``wcs`` part, and its ``wcs`` is None."""
        return {"wcs": None}


def shifted_wcs(wcs: Any, row: int, column: int) -> Any:
    """``wcs`` for an image whose pixel (0, 0) is pixel (``column``, ``row``) of the image ``wcs`` describes."""
    if wcs is None:
        return None
    if not row and not column:
        return wcs.deepcopy()
    return wcs.slice((slice(row, None), slice(column, None)))  # numpy order; shifts CRPIX (and SIP's) alike


def same_wcs(a: Any, b: Any) -> bool:
    """Whether two WCSs (or Nones) are equal within ``WCS_TOLERANCE``, once each has derived its defaults.

    A WCS built in memory has blank units and a CD matrix until ``wcs.set()``; one read from a
    header has them filled in: copies of both are ``set`` so that the two compare alike.
    """
    if a is None or b is None:
        return a is b
    a, b = a.deepcopy(), b.deepcopy()
    a.wcs.set()
    b.wcs.set()
    return bool(a.wcs.compare(b.wcs, tolerance=WCS_TOLERANCE))


def _describe(value: Any) -> str:
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    return f"a {type_name(value)} of shape {shape} and dtype {dtype}" if shape is not None else f"a {type_name(value)}"
