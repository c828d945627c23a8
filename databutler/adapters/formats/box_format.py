"""Pixel boxes (the ``Box`` StorageClass, an Exposure's ``bbox`` part) as JSON lists of 4 integers."""

from __future__ import annotations

import json
from typing import IO, Any

from ...domain.box import check_box
from ...domain.errors import FormatterError, StorageClassError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import check_storage_class, check_writable


class BoxFormatter(Formatter):
    """A Box ``(x0, y0, x1, y1)`` as the JSON list ``[x0, y0, x1, y1]``, read back as a tuple of ints."""

    name = "box"
    extension = ".json"
    storage_classes = frozenset({"Box"})

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Write Box ``obj`` (checked: 4 ints, x0 < x1, y0 < y1) to ``stream`` as JSON."""
        check_writable(self, obj, storage_class)
        stream.write(json.dumps(list(check_box(obj, "a Box"))).encode())

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Read a Box from ``stream``."""
        check_storage_class(self, storage_class)
        try:
            value = json.loads(stream.read())
        except (ValueError, RecursionError) as err:
            raise FormatterError(f"malformed Box file: {err}") from None
        if not isinstance(value, list):
            raise FormatterError(f"malformed Box file: it holds a {type(value).__name__}, not a list of 4 integers")
        try:
            return check_box(value, "the Box file's")
        except StorageClassError as err:
            raise FormatterError(f"malformed Box file: {err}") from None
