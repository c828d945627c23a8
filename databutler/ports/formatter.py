"""The Formatter port: one StorageClass to bytes in one file format, and back."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import IO, Any, ClassVar

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
