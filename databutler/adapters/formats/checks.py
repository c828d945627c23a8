"""Type checks shared by the bundled formatters."""

from __future__ import annotations

from typing import Any

from ...domain.errors import FormatterError, StorageClassError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter

STRUCTURED_DATA = frozenset({"StructuredData", "StructuredDataDict", "StructuredDataList"})
"""The StorageClasses of plain dicts and lists, written by the JSON and YAML formatters."""


def type_name(obj: Any) -> str:
    """The qualified name of the type of ``obj``, for messages."""
    kind = type(obj)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def check_storage_class(formatter: Formatter, storage_class: StorageClass) -> None:
    """Raise StorageClassError unless ``formatter`` handles ``storage_class``."""
    if storage_class.name not in formatter.storage_classes:
        raise StorageClassError(f"formatter {formatter.name!r} does not handle storage class "
                                f"{storage_class.name!r}; it handles {sorted(formatter.storage_classes)}")


def check_writable(formatter: Formatter, obj: Any, storage_class: StorageClass) -> None:
    """Raise StorageClassError unless ``formatter`` writes ``storage_class`` and ``obj`` is one."""
    check_storage_class(formatter, storage_class)
    if not storage_class.accepts(obj):
        raise StorageClassError(f"a {type_name(obj)} is not a {storage_class.name!r} dataset; expected "
                                f"one of {list(storage_class.python_types)}")


def check_read(formatter: Formatter, obj: Any, storage_class: StorageClass) -> Any:
    """Return ``obj`` if it is of ``storage_class``, else raise FormatterError (the file holds something else)."""
    if not storage_class.accepts(obj):
        raise FormatterError(f"the {formatter.name} file holds a {type_name(obj)}, not a "
                             f"{storage_class.name!r} dataset")
    return obj
