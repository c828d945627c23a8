"""StructuredData (dicts and lists of plain values) as JSON files."""

from __future__ import annotations

import json
from typing import IO, Any

from ...domain.errors import FormatterError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import STRUCTURED_DATA, check_read, check_storage_class, check_writable

_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""What ``json.dumps(obj, ensure_ascii=False)`` builds on every call; it keeps no state between calls."""


class JsonFormatter(Formatter):
    """Dicts and lists as UTF-8 JSON (tuples come back as lists, non-string keys as strings)."""

    name = "json"
    extension = ".json"
    storage_classes = STRUCTURED_DATA

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Serialize ``obj`` as JSON to ``stream``."""
        check_writable(self, obj, storage_class)
        try:
            data = _ENCODER.encode(obj).encode()  # a lone surrogate has no UTF-8: a UnicodeEncodeError (ValueError)
        except (TypeError, ValueError, RecursionError) as err:
            raise FormatterError(f"cannot write this {storage_class.name} dataset as JSON: {err}") from None
        stream.write(data)

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Deserialize a JSON dict or list from ``stream``."""
        check_storage_class(self, storage_class)
        try:
            obj = json.loads(stream.read())
        except (ValueError, RecursionError) as err:
            raise FormatterError(f"malformed JSON file: {err}") from None
        return check_read(self, obj, storage_class)
