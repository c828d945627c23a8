"""Exposures as multi-extension FITS files, read in parts: one plane, only the headers, or a sub-image.

The file is a primary HDU holding the metadata cards (no data) and three uncompressed image
extensions, ``IMAGE``, ``MASK`` and ``VARIANCE`` (``EXTNAME``), each with the WCS and the box
cards (``fits_header``). Uncompressed planes can be read by sections: the ``bbox`` parameter
reads only the rows of the box, and only their columns, through ``hdu.section``, from the
seekable stream the datastore gives (ranged reads on an object store). A component reads its
own extension (``image``...) or only headers (``metadata``, ``wcs``, ``bbox``). astropy is
optional: without it the error says ``pip install 'databutler[fits]'``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import IO, Any

from ...domain.box import Box, check_box, check_box_within
from ...domain.errors import DataButlerError, FormatterError, StorageClassError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import check_storage_class, check_writable
from .exposure import PLANES, Exposure, shifted_wcs
from .fits_header import header_box, header_metadata, header_wcs, import_fits, metadata_header, plane_header, quiet

EXTENSIONS = {plane: plane.upper() for plane in PLANES}
"""The EXTNAME of each plane."""
_HEADER_COMPONENTS = frozenset({"metadata", "wcs", "bbox"})


class FitsExposureFormatter(Formatter):
    """Exposures as multi-extension FITS: metadata in the primary header, IMAGE, MASK, VARIANCE extensions."""

    name = "fits"
    extension = ".fits"
    storage_classes = frozenset({"Exposure"})
    partial_read = True

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write Exposure ``obj`` to ``stream``; everything is checked before the first byte is written."""
        check_writable(self, obj, storage_class)
        obj.check()
        fits = import_fits()
        planes_header = plane_header(obj.wcs, obj.bbox)
        hdus = fits.HDUList([fits.PrimaryHDU(header=metadata_header(obj.metadata))])
        for plane, extname in EXTENSIONS.items():
            hdus.append(fits.ImageHDU(getattr(obj, plane), header=planes_header.copy(), name=extname))
        try:
            with quiet():
                hdus.writeto(_Appender(stream), output_verify="exception")
        except (ValueError, TypeError, fits.VerifyError) as err:
            raise FormatterError(f"cannot write the Exposure as FITS: {err}") from None

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Read the whole Exposure from ``stream``."""
        return self.read(stream, storage_class)

    def read(self, stream: IO[bytes], storage_class: StorageClass,
             parameters: Mapping[str, Any] | None = None, component: str | None = None) -> Any:
        """Read the Exposure, a sub-image of it (``bbox``) or one component, reading only the bytes needed."""
        check_storage_class(self, storage_class)
        storage_class.check_parameters(parameters)
        if component is not None:
            storage_class.component(component)
        box = check_box(parameters["bbox"]) if parameters and "bbox" in parameters else None
        with _opened(stream) as hdus:
            if component == "metadata":
                return header_metadata(hdus[0].header)
            image_header = _extension(hdus, EXTENSIONS["image"]).header
            full = header_box(image_header, EXTENSIONS["image"])
            box = full if box is None else check_box_within(box, full)
            if component == "bbox":
                return box
            if component == "wcs":
                return _wcs(image_header, box, full)
            if component is not None:
                return _plane(hdus, component, box, full)
            planes = {plane: _plane(hdus, plane, box, full) for plane in PLANES}
            metadata = header_metadata(hdus[0].header)
            try:
                return Exposure(**planes, wcs=_wcs(image_header, box, full), metadata=metadata, bbox=box)
            except StorageClassError as err:
                raise FormatterError(f"malformed FITS exposure: {err}") from None


@contextlib.contextmanager
def _opened(stream: IO[bytes]) -> Iterator[Any]:
    """The HDUs of ``stream``, opened lazily (headers read as needed, data only on demand).

    astropy's errors inside the block become FormatterError; databutler's own pass through.
    """
    fits = import_fits()
    try:
        with quiet(), fits.open(stream, mode="readonly", lazy_load_hdus=True, memmap=False,
                                 cache=False) as hdus:
            yield hdus
    except DataButlerError:
        raise
    except (OSError, ValueError, TypeError, IndexError, KeyError, EOFError, AttributeError, fits.VerifyError) as err:
        raise FormatterError(f"malformed FITS exposure: {err}") from None


def _extension(hdus: Any, extname: str) -> Any:
    """The extension called ``extname``; FormatterError naming it if the file has none."""
    try:
        return hdus[extname]
    except KeyError:
        raise FormatterError(f"malformed FITS exposure: it has no {extname!r} extension (an Exposure file has "
                             f"{', '.join(EXTENSIONS.values())})") from None


def _plane(hdus: Any, plane: str, box: Box, full: Box) -> Any:
    """The pixels of ``plane`` inside ``box``: the whole data, or a section read of the box's rows and columns."""
    hdu = _extension(hdus, EXTENSIONS[plane])
    if header_box(hdu.header, EXTENSIONS[plane]) != full:
        raise FormatterError(f"malformed FITS exposure: the {EXTENSIONS[plane]} extension's box "
                             f"{header_box(hdu.header, EXTENSIONS[plane])} differs from the IMAGE's {full}")
    if box == full:
        data = hdu.data
    else:
        x0, y0, x1, y1 = box
        data = hdu.section[y0 - full[1]:y1 - full[1], x0 - full[0]:x1 - full[0]]
    if data is None or data.ndim != 2:
        raise FormatterError(f"malformed FITS exposure: the {EXTENSIONS[plane]} extension holds no 2-D image")
    return _native(data)


def _wcs(header: Any, box: Box, full: Box) -> Any:
    return shifted_wcs(header_wcs(header), box[1] - full[1], box[0] - full[0])


class _Appender:
    """A write-only view of ``stream`` that knows its position, which astropy asks for while writing.

    The datastore's stream may hash what passes through and cannot tell; FITS is written front to back.
    """

    mode = "wb"

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._position = 0

    def write(self, data: Any) -> int:
        """Write ``data``; return its length."""
        self._stream.write(data)
        self._position += memoryview(data).nbytes
        return memoryview(data).nbytes

    def tell(self) -> int:
        """Bytes written so far."""
        return self._position

    def flush(self) -> None:
        """Flush the stream."""
        self._stream.flush()


def _native(array: Any) -> Any:
    """``array`` in the machine's byte order (FITS is big-endian), swapped in place when it can be."""
    if array.dtype.isnative:
        return array
    native = array.dtype.newbyteorder("=")
    if array.flags.writeable:  # astropy read it into a buffer of its own, which no one else sees
        return array.byteswap(inplace=True).view(native)
    return array.astype(native)
