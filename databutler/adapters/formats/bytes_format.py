"""Files as they are: the bytes of a file, for data databutler has no formatter for (production's FITS files)."""

from __future__ import annotations

from typing import IO, Any

from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import check_storage_class, check_writable


class BytesFormatter(Formatter):
    """A ``bytes`` object as the file's whole content, unchanged both ways."""

    name = "bytes"
    extension = ".bin"
    any_extension = True
    storage_classes = frozenset({"Bytes"})

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write the bytes ``obj`` to ``stream``."""
        check_writable(self, obj, storage_class)
        stream.write(obj)

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """The whole content of ``stream``."""
        check_storage_class(self, storage_class)
        return stream.read()
