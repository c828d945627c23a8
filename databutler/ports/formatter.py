"""The Formatter port: one StorageClass to bytes in one file format, and back."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import IO, Any, ClassVar, Protocol

from ..domain.dataset_type import DatasetType
from ..domain.errors import ConfigError
from ..domain.storage_class import StorageClass, apply_read_parameters, extract_component


class Formatter(abc.ABC):
    """Writes objects of some StorageClasses to a binary stream in one file format and reads them.

    Formatters are stateless. ``read`` receives a seekable binary stream so that a formatter
    whose format allows it reads only the bytes it needs (``partial_read``).
    """

    name: ClassVar[str]
    """The name recorded in the registry for artifacts written by this formatter."""
    extension: ClassVar[str]
    """The file extension, with its dot (``.json``)."""
    any_extension: ClassVar[bool] = False
    """Whether it reads files whatever their extension (then an ingested file keeps its own)."""
    storage_classes: ClassVar[frozenset[str]]
    """The StorageClass names this formatter writes and reads."""
    partial_read: ClassVar[bool] = False
    """Whether read parameters are applied while reading rather than after a full read."""

    @abc.abstractmethod
    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Serialize ``obj`` to ``stream``; raise FormatterError if it is not of ``storage_class``."""

    @abc.abstractmethod
    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Deserialize the whole object from ``stream``; raise FormatterError if it is malformed."""

    def read(self, stream: IO[bytes], storage_class: StorageClass,
             parameters: Mapping[str, Any] | None = None, component: str | None = None) -> Any:
        """Read the object narrowed by the read ``parameters``, then take ``component`` of it."""
        obj = apply_read_parameters(storage_class, self.read_full(stream, storage_class), parameters)
        return obj if component is None else extract_component(storage_class, obj, component)


class FormatterSource(Protocol):
    """Where formatters not bundled come from (installed plug-ins), asked only when one is missing."""

    def named(self, name: str) -> Formatter | None:
        """The plug-in formatter called ``name`` (imported now), or None if no plug-in has that name."""

    def writers_of(self, storage_class: str) -> list[Formatter]:
        """The plug-in formatters that write ``storage_class`` (every plug-in is imported)."""

    def names(self) -> tuple[str, ...]:
        """The names plug-ins register (nothing is imported)."""


class FormatterSet:
    """The formatters a datastore may use, by name, and the one each StorageClass or DatasetType is written with.

    Which formatter writes a Dataset, most specific first: the one named for its DatasetType
    (``dataset_types``), then the default of its StorageClass (``defaults``, which
    ``with_defaults`` overrides), then the one plug-in formatter that writes the StorageClass.
    """

    def __init__(self, formatters: Iterable[Formatter], defaults: Mapping[str, str], *,
                 dataset_types: Mapping[str, str] | None = None, plugins: FormatterSource | None = None) -> None:
        self._by_name = {f.name: f for f in formatters}
        self._plugins = plugins
        unknown = {n for n in (*defaults.values(), *(dataset_types or {}).values()) if self._find(n) is None}
        if unknown:
            raise ConfigError(f"formatters {sorted(unknown)} are not among {sorted(self._by_name)}"
                              f"{self._plugin_note()}")
        self._defaults = dict(defaults)
        self._dataset_types = dict(dataset_types or {})

    def _find(self, name: str) -> Formatter | None:
        """The formatter called ``name``: bundled, or a plug-in imported now (and kept)."""
        found = self._by_name.get(name)
        if found is None and self._plugins is not None:
            found = self._plugins.named(name)
            if found is not None:
                self._by_name[found.name] = found
        return found

    def _plugin_note(self) -> str:
        if self._plugins is None:
            return ""
        return f"; plug-in formatters (entry-point group 'databutler.formatters'): {list(self._plugins.names())}"

    def names(self) -> tuple[str, ...]:
        """The names of the formatters loaded so far (bundled ones and plug-ins already used)."""
        return tuple(sorted(self._by_name))

    def by_name(self, name: str) -> Formatter:
        """The formatter called ``name`` (as recorded in the registry)."""
        found = self._find(name)
        if found is None:
            raise ConfigError(f"formatter {name!r} is not configured; known: {self.names()}{self._plugin_note()}")
        return found

    def for_storage_class(self, storage_class: str) -> Formatter:
        """The default formatter for ``storage_class``."""
        if storage_class in self._defaults:
            return self.by_name(self._defaults[storage_class])
        writers = self._plugins.writers_of(storage_class) if self._plugins is not None else []
        if len(writers) == 1:
            self._by_name.setdefault(writers[0].name, writers[0])
            return writers[0]
        if writers:
            raise ConfigError(f"plug-in formatters {sorted(w.name for w in writers)} all write storage class "
                              f"{storage_class!r}; choose one under 'formatters: storage_classes:' in butler.yaml")
        raise ConfigError(f"no formatter is configured for storage class {storage_class!r}")

    def for_dataset_type(self, dataset_type: DatasetType) -> Formatter:
        """The formatter that writes Datasets of ``dataset_type``: its own if configured, else its StorageClass's."""
        name = self._dataset_types.get(dataset_type.name)
        if name is None:
            return self.for_storage_class(dataset_type.storage_class)
        formatter = self.by_name(name)
        if dataset_type.storage_class not in formatter.storage_classes:
            raise ConfigError(f"formatter {name!r} is configured for dataset type {dataset_type.name!r} but does "
                              f"not write its storage class {dataset_type.storage_class!r}; it writes only "
                              f"{sorted(formatter.storage_classes)}")
        return formatter

    def for_extension(self, extension: str, storage_class: str) -> Formatter:
        """The formatter that reads ``storage_class`` from files ending in ``extension``."""
        default = self.for_storage_class(storage_class)
        if default.extension == extension or default.any_extension:
            return default
        for formatter in self._by_name.values():
            if formatter.extension == extension and storage_class in formatter.storage_classes:
                return formatter
        raise ConfigError(f"no formatter reads storage class {storage_class!r} from {extension!r} files")

    def with_defaults(self, overrides: Mapping[str, str]) -> FormatterSet:
        """A copy whose default formatter for each StorageClass in ``overrides`` is the one named there."""
        for storage_class, name in overrides.items():
            if storage_class not in self.by_name(name).storage_classes:
                raise ConfigError(f"formatter {name!r} cannot be the default for storage class "
                                  f"{storage_class!r}: it writes only {sorted(self._by_name[name].storage_classes)}")
        return FormatterSet(self._by_name.values(), {**self._defaults, **overrides},
                            dataset_types=self._dataset_types, plugins=self._plugins)

    def with_plugins(self, plugins: FormatterSource) -> FormatterSet:
        """A copy that imports the formatters of ``plugins`` when one is named or needed and not bundled."""
        return FormatterSet(self._by_name.values(), self._defaults, dataset_types=self._dataset_types,
                            plugins=plugins)

    def with_dataset_types(self, formatters: Mapping[str, str]) -> FormatterSet:
        """A copy that writes each DatasetType named in ``formatters`` with the formatter named there.

        A name is checked now; whether that formatter writes the DatasetType's StorageClass is
        checked when a Dataset of it is put (DatasetTypes are registered after configuration).
        """
        for name in formatters.values():
            self.by_name(name)
        return FormatterSet(self._by_name.values(), self._defaults,
                            dataset_types={**self._dataset_types, **formatters}, plugins=self._plugins)
