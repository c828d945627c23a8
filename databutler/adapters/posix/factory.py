"""Building a PosixDatastore from the ``datastore:`` section of butler.yaml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError
from ...domain.storage_class import StorageClassRegistry
from ...ports.formatter import FormatterSet
from ..files.options import file_options
from .datastore import PosixDatastore


def make_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                   create: bool, writeable: bool) -> PosixDatastore:
    """A PosixDatastore configured by ``options`` (root, template, checksum, fsync, formatters, disassemble)."""
    common = file_options(options, formatters, "posix", frozenset({"fsync"}), storage_classes)
    root = options.get("root")
    if not isinstance(root, str | os.PathLike) or not os.fspath(root):
        raise ConfigError("posix datastore: 'root' must be the path of the directory holding the datasets")
    root = os.path.abspath(os.fspath(root))
    fsync = options.get("fsync", False)
    if not isinstance(fsync, bool):
        raise ConfigError(f"posix datastore: 'fsync' must be true or false, got {fsync!r}")
    if create:
        if not writeable:
            raise ConfigError("posix datastore: cannot create a datastore opened read-only")
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"posix datastore: cannot create root {root}: {err.strerror}") from None
    elif not os.path.isdir(root):
        raise ConfigError(f"posix datastore: root {root} is not a directory; create the repository first")
    return PosixDatastore(root, storage_classes=storage_classes, formatters=common.formatters,
                          templates=common.templates, checksum=common.checksum, fsync=fsync, writeable=writeable,
                          disassembly=common.disassembly, assemblers=common.assemblers)
