"""Building a CachingDatastore from a ``datastore:`` section whose ``child`` section is the remote."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError
from ...domain.storage_class import StorageClassRegistry
from ...ports.datastore import Datastore
from ...ports.formatter import FormatterSet
from .datastore import CachingDatastore
from .store import LocalCache

OPTIONS = frozenset({"adapter", "child", "directory", "max_bytes", "max_files", "claim_timeout"})


def make_datastore(options: Mapping[str, Any], *, child: Datastore, storage_classes: StorageClassRegistry,
                   formatters: FormatterSet) -> CachingDatastore:
    """A cache in ``directory`` over the already built ``child`` (from the ``child:`` section).

    ``max_bytes`` and ``max_files`` bound the cache (least recently used copies are evicted);
    ``claim_timeout`` is how long a reader waits for another process's download of the same URI.
    """
    unknown = set(options) - OPTIONS
    if unknown:
        raise ConfigError(f"cache datastore: unknown options {sorted(unknown)}; known: {sorted(OPTIONS)}")
    directory = options.get("directory")
    if not isinstance(directory, str | os.PathLike) or not os.fspath(directory):
        raise ConfigError("cache datastore: 'directory' must be the local directory holding the cached copies")
    limits = {}
    for name in ("max_bytes", "max_files"):
        value = options.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ConfigError(f"cache datastore: {name!r} must be a positive integer or null, got {value!r}")
        limits[name] = value
    timeout = options.get("claim_timeout", 60.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"cache datastore: 'claim_timeout' must be a positive number of seconds, got {timeout!r}")
    cache = LocalCache(os.fspath(directory), max_bytes=limits["max_bytes"], max_files=limits["max_files"],
                       claim_timeout=float(timeout))
    return CachingDatastore(child, cache, storage_classes=storage_classes, formatters=formatters)
