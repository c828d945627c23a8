"""The RepositoryLoader port: how the service layer opens and creates repositories by path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from ..domain.conversion import ConverterRegistry
from ..domain.storage_class import StorageClassRegistry
from .datastore import Datastore
from .registry import Registry


@attrs.frozen
class Repository:
    """The adapters that make up one opened repository."""

    root: str
    registry: Registry
    datastore: Datastore
    storage_classes: StorageClassRegistry
    config: Mapping[str, Any]
    converters: ConverterRegistry = attrs.field(factory=ConverterRegistry)
    """The read-time conversions between StorageClasses (``Butler.get(..., storage_class=...)``)."""


class RepositoryLoader(Protocol):
    """Creates and opens repositories from configuration (implemented by ``databutler.config``)."""

    def create(self, root: str, config: str | Mapping[str, Any] | None = None) -> Repository:
        """Create a new repository at ``root`` and return it opened."""

    def open(self, root: str, *, writeable: bool = True) -> Repository:
        """Open the existing repository at ``root``."""
