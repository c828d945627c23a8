"""The read-time conversions a repository knows without plug-ins: the builtin ones, then those of bundled formats.

Registering a conversion for a bundled StorageClass is one line in ``DEFAULT_CONVERSIONS``::

    Conversion("DataFrame", "ArrowTable", dataframe_to_arrow),   # the function imports pyarrow itself

(``Conversion(source, target, function)``; ``function`` takes the object read with StorageClass
``source`` and returns one that StorageClass ``target`` accepts.)
"""

import functools
from typing import Any

from ...domain.conversion import BUILTIN_CONVERSIONS, Conversion
from .table_convert import from_arrow, to_arrow

TABLES = ("ArrowTable", "DataFrame", "AstropyTable")
"""The three in-memory views of a Parquet table: each converts to the others (through Arrow)."""


def _table_view(source: str, target: str, obj: Any) -> Any:
    """``obj`` (a table of StorageClass ``source``) as StorageClass ``target``."""
    table = obj if source == "ArrowTable" else to_arrow(obj, source)
    return table if target == "ArrowTable" else from_arrow(table, target)


DEFAULT_CONVERSIONS: tuple[Conversion, ...] = (
    *BUILTIN_CONVERSIONS,
    *(Conversion(source, target, functools.partial(_table_view, source, target),
                 f"a {source} as a {target} (through Arrow; pyarrow imported when used)")
      for source in TABLES for target in TABLES if source != target),
)
"""Every conversion between bundled StorageClasses; plug-ins add theirs under ``databutler.converters``."""
