"""The top-level ``formatters:`` section of butler.yaml: which formatter a StorageClass or a DatasetType uses.

```yaml
formatters:
  storage_classes: {StructuredDataDict: yaml}    # every dataset of this StorageClass
  dataset_types: {calexp_summary: yaml}          # only this DatasetType (most specific: wins)
```

Precedence, most specific first: ``formatters: dataset_types:`` here, then a datastore's own
``formatters:`` option (StorageClass -> formatter, for that datastore only), then
``formatters: storage_classes:`` here, then the bundled default, then the one plug-in formatter
that writes the StorageClass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..adapters.formats import default_formatter_set
from ..domain.errors import ConfigError
from ..domain.storage_class import StorageClassRegistry
from ..domain.suggestions import hint
from ..ports.formatter import FormatterSet
from .format_plugins import PluginFormatters

SECTIONS = frozenset({"storage_classes", "dataset_types"})


def _names_to_formatters(spec: Any, where: str) -> dict[str, str]:
    if spec is None:
        return {}
    if not isinstance(spec, Mapping) or not all(isinstance(k, str) and k and isinstance(v, str) and v
                                                for k, v in spec.items()):
        raise ConfigError(f"{where} must map names to formatter names, got {spec!r}")
    return dict(spec)


def build_formatters(spec: Any, storage_classes: StorageClassRegistry) -> FormatterSet:
    """The bundled formatters, plug-ins imported when needed, with the choices of the ``formatters:`` section."""
    formatters = default_formatter_set().with_plugins(PluginFormatters())
    if spec is None or spec == {}:
        return formatters
    if not isinstance(spec, Mapping):
        raise ConfigError(f"'formatters' must be a mapping with 'storage_classes' and/or 'dataset_types', "
                          f"got {spec!r}")
    unknown = set(spec) - SECTIONS
    if unknown:
        raise ConfigError(f"'formatters' has unknown keys {sorted(unknown)}; known: {sorted(SECTIONS)}")
    by_storage_class = _names_to_formatters(spec.get("storage_classes"), "'formatters: storage_classes'")
    for name in by_storage_class:
        if name not in storage_classes:
            known = storage_classes.names()
            raise ConfigError(f"'formatters: storage_classes' names storage class {name!r}, which is not known; "
                              f"{hint(name, known, otherwise=f'known storage classes are {list(known)}')}")
    by_dataset_type = _names_to_formatters(spec.get("dataset_types"), "'formatters: dataset_types'")
    return formatters.with_defaults(by_storage_class).with_dataset_types(by_dataset_type)
