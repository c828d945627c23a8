"""Building a MemoryDatastore from the ``datastore:`` section of butler.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError
from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.formatter import FormatterSet
from .datastore import MemoryDatastore

OPTIONS = frozenset({"adapter", "template"})


def make_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                   create: bool, writeable: bool) -> MemoryDatastore:
    """A fresh, empty MemoryDatastore (formatters are unused: objects are kept, not serialized)."""
    unknown = set(options) - OPTIONS
    if unknown:  # a typo such as "chekcsum" must not be silently ignored
        raise ConfigError(f"memory datastore: unknown options {sorted(unknown)}; known: {sorted(OPTIONS)}")
    templates = FileTemplates.from_config(options.get("template"))
    return MemoryDatastore(storage_classes=storage_classes, templates=templates, writeable=writeable)
