"""NumpyArray datasets as ``.npy`` files, with reads of only the rows a slice needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .array_io import read_array, read_array_part, write_array
from .checks import check_read, check_storage_class, check_writable


class NpyFormatter(Formatter):
    """numpy arrays as ``.npy`` files (numpy is optional; object arrays are refused)."""

    name = "npy"
    extension = ".npy"
    storage_classes = frozenset({"NumpyArray"})
    partial_read = True

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write array ``obj`` to ``stream``."""
        check_writable(self, obj, storage_class)
        write_array(obj, stream)

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Read the whole array from ``stream``."""
        check_storage_class(self, storage_class)
        return check_read(self, read_array(stream), storage_class)

    def read(self, stream: IO[bytes], storage_class: StorageClass,
             parameters: Mapping[str, Any] | None = None, component: str | None = None) -> Any:
        """Read the array, or only the rows the ``slices`` parameter selects."""
        check_storage_class(self, storage_class)
        storage_class.check_parameters(parameters)
        if component is not None:
            storage_class.component(component)  # NumpyArray has none: raises StorageClassError
        if parameters and "slices" in parameters:
            return read_array_part(stream, parameters["slices"])
        return self.read_full(stream, storage_class)
