"""Adapter plugins: factories found in entry-point groups, imported only when named."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

from ..domain.errors import ConfigError
from ..domain.suggestions import hint

REGISTRY_GROUP = "databutler.registries"
DATASTORE_GROUP = "databutler.datastores"


def available(group: str) -> tuple[str, ...]:
    """The adapter names registered by installed distributions under entry-point ``group``."""
    return tuple(sorted(ep.name for ep in entry_points(group=group)))


def load_factory(group: str, name: str, builtin: Iterable[str] = ()) -> Callable[..., Any]:
    """Import and return the factory registered as ``name`` in ``group`` (``builtin`` names the bundled ones)."""
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    if not found:
        bundled, plugins = sorted(builtin), list(available(group))
        close = hint(str(name), [*bundled, *plugins])
        kind = {REGISTRY_GROUP: " for the registry", DATASTORE_GROUP: " for the datastore"}.get(group, "")
        raise ConfigError(f"no adapter {name!r}{kind}; {close + ' ' if close else ''}built-in adapters: "
                          f"{bundled}; plug-in adapters (entry-point group {group!r}): {plugins}")
    try:
        factory = found[0].load()
    except Exception as err:
        raise ConfigError(f"adapter {name!r} ({found[0].value}) failed to import: {err}") from err
    if not callable(factory):
        raise ConfigError(f"adapter {name!r} ({found[0].value}) is not a factory callable")
    return factory  # type: ignore[no-any-return]
