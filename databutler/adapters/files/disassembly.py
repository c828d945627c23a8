"""The ``disassemble`` option of file datastores: which composites are written one file per component.

Layout: the part holding component ``c`` of a Dataset whose whole file would be ``<template>.<ext>``
is ``<template>.<c><ext of c's default formatter>``: ``run/calexp/Cam1_1_2.array.npy`` and
``run/calexp/Cam1_1_2.metadata.json`` for an ArrayWithMetadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ...domain.errors import ConfigError
from ...domain.storage_class import StorageClass, StorageClassRegistry
from ...ports.assembler import Assembler, AssemblerSet


@attrs.frozen
class Disassembly:
    """Which composites a datastore writes in parts: all that have an assembler, or only those named."""

    enabled: bool = False
    storage_classes: frozenset[str] | None = None
    """The StorageClass names to disassemble (None: every composite with an assembler)."""

    def assembler(self, storage_class: StorageClass, assemblers: AssemblerSet) -> Assembler | None:
        """The assembler to write ``storage_class`` in parts with, or None to write it whole."""
        if not self.enabled or not storage_class.components:
            return None
        if self.storage_classes is not None and storage_class.name not in self.storage_classes:
            return None
        return assemblers.for_storage_class(storage_class.name)


def disassemble_option(options: Mapping[str, Any], adapter: str, storage_classes: StorageClassRegistry | None = None,
                       assemblers: AssemblerSet | None = None) -> Disassembly:
    """``disassemble``: false (default), true (every composite with an assembler) or a list of StorageClass names.

    A listed name must be a known composite StorageClass with an assembler (when ``storage_classes``
    and ``assemblers`` are given to check against).
    """
    value = options.get("disassemble", False)
    if isinstance(value, bool):
        return Disassembly(value)
    if not isinstance(value, list | tuple) or not all(isinstance(name, str) for name in value):
        raise ConfigError(f"{adapter} datastore: 'disassemble' must be true, false or a list of storage class "
                          f"names, got {value!r}")
    names = frozenset(value)
    for name in sorted(names):
        if storage_classes is not None and name not in storage_classes:
            raise ConfigError(f"{adapter} datastore: 'disassemble' names storage class {name!r}, which is not "
                              f"known; known: {list(storage_classes.names())}")
        if storage_classes is not None and not storage_classes[name].components:
            raise ConfigError(f"{adapter} datastore: 'disassemble' names storage class {name!r}, which has no "
                              "components")
        if assemblers is not None and assemblers.for_storage_class(name) is None:
            raise ConfigError(f"{adapter} datastore: 'disassemble' names storage class {name!r}, which has no "
                              f"assembler; those with one: {list(assemblers.names())}")
    return Disassembly(bool(names), names)
