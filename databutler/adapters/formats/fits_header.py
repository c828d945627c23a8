"""FITS headers of an Exposure: metadata cards in the primary header; WCS and box cards on each plane.

The metadata is the primary header's cards, keyword to value, in order; ``COMMENT`` and ``HISTORY``
are lists of strings. A keyword that is not a standard one (8 characters of ``A-Z0-9_-``) is
written as a ``HIERARCH`` card, which keeps its case. Metadata that would not read back equal
(a NaN, a non-ASCII string, a structural keyword such as ``NAXIS``) is refused before anything
is written.

The WCS goes into the header of every plane (IMAGE, MASK, VARIANCE), where viewers look for it,
not into the primary header: there its cards (``DATE-OBS``, ``RADESYS``, ``EQUINOX``...) could not
be told apart from metadata cards of the same names. The box's corner is the IRAF ``LTV1``,
``LTV2`` offsets (``LTV1 = -x0``); its size is the plane's ``NAXIS1`` and ``NAXIS2``.
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from ...domain.box import Box
from ...domain.errors import FormatterError, StorageClassError
from .checks import type_name

STRUCTURAL = frozenset({"SIMPLE", "BITPIX", "NAXIS", "EXTEND", "XTENSION", "PCOUNT", "GCOUNT", "EXTNAME",
                        "BZERO", "BSCALE", "BLANK", "END", "CHECKSUM", "DATASUM", "ZIMAGE", "INHERIT"})
"""Keywords the FITS writer owns; metadata may not set them."""
_STRUCTURAL_PATTERN = re.compile(r"NAXIS\d+\Z")
_STANDARD_KEYWORD = re.compile(r"[A-Z0-9_-]{1,8}\Z")
_LIST_KEYWORDS = ("COMMENT", "HISTORY")


def import_fits() -> Any:
    """The ``astropy.io.fits`` module, or FormatterError saying how to install it."""
    try:
        from astropy.io import fits
    except ImportError:
        raise FormatterError("reading or writing FITS exposures needs astropy, which is not installed; "
                             "install it with `pip install 'databutler[fits]'`") from None
    return fits


def import_wcs() -> Any:
    """The ``astropy.wcs`` module, or FormatterError saying how to install it."""
    import_fits()
    from astropy import wcs

    return wcs


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence astropy's warnings (HIERARCH cards, WCS fixes): what matters is checked or raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def metadata_header(metadata: Mapping[str, Any]) -> Any:
    """The primary header holding ``metadata``; StorageClassError if some of it would not read back equal."""
    fits = import_fits()
    header = fits.Header()
    for key, value in metadata.items():
        _check_keyword(key)
        if key.upper() in _LIST_KEYWORDS:
            for line in _lines(key, value):
                header.append((key.upper(), line), end=True)
            continue
        _check_value(key, value)
        keyword = key if _STANDARD_KEYWORD.match(key) else f"HIERARCH {key}"
        try:
            with quiet():
                header.append(fits.Card(keyword, value), end=True)
        except (ValueError, TypeError, fits.VerifyError) as err:
            raise StorageClassError(f"metadata {key!r} = {value!r} cannot be a FITS header card: {err}") from None
    with quiet():
        try:
            again = header_metadata(fits.Header.fromstring(header.tostring()))
        except (ValueError, TypeError, fits.VerifyError) as err:
            raise StorageClassError(f"the metadata cannot be a FITS header: {err}") from None
    for key, value in metadata.items():
        if key not in again or again[key] != _as_read(key, value):
            read_back = repr(again[key]) if key in again else "nothing"
            raise StorageClassError(f"metadata {key!r} = {value!r} would read back from FITS as {read_back}; "
                                    "give a value that FITS holds as it is")
    return header


def header_metadata(header: Any) -> dict[str, Any]:
    """The metadata of a primary header: its cards but the structural ones."""
    fits = import_fits()
    metadata: dict[str, Any] = {}
    for card in header.cards:
        keyword = card.keyword
        if not keyword or keyword in STRUCTURAL or _STRUCTURAL_PATTERN.match(keyword):
            continue
        if keyword in _LIST_KEYWORDS:
            metadata.setdefault(keyword, []).append(str(card.value))
            continue
        value = card.value
        metadata[keyword] = None if isinstance(value, fits.card.Undefined) else value
    return metadata


def plane_header(wcs: Any, bbox: Box) -> Any:
    """The header cards of each plane: the WCS's and the box corner's (``LTV1``, ``LTV2``)."""
    fits = import_fits()
    if wcs is None:
        header = fits.Header()
    else:
        try:
            with quiet():
                header = wcs.to_header(relax=True)
        except (ValueError, TypeError) as err:
            raise StorageClassError(f"the WCS of the Exposure cannot be written as FITS header cards: {err}") from None
    header["LTV1"] = (-bbox[0], "minus x0 of the image in the parent frame")
    header["LTV2"] = (-bbox[1], "minus y0 of the image in the parent frame")
    return header


def header_box(header: Any, name: str) -> Box:
    """The box of a plane from its header (``NAXIS1``, ``NAXIS2``, ``LTV1``, ``LTV2``)."""
    try:
        if header.get("NAXIS") != 2:
            raise ValueError(f"it has {header.get('NAXIS')} axes, not 2")
        width, height = int(header["NAXIS1"]), int(header["NAXIS2"])
        ltv1, ltv2 = header.get("LTV1", 0), header.get("LTV2", 0)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (ltv1, ltv2)):
            raise ValueError(f"LTV1, LTV2 = {ltv1!r}, {ltv2!r} are not integers")
    except (KeyError, ValueError, TypeError) as err:
        raise FormatterError(f"malformed FITS exposure: the {name} extension is not a 2-D image: {err}") from None
    return -ltv1, -ltv2, -ltv1 + width, -ltv2 + height


def header_wcs(header: Any) -> Any:
    """The WCS of a plane's header, or None if it has none."""
    if "WCSAXES" not in header and "CTYPE1" not in header:
        return None
    wcs = import_wcs()
    try:
        with quiet():
            return wcs.WCS(header)
    except (ValueError, TypeError, KeyError, MemoryError, wcs.WcsError) as err:
        raise FormatterError(f"malformed FITS exposure: its WCS cannot be read: {err}") from None


def _check_keyword(key: Any) -> None:
    if not isinstance(key, str) or not key or not key.isascii() or not key.isprintable() or "=" in key \
            or key != key.strip() or len(key) > 60:
        raise StorageClassError(f"metadata key {key!r} cannot be a FITS keyword: use printable ASCII without "
                                "'=', at most 60 characters")
    upper = key.upper()
    if upper in STRUCTURAL or _STRUCTURAL_PATTERN.match(upper):
        raise StorageClassError(f"metadata key {key!r} is a structural FITS keyword that the formatter writes "
                                "itself; rename it")


def _check_value(key: str, value: Any) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float) and math.isfinite(value):
        return
    raise StorageClassError(f"metadata {key!r} = {value!r} ({type_name(value)}) cannot be a FITS header value: "
                            "use a string, a bool, an int, a finite float or None")


def _lines(key: str, value: Any) -> list[str]:
    lines = [value] if isinstance(value, str) else value
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise StorageClassError(f"metadata {key!r} must be a string or a list of strings, got {value!r}")
    return lines


def _as_read(key: str, value: Any) -> Any:
    """What ``header_metadata`` returns for ``value`` written under ``key``."""
    return ([value] if isinstance(value, str) else value) if key.upper() in _LIST_KEYWORDS else value
