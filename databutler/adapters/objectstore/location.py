"""Where artifacts live in an object store: the root's filesystem, keys and URIs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ...domain.errors import ConfigError, DatastoreError
from ...domain.template import check_relative_path

CONDITIONAL_CREATE_PROTOCOLS = frozenset({"s3", "s3a"})
"""Stores whose uploads become visible only when complete and that refuse to replace an existing
key on request (S3 ``If-None-Match: *``): new objects are uploaded straight to their final key."""


class ObjectLocation:
    """An fsspec filesystem and the root under it; maps artifact URIs to paths and back."""

    def __init__(self, root: str, storage_options: Mapping[str, Any]) -> None:
        if "://" not in root:
            root = "file://" + os.path.abspath(root)
        try:
            fs, path = fsspec.core.url_to_fs(root, **dict(storage_options))
        except (ImportError, ValueError) as err:
            raise ConfigError(f"objectstore datastore: cannot use root {root!r}: {err}") from None
        self.fs: Any = fs
        self.storage_options = dict(storage_options)
        self.protocol = root.split("://", 1)[0]
        self.path_prefix: str = str(path).rstrip("/") + "/"
        self.uri = f"{self.protocol}://{self.path_prefix.lstrip('/') if self.protocol != 'file' else self.path_prefix}"
        self.conditional_create = self.protocol in CONDITIONAL_CREATE_PROTOCOLS
        # s3fs asks for the size (one more request) before a whole-object read unless told to use one stream.
        self.whole_read_options: dict[str, Any] = {"max_concurrency": 1} if self.protocol in ("s3", "s3a") else {}
        if isinstance(fs, LocalFileSystem):
            # Local directories have symbolic links, which fsspec follows out of the root; the posix
            # adapter opens every directory link by link and refuses those that lead out.
            raise ConfigError(f"objectstore datastore: root {root!r} is a local directory; use "
                              "'adapter: posix' for local directories")

    def path(self, relative: str) -> str:
        """The filesystem path of root-relative ``relative``."""
        return self.path_prefix + relative

    def uri_of(self, relative: str) -> str:
        """The absolute URI of root-relative ``relative``."""
        return self.uri + relative

    def relative(self, uri: str) -> str | None:
        """The root-relative form of absolute ``uri`` if it lies under the root, else None.

        Spellings of one key differ (``memory:///x`` and ``memory://x``): a URI of the root's
        protocol is compared by its filesystem path, so one object never has two URIs.
        """
        if uri.startswith(self.uri):
            return check_relative_path(uri[len(self.uri):])
        if uri.split("://", 1)[0] == self.protocol:
            path = str(self.fs._strip_protocol(uri))
            if path.startswith(self.path_prefix):
                return check_relative_path(path[len(self.path_prefix):])
        return None

    def locate(self, uri: str) -> tuple[Any, str, str | None]:
        """The filesystem and path of artifact ``uri`` and, if it lies under the root, its relative path."""
        if "://" not in uri:
            return self.fs, self.path(check_relative_path(uri)), uri
        relative = self.relative(uri)
        if relative is not None:
            return self.fs, self.path(relative), relative
        return (*self.foreign(uri), None)

    def foreign(self, uri: str) -> tuple[Any, str]:
        """The filesystem and path of ``uri`` outside the root (same-protocol URIs share the root's options)."""
        if "://" not in uri:
            return LocalFileSystem(), os.path.abspath(uri)
        same = uri.split("://", 1)[0] == self.protocol
        try:
            fs, path = fsspec.core.url_to_fs(uri, **(self.storage_options if same else {}))
        except (ImportError, ValueError) as err:
            raise DatastoreError(f"cannot read {uri}: no usable filesystem for it ({type(err).__name__})") from None
        return fs, path

    def uri_of_foreign(self, fs: Any, path: str) -> str:
        """The absolute URI of ``path`` on filesystem ``fs`` (for files left in place outside the root)."""
        return str(fs.unstrip_protocol(path))
