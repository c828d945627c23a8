"""The Formatter port: one StorageClass to bytes in one file format, and back."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import IO, Any, ClassVar

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


class FormatterSet:
    """The formatters a datastore may use, by name, and the default one for each StorageClass."""

    def __init__(self, formatters: Iterable[Formatter], defaults: Mapping[str, str]) -> None:
        self._by_name = {f.name: f for f in formatters}
        unknown = {n for n in defaults.values() if n not in self._by_name}
        if unknown:
            raise ConfigError(f"default formatters {sorted(unknown)} are not among "
                              f"{sorted(self._by_name)}")
        self._defaults = dict(defaults)

    def names(self) -> tuple[str, ...]:
        """The names of all formatters."""
        return tuple(sorted(self._by_name))

    def by_name(self, name: str) -> Formatter:
        """The formatter called ``name`` (as recorded in the registry)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ConfigError(f"formatter {name!r} is not configured; known: {self.names()}") from None

    def for_storage_class(self, storage_class: str) -> Formatter:
        """The default formatter for ``storage_class``."""
        try:
            return self._by_name[self._defaults[storage_class]]
        except KeyError:
            raise ConfigError(f"no formatter is configured for storage class {storage_class!r}") from None

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
        return FormatterSet(self._by_name.values(), {**self._defaults, **overrides})
