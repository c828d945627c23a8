"""Building a ChainedDatastore from a ``datastore:`` section listing its ``children``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...domain.errors import ConfigError
from ...ports.datastore import Datastore
from .datastore import ChainedDatastore, Child

OPTIONS = frozenset({"adapter", "children"})
CHILD_OPTIONS = frozenset({"name", "datastore", "read_only", "dataset_types", "storage_classes", "relative_uris"})


def child_sections(options: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``children`` entries of a chained section, checked (each has a ``datastore`` section)."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise ConfigError(f"chained datastore: unknown options {sorted(unknown)}; known: {sorted(OPTIONS)}")
    children = options.get("children")
    if not isinstance(children, Sequence) or isinstance(children, str) or not children:
        raise ConfigError("chained datastore: 'children' must be a non-empty list of "
                          "{name, datastore: {...}, read_only, dataset_types, storage_classes}")
    for number, child in enumerate(children):
        if not isinstance(child, Mapping) or not isinstance(child.get("datastore"), Mapping):
            raise ConfigError(f"chained datastore: child {number} needs a 'datastore' section")
        extra = set(child) - CHILD_OPTIONS
        if extra:
            raise ConfigError(f"chained datastore: child {number} has unknown options {sorted(extra)}; "
                              f"known: {sorted(CHILD_OPTIONS)}")
    return list(children)


def make_datastore(options: Mapping[str, Any], *, children: Sequence[Datastore]) -> ChainedDatastore:
    """A chain of the already built ``children``, in the order and with the constraints of ``options``."""
    sections = child_sections(options)
    chain = []
    for number, (section, datastore) in enumerate(zip(sections, children, strict=True)):
        read_only = section.get("read_only", False)
        if not isinstance(read_only, bool):
            raise ConfigError(f"chained datastore: child {number} 'read_only' must be true or false")
        relative_uris = section.get("relative_uris", False)
        if not isinstance(relative_uris, bool):
            raise ConfigError(f"chained datastore: child {number} 'relative_uris' must be true or false")
        chain.append(Child(str(section.get("name", f"child{number}")), datastore, read_only,
                           _names(section, "dataset_types", number), _names(section, "storage_classes", number),
                           relative_uris))
    return ChainedDatastore(chain)


def _names(section: Mapping[str, Any], key: str, number: int) -> frozenset[str] | None:
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"chained datastore: child {number} {key!r} must be a list of names")
    return frozenset(value)
