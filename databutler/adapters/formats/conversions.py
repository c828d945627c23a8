"""The read-time conversions a repository knows without plug-ins: the builtin ones, then those of bundled formats.

Registering a conversion for a bundled StorageClass is one line in ``DEFAULT_CONVERSIONS``::

    Conversion("DataFrame", "ArrowTable", dataframe_to_arrow),   # the function imports pyarrow itself

(``Conversion(source, target, function)``; ``function`` takes the object read with StorageClass
``source`` and returns one that StorageClass ``target`` accepts.)
"""

from ...domain.conversion import BUILTIN_CONVERSIONS, Conversion

DEFAULT_CONVERSIONS: tuple[Conversion, ...] = (
    *BUILTIN_CONVERSIONS,
)
"""Every conversion between bundled StorageClasses; plug-ins add theirs under ``databutler.converters``."""
