"""Plug-in formatters, StorageClasses and conversions: entry points imported the first time one is needed.

Installed distributions register them under three entry-point groups:

- ``databutler.formatters``: a Formatter class (instantiated without arguments), a Formatter
  instance, or a callable returning one Formatter or an iterable of them. Name the entry point
  after the formatter (``csv = "pkg.module:CsvFormatter"``): a formatter recorded in the registry
  is then imported by its name alone.
- ``databutler.storage_classes``: a StorageClass, or a callable returning one or an iterable of
  them. Name the entry point after the StorageClass when it holds one.
- ``databutler.converters``: a Conversion, or a callable returning one or an iterable of them.

A plug-in that fails to import, or gives something else, is a ConfigError naming it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, cast

from ..domain.conversion import Conversion
from ..domain.errors import ConfigError
from ..domain.storage_class import StorageClass, StorageClassRegistry
from ..ports.formatter import Formatter

FORMATTER_GROUP = "databutler.formatters"
STORAGE_CLASS_GROUP = "databutler.storage_classes"
CONVERTER_GROUP = "databutler.converters"


def _describe(entry: EntryPoint) -> str:
    return f"plug-in {entry.name!r} ({entry.value}) of entry-point group {entry.group!r}"


def load_plugin(entry: EntryPoint, kind: type, what: str) -> list[Any]:
    """The ``kind`` objects entry point ``entry`` gives (see the module docstring); ConfigError naming it if not."""
    try:
        loaded = entry.load()
    except Exception as err:
        raise ConfigError(f"{_describe(entry)} failed to import: {type(err).__name__}: {err}") from err
    try:
        if inspect.isclass(loaded) and issubclass(loaded, kind):
            made: Any = loaded()
        elif isinstance(loaded, kind):
            made = loaded
        elif callable(loaded):
            made = loaded()
        else:
            made = loaded
        if not isinstance(made, kind | Iterable) or isinstance(made, str | bytes | Mapping):
            raise ConfigError(f"{_describe(entry)} gave {made!r}, not a {kind.__name__} or an iterable of them")
        many = (made,) if isinstance(made, kind) else cast(Iterable[Any], made)
        items = list(many)
    except ConfigError:
        raise
    except Exception as err:
        raise ConfigError(f"{_describe(entry)} failed to give its {what}: {type(err).__name__}: {err}") from err
    wrong = [item for item in items if not isinstance(item, kind)]
    if wrong:
        raise ConfigError(f"{_describe(entry)} gave {wrong[0]!r}, not a {kind.__name__}")
    return items


class PluginGroup:
    """The entry points of one group, each imported at most once, those named ``name`` first."""

    def __init__(self, group: str, kind: type, what: str) -> None:
        self.group = group
        self.kind = kind
        self.what = what
        self._loaded: dict[str, list[Any]] = {}

    def entries(self) -> list[EntryPoint]:
        """The installed entry points of the group, by name."""
        return sorted(entry_points(group=self.group), key=lambda e: (e.name, e.value))

    def names(self) -> tuple[str, ...]:
        """The entry-point names (nothing is imported)."""
        return tuple(dict.fromkeys(entry.name for entry in self.entries()))

    def _load(self, entry: EntryPoint) -> list[Any]:
        key = f"{entry.name}={entry.value}"
        if key not in self._loaded:
            self._loaded[key] = load_plugin(entry, self.kind, self.what)
        return self._loaded[key]

    def named(self, name: str) -> list[Any]:
        """What the entry points called ``name`` give."""
        return [item for entry in self.entries() if entry.name == name for item in self._load(entry)]

    def everything(self) -> Iterator[Any]:
        """What every entry point gives (all imported)."""
        for entry in self.entries():
            yield from self._load(entry)


class PluginFormatters:
    """The formatters of installed plug-ins (a FormatterSource for FormatterSet)."""

    def __init__(self, group: str = FORMATTER_GROUP) -> None:
        self._plugins = PluginGroup(group, Formatter, "formatters")

    def named(self, name: str) -> Formatter | None:
        """The plug-in formatter called ``name``: its entry point's, else any plug-in's of that name."""
        for source in (lambda: self._plugins.named(name), self._plugins.everything):
            for formatter in source():
                if formatter.name == name:
                    return formatter  # type: ignore[no-any-return]
        return None

    def writers_of(self, storage_class: str) -> list[Formatter]:
        """Every plug-in formatter that writes ``storage_class``."""
        return [f for f in self._plugins.everything() if storage_class in f.storage_classes]

    def names(self) -> tuple[str, ...]:
        """The entry-point names of the plug-in formatters."""
        return self._plugins.names()


class PluginStorageClasses(StorageClassRegistry):
    """The builtin and configured StorageClasses, then those of installed plug-ins, imported on first miss.

    Behaves as a live collection of names (``in``, iteration), so that a registry restricted to it
    (``restrict_storage_classes``) accepts a StorageClass that only a plug-in defines.
    """

    def __init__(self, storage_classes: Iterable[StorageClass], group: str = STORAGE_CLASS_GROUP) -> None:
        super().__init__(tuple(storage_classes))
        self._plugins = PluginGroup(group, StorageClass, "storage classes")
        self._all_loaded = False

    def _take(self, found: Iterable[StorageClass]) -> None:
        for storage_class in found:
            if storage_class.name not in self._by_name:  # bundled and configured definitions win
                self.register(storage_class)

    def _look_for(self, name: str) -> bool:
        if name in self._by_name:
            return True
        if not isinstance(name, str) or self._all_loaded:
            return False
        self._take(self._plugins.named(name))
        if name not in self._by_name:
            self._load_all()
        return name in self._by_name

    def _load_all(self) -> None:
        if not self._all_loaded:  # a plug-in that fails is named again at the next miss, not forgotten
            self._take(self._plugins.everything())
            self._all_loaded = True

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._look_for(name)

    def __getitem__(self, name: str) -> StorageClass:
        self._look_for(name)
        return super().__getitem__(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __bool__(self) -> bool:
        return True  # never import every plug-in to answer ``registry or default``

    def names(self) -> tuple[str, ...]:
        """Every StorageClass name, the plug-ins' included (all imported)."""
        self._load_all()
        return super().names()


def plugin_conversions(group: str = CONVERTER_GROUP) -> Callable[[], list[Conversion]]:
    """A loader of the Conversions of installed plug-ins, for ConverterRegistry(load_more=...)."""
    plugins = PluginGroup(group, Conversion, "conversions")
    return lambda: list(plugins.everything())
