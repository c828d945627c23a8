"""Where artifacts live under a datastore root: paths, URIs and safely created directories."""

from __future__ import annotations

import os
import urllib.parse

from ...domain.errors import PathTemplateError
from ...domain.template import check_relative_path
from ..files.local import URI_SAFE, path_to_uri, uri_to_path

__all__ = ["RootLayout", "path_to_uri", "uri_to_path"]


class RootLayout:
    """Maps artifact URIs to paths under one root (``directories`` opens them safely for writing)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self._real_prefix = self.real_root.rstrip(os.sep) + os.sep
        self.uri = path_to_uri(self._prefix)

    def path(self, relative: str) -> str:
        """The absolute path of root-relative ``relative``."""
        return self._prefix + relative

    def real_path(self, relative_dir: str) -> str:
        """Where directory ``relative_dir`` is when no symbolic link lies between it and the root."""
        return self._real_prefix + relative_dir if relative_dir else self.real_root

    def uri_of(self, relative: str) -> str:
        """The absolute ``file://`` URI of root-relative ``relative``."""
        return self.uri + urllib.parse.quote(relative, safe=URI_SAFE, errors="surrogateescape")

    def locate(self, uri: str) -> tuple[str, str | None]:
        """The absolute path of artifact ``uri`` and, if it lies under the root, its relative path."""
        if "://" not in uri:
            return self._prefix + check_relative_path(uri), uri
        path = os.path.normpath(uri_to_path(uri))
        return path, self.relative(path)

    def relative(self, path: str) -> str | None:
        """The root-relative form of absolute ``path`` if it lies under the root, else None."""
        for prefix in (self._prefix, self._real_prefix):
            if path.startswith(prefix):
                try:
                    return check_relative_path(path[len(prefix):])
                except PathTemplateError:
                    return None
        return None

    def relative_in_place(self, path: str) -> str | None:
        """Like ``relative``, with the directory of ``path`` resolved through symbolic links."""
        directory, name = os.path.split(path)
        return self.relative(os.path.join(os.path.realpath(directory), name))
