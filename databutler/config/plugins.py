"""The table of adapters: name -> factory, the bundled ones and the entry-point plug-ins merged in one place.

``container`` holds one table per port (registries, datastores) filled with the bundled factories;
the installed distributions add theirs under the entry-point groups below, imported only when a
configuration names them. Every ``adapter:`` name of butler.yaml, top-level section or a proxy's
child section alike, is looked up in its table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from ..domain.errors import ConfigError
from ..domain.suggestions import hint

REGISTRY_GROUP = "databutler.registries"
DATASTORE_GROUP = "databutler.datastores"
Factory = Callable[..., Any]


def available(group: str) -> tuple[str, ...]:
    """The adapter names registered by installed distributions under entry-point ``group``."""
    return tuple(sorted(ep.name for ep in entry_points(group=group)))


class AdapterTable:
    """The adapters of one port: bundled factories by name, then the plug-ins of an entry-point group."""

    def __init__(self, group: str, kind: str, builtin: Mapping[str, Factory]) -> None:
        self.group = group
        self.kind = kind
        self.builtin = dict(builtin)

    def names(self) -> tuple[str, ...]:
        """Every adapter name: the bundled ones, then the installed plug-ins."""
        return (*sorted(self.builtin), *(name for name in available(self.group) if name not in self.builtin))

    def factory(self, name: str) -> Factory:
        """The factory of adapter ``name`` (a plug-in is imported now); ConfigError naming the closest if none."""
        if name in self.builtin:
            return self.builtin[name]
        found = [ep for ep in entry_points(group=self.group) if ep.name == name]
        if not found:
            bundled, plugins = sorted(self.builtin), list(available(self.group))
            close = hint(str(name), [*bundled, *plugins])
            raise ConfigError(f"no adapter {name!r} for the {self.kind}; {close + ' ' if close else ''}built-in "
                              f"adapters: {bundled}; plug-in adapters (entry-point group {self.group!r}): {plugins}")
        try:
            factory = found[0].load()
        except Exception as err:
            raise ConfigError(f"adapter {name!r} ({found[0].value}) failed to import: {err}") from err
        if not callable(factory):
            raise ConfigError(f"adapter {name!r} ({found[0].value}) is not a factory callable")
        return factory  # type: ignore[no-any-return]

    def build(self, section: Any, **kwargs: Any) -> Any:
        """The adapter a configuration ``section`` describes, built by its factory with ``kwargs``."""
        if not isinstance(section, Mapping) or not isinstance(section.get("adapter"), str):
            raise ConfigError(f"a {self.kind} section needs an 'adapter' name, got {section!r}")
        return self.factory(section["adapter"])(section, **kwargs)
