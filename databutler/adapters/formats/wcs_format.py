"""astropy WCSs (the ``Wcs`` StorageClass, an Exposure's ``wcs`` part) as FITS header text.

The file is the WCS's header cards, 80 ASCII characters each (``wcs.to_header_string(relax=True)``,
SIP distortion included), read back with ``WCS(header)``. astropy is optional: without it the
error says ``pip install 'databutler[fits]'``.
"""

from __future__ import annotations

from typing import IO, Any

from ...domain.errors import FormatterError, StorageClassError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import check_storage_class, check_writable
from .fits_header import import_fits, import_wcs, quiet

CARD = 80
"""Characters of one FITS header card."""


class WcsHeaderFormatter(Formatter):
    """An astropy WCS as the text of its FITS header cards (``.hdr``)."""

    name = "wcs-header"
    extension = ".hdr"
    storage_classes = frozenset({"Wcs"})

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write WCS ``obj`` to ``stream`` as FITS header cards."""
        check_writable(self, obj, storage_class)
        import_fits()
        try:
            with quiet():
                text = obj.to_header_string(relax=True)
        except (ValueError, TypeError) as err:
            raise StorageClassError(f"the WCS cannot be written as FITS header cards: {err}") from None
        stream.write(text.encode("ascii"))

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Read a WCS from ``stream``."""
        check_storage_class(self, storage_class)
        fits, wcs = import_fits(), import_wcs()
        data = stream.read()
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise FormatterError("malformed WCS header file: it is not ASCII text") from None
        if not text or len(text) % CARD or not text.isprintable():
            raise FormatterError(f"malformed WCS header file: {len(text)} characters are not whole "
                                 f"{CARD}-character FITS cards")
        try:
            with quiet():
                header = fits.Header.fromstring(text)
                if "WCSAXES" not in header and "CTYPE1" not in header:
                    raise ValueError("it has neither WCSAXES nor CTYPE1 cards")
                return wcs.WCS(header)
        except (ValueError, TypeError, KeyError, IndexError, MemoryError, fits.VerifyError, wcs.WcsError) as err:
            raise FormatterError(f"malformed WCS header file: {err}") from None
