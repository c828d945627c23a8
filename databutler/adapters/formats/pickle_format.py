"""Any picklable object as a pickle file: for trusted repositories only."""

from __future__ import annotations

import pickle
from typing import IO, Any

from ...domain.errors import FormatterError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import check_storage_class, check_writable


class PickleFormatter(Formatter):
    """Objects as pickles.

    Reading a pickle runs code chosen by whoever wrote the file: use this formatter only for
    repositories whose every writer you trust.
    """

    name = "pickle"
    extension = ".pickle"
    storage_classes = frozenset({"Object", "SkyMap"})

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Pickle ``obj`` to ``stream``."""
        check_writable(self, obj, storage_class)
        try:
            data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:  # pickling runs arbitrary __reduce__ code; any failure means "cannot"
            raise FormatterError(f"cannot pickle this {storage_class.name} dataset: {err}") from None
        stream.write(data)

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Unpickle an object from ``stream``."""
        check_storage_class(self, storage_class)
        try:
            return pickle.loads(stream.read())  # trusted repositories only (see class docstring)
        except Exception as err:  # malformed pickles raise nearly any exception type
            raise FormatterError(f"malformed pickle file: {type(err).__name__}: {err}") from None
