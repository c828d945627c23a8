"""Spherical regions (the ``region`` field type): sphgeom geometry, validated and in the reference's encoding.

A region is an ``lsst.sphgeom.Region`` (ConvexPolygon, Circle, Box, Ellipse, UnionRegion,
IntersectionRegion); it is stored and exchanged as the bytes of sphgeom's ``encode()``, which is
the reference system's own binary form, so its export files and databases read as they are.

sphgeom is the domain's one geometry dependency: it is a pure value library (no I/O) and the
only one that reads the reference's encoding, pixelizes with HTM, HEALPix and Q3C, and decides
polygon relations exactly.
"""

from __future__ import annotations

import math
from typing import Any

from lsst import sphgeom

from .errors import DataIdError

Region = sphgeom.Region
"""The type of a region value."""

REGION_KINDS = {0x70: "ConvexPolygon", 0x63: "Circle", 0x65: "Ellipse", 0x62: "Box",
                0x75: "UnionRegion", 0x69: "IntersectionRegion"}
"""First byte of the encoding -> the sphgeom class (its YAML tag in the reference's export files)."""

MAX_ENCODED_BYTES = 1 << 20
"""The longest encoding accepted: a region of a million bytes is a mistake, not a footprint."""


def decode_region(data: bytes | bytearray | memoryview, what: str) -> Region:
    """The region encoded in ``data`` (the reference's binary form); DataIdError naming ``what`` if it is not one."""
    raw = bytes(data)
    if not raw:
        raise DataIdError(f"{what}: an empty byte string is not an encoded region")
    if len(raw) > MAX_ENCODED_BYTES:
        raise DataIdError(f"{what}: an encoded region of {len(raw)} bytes is longer than {MAX_ENCODED_BYTES}")
    if raw[0] not in REGION_KINDS:
        raise DataIdError(f"{what}: the bytes are not an encoded sphgeom region (first byte {raw[0]:#04x} is not "
                          f"one of {', '.join(f'{k:#04x} {v}' for k, v in REGION_KINDS.items())})")
    try:
        region = sphgeom.Region.decode(raw)
    except Exception as err:  # sphgeom raises RuntimeError/ValueError/IndexError on malformed bytes
        raise DataIdError(f"{what}: the bytes are not a valid encoded {REGION_KINDS[raw[0]]} ({err})") from None
    return check_region(region, what)


def _finite_vertices(region: Region) -> bool:
    if isinstance(region, sphgeom.ConvexPolygon):
        return all(math.isfinite(c) for v in region.getVertices() for c in (v.x(), v.y(), v.z()))
    if isinstance(region, sphgeom.Circle):
        center = region.getCenter()
        return all(math.isfinite(c) for c in (center.x(), center.y(), center.z(),
                                               region.getOpeningAngle().asRadians()))
    if isinstance(region, sphgeom.CompoundRegion):
        return all(_finite_vertices(region.cloneOperand(i)) for i in range(region.nOperands()))
    return True


def check_region(region: Any, what: str) -> Region:
    """``region`` if it is a usable sphgeom region (non-empty, finite, encodable); else DataIdError naming ``what``."""
    if not isinstance(region, sphgeom.Region):
        raise DataIdError(f"{what}: expected an lsst.sphgeom Region or its encoded bytes, got "
                          f"{type(region).__name__}")
    if not _finite_vertices(region):
        raise DataIdError(f"{what}: the {type(region).__name__} has coordinates that are not finite numbers")
    try:
        # A ConvexPolygon's vertices are checked when it is built (its isEmpty() is not a test of area).
        empty = isinstance(region, sphgeom.Box | sphgeom.Circle | sphgeom.Ellipse) and region.isEmpty()
        region.encode()
    except Exception as err:
        raise DataIdError(f"{what}: the {type(region).__name__} cannot be used ({err})") from None
    if empty:
        raise DataIdError(f"{what}: the {type(region).__name__} is empty (it covers no sky); give a region with area "
                          "or leave the field None")
    return region


def coerce_region(value: Any, what: str) -> Region:
    """A region from a sphgeom Region or its encoded bytes; DataIdError naming ``what`` for anything else."""
    if isinstance(value, bytes | bytearray | memoryview):
        return decode_region(value, what)
    if isinstance(value, str):
        raise DataIdError(f"{what}: a region is an lsst.sphgeom Region or its encoded bytes, not a string "
                          f"(for hex text use bytes.fromhex)")
    return check_region(value, what)


def encode_region(region: Region) -> bytes:
    """The reference's binary encoding of ``region``."""
    return bytes(region.encode())


def same_value(a: Any, b: Any) -> bool:
    """Whether two field values are equal; regions compared by encoding (sphgeom's == misses compound regions)."""
    if isinstance(a, sphgeom.Region) and isinstance(b, sphgeom.Region):
        return encode_region(a) == encode_region(b)
    return bool(a == b)
