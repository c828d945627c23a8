"""Where databutler's names differ from the reference system's, and how each maps to the other.

Every difference the export files meet is listed here, once, so a reader sees them all:

- **Storage classes.** databutler's ``StructuredData`` (a dict or a list) is written as the
  reference's ``StructuredDataDict``; ``Integer`` as ``int``. Reference classes databutler stores
  the same way come in under databutler's name (``ExposureF`` and ``ExposureI`` as ``Exposure``,
  ``int`` as ``Integer``). Any other name passes unchanged; the registry refuses one it lacks.
  A dataset type whose name was mapped on export also carries ``databutler_storage_class`` (an
  extra key the reference ignores), so databutler reads its own files back exactly.
- **Formatters.** databutler records short formatter names (``json``); the reference records a
  class path its importer imports. Only formatters the reference ships are written under its
  name; for any other the ``formatter`` key is left out (the reference then chooses by storage
  class) and databutler's own name goes in ``databutler_formatter``.
- **Collection kinds** have the same names (RUN, TAGGED, CALIBRATION, CHAINED). A CALIBRATION
  collection's certifications are ``associations`` entries with ``validity_ranges``: each a
  ``!lsst.daf.butler.Timespan`` of two TAI times (null: unbounded) and its dataset ids.
- **Timespans.** A databutler ``timespan`` field (UTC) is the reference's pair of fields
  ``datetime_begin`` / ``datetime_end``, written as TAI times (see ``times``).
- **Binary fields.** The reference's skymap ``hash`` is bytes; databutler keeps it as hex text.
- **Regions** are sphgeom Regions in both systems; files carry the hex of their binary encoding
  under the sphgeom class's tag (``!<lsst.sphgeom.ConvexPolygon> {encoded: 70...}``).
"""

from __future__ import annotations

from ...domain.region import REGION_KINDS

REFERENCE_STORAGE_CLASS = {"StructuredData": "StructuredDataDict", "Integer": "int"}
"""databutler storage class -> the reference's name, where they differ."""

DATABUTLER_STORAGE_CLASS = {"ExposureF": "Exposure", "ExposureI": "Exposure", "int": "Integer"}
"""Reference storage class -> databutler's name, where databutler stores it under another name."""

REFERENCE_FORMATTER = {
    "json": "lsst.daf.butler.formatters.json.JsonFormatter",
    "yaml": "lsst.daf.butler.formatters.yaml.YamlFormatter",
    "pickle": "lsst.daf.butler.formatters.pickle.PickleFormatter",
    "parquet": "lsst.daf.butler.formatters.parquet.ParquetFormatter",
}
"""databutler formatter name -> the reference formatter class reading the same bytes."""

DATABUTLER_FORMATTER = {reference: ours for ours, reference in REFERENCE_FORMATTER.items()}
"""Reference formatter class -> databutler formatter name (the rest: chosen by file extension)."""

BINARY_FIELDS = frozenset({("skymap", "hash")})
"""(element, field) pairs the reference holds as bytes and databutler as hex text."""

TIMESPAN_FIELD = "timespan"
TIMESPAN_BEGIN = "datetime_begin"
TIMESPAN_END = "datetime_end"
"""A databutler record's ``timespan`` is split into these two reference fields."""

REGION_TAGS = REGION_KINDS
"""First byte of the reference's binary region encoding -> its region class (the YAML tag)."""


def reference_storage_class(name: str) -> str:
    """The reference's name of databutler storage class ``name``."""
    return REFERENCE_STORAGE_CLASS.get(name, name)


def databutler_storage_class(name: str) -> str:
    """databutler's name of reference storage class ``name``."""
    return DATABUTLER_STORAGE_CLASS.get(name, name)
