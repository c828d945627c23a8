"""Building an ObjectStoreDatastore from the ``datastore:`` section of butler.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConfigError
from ...domain.storage_class import StorageClassRegistry
from ...ports.formatter import FormatterSet
from ..files.options import file_options
from .datastore import PARTIAL_READ_BLOCK_SIZE, ObjectStoreDatastore

OPTIONS = frozenset({"storage_options", "block_size", "partial_read_block_size"})
_ADAPTER = "objectstore"


def make_datastore(options: Mapping[str, Any], *, storage_classes: StorageClassRegistry, formatters: FormatterSet,
                   create: bool, writeable: bool) -> ObjectStoreDatastore:
    """An ObjectStoreDatastore configured by ``options``.

    ``root`` is a URI (``s3://bucket/prefix``); ``storage_options`` go to the fsspec filesystem
    (``endpoint_url``, ``profile``, ...; put secrets in the environment or as ``${ENV}``
    placeholders); ``block_size`` is the upload part and streamed-read block size and
    ``partial_read_block_size`` the range size of partial reads.
    """
    common = file_options(options, formatters, _ADAPTER, OPTIONS, storage_classes)
    root = options.get("root")
    if not isinstance(root, str) or not root:
        raise ConfigError("objectstore datastore: 'root' must be a URI such as s3://bucket/prefix")
    storage_options = options.get("storage_options") or {}
    if not isinstance(storage_options, Mapping):
        raise ConfigError("objectstore datastore: 'storage_options' must be a mapping of fsspec options")
    block_size = _size_option(options, "block_size", None)
    partial = _size_option(options, "partial_read_block_size", PARTIAL_READ_BLOCK_SIZE)
    if create and not writeable:
        raise ConfigError("objectstore datastore: cannot create a datastore opened read-only")
    datastore = ObjectStoreDatastore(root, storage_classes=storage_classes, formatters=common.formatters,
                                     storage_options=storage_options, templates=common.templates,
                                     checksum=common.checksum, writeable=writeable,
                                     block_size=block_size,
                                     partial_read_block_size=partial or PARTIAL_READ_BLOCK_SIZE,
                                     disassembly=common.disassembly, assemblers=common.assemblers)
    if create:  # a missing bucket or refused credentials show now, not at the first put
        datastore.check_root()
    return datastore


def _size_option(options: Mapping[str, Any], name: str, default: int | None) -> int | None:
    value = options.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ConfigError(f"objectstore datastore: {name!r} must be a positive number of bytes, got {value!r}")
    return value
