"""Building a MemoryDatastore from the ``datastore:`` section of butler.yaml."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.formatter import FormatterSet
from .datastore import MemoryDatastore

log = logging.getLogger(__name__)
OPTIONS = frozenset({"adapter", "template"})


def make_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                   create: bool, writeable: bool) -> MemoryDatastore:
    """A fresh, empty MemoryDatastore (formatters are unused: objects are kept, not serialized)."""
    unknown = set(options) - OPTIONS
    if unknown:  # warned, not refused: a section may carry keys meant for other tools
        log.warning("memory datastore: ignoring unknown options %s; known: %s", sorted(unknown), sorted(OPTIONS))
    templates = FileTemplates.from_config(options.get("template"))
    return MemoryDatastore(storage_classes=storage_classes, templates=templates, writeable=writeable)
