"""StructuredData (dicts and lists of plain values) as YAML files."""

from __future__ import annotations

from typing import IO, Any

import yaml

from ...domain.errors import FormatterError
from ...domain.storage_class import StorageClass
from ...ports.formatter import Formatter
from .checks import STRUCTURED_DATA, check_read, check_storage_class, check_writable

# The libyaml-backed classes are many times faster; both only build plain Python values.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class YamlFormatter(Formatter):
    """Dicts and lists as YAML, through the safe loader and dumper only."""

    name = "yaml"
    extension = ".yaml"
    storage_classes = STRUCTURED_DATA

    def write(self, obj: Any, stream: IO[bytes], storage_class: StorageClass) -> None:
        """Serialize ``obj`` as YAML to ``stream``."""
        check_writable(self, obj, storage_class)
        try:
            data = yaml.dump(obj, Dumper=_DUMPER, sort_keys=False, allow_unicode=True).encode()
        except (yaml.YAMLError, TypeError, ValueError, RecursionError) as err:
            raise FormatterError(f"cannot write this {storage_class.name} dataset as YAML: {err}") from None
        stream.write(data)

    def read_full(self, stream: IO[bytes], storage_class: StorageClass) -> Any:
        """Deserialize a YAML dict or list from ``stream``."""
        check_storage_class(self, storage_class)
        try:
            obj = yaml.load(stream.read(), Loader=_LOADER)  # _LOADER is a safe loader
        except (yaml.YAMLError, ValueError, RecursionError) as err:
            raise FormatterError(f"malformed YAML file: {err}") from None
        return check_read(self, obj, storage_class)
