"""Building a LimitedRegistry from the ``registry:`` section of butler.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError
from ...domain.universe import Universe
from .registry import LimitedRegistry, MakeWorking

_KNOWN = frozenset({"adapter", "root"})


def make_registry(options: Mapping[str, Any], *, universe: Universe | None, create: bool, writeable: bool,
                  make_working: MakeWorking) -> LimitedRegistry:
    """Create or open the LimitedRegistry at ``options['root']`` (a directory path or any fsspec URL)."""
    if not isinstance(options, Mapping):
        raise ConfigError(f"registry options must be a mapping, got {type(options).__name__}")
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise ConfigError(f"unknown limited registry options {unknown}; known options are {sorted(_KNOWN)}")
    root = options.get("root")
    if not isinstance(root, str) or not root:
        raise ConfigError("the limited registry needs a 'root' option, e.g. '{root}/registry' or 's3://bucket/job1'")
    if create:
        if universe is None:
            raise ConfigError("creating a registry needs a universe")
        if not writeable:
            raise ConfigError("a registry cannot be created read-only")
        return LimitedRegistry.create(root, universe, make_working)
    return LimitedRegistry.open(root, make_working, writeable=writeable)
