"""Where artifacts live under a datastore root: paths, URIs and safely created directories."""

from __future__ import annotations

import os
import posixpath
import urllib.parse

from ...domain.errors import DatastoreError, PathTemplateError
from ...domain.template import check_relative_path

_URI_SAFE = "/=+,:@~!$&'()*;"
_MAKEDIRS_ATTEMPTS = 10


def path_to_uri(path: str) -> str:
    """The ``file://`` URI of absolute local ``path``."""
    return "file://" + urllib.parse.quote(path, safe=_URI_SAFE)


def uri_to_path(uri: str) -> str:
    """The local path of a ``file://`` URI."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise DatastoreError(f"{uri!r} is not a local file URI; a posix datastore reads only local files")
    return urllib.parse.unquote(parts.path)


class RootLayout:
    """Maps artifact URIs to paths under one root and creates directories that stay inside it.

    Directories are checked (symbolic links resolved) and created once, then remembered, so a
    put into an existing directory costs no ``stat`` or ``realpath``.
    """

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self._real_prefix = self.real_root.rstrip(os.sep) + os.sep
        self.uri = path_to_uri(self._prefix)
        self._ready: set[str] = set()

    def path(self, relative: str) -> str:
        """The absolute path of root-relative ``relative``."""
        return self._prefix + relative

    def uri_of(self, relative: str) -> str:
        """The absolute ``file://`` URI of root-relative ``relative``."""
        return self.uri + urllib.parse.quote(relative, safe=_URI_SAFE, errors="surrogateescape")

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

    def prepare_directory(self, relative_dir: str) -> None:
        """Create root-relative directory ``relative_dir``, refusing one that resolves outside the root."""
        if relative_dir in self._ready:
            return
        absolute = self._prefix + relative_dir if relative_dir else self.root
        real = os.path.realpath(absolute)  # resolves the existing part, so a link out is caught first
        if real != self.real_root and not real.startswith(self._real_prefix):
            raise PathTemplateError(f"directory {absolute} resolves to {real}, outside the datastore root "
                                    f"{self.real_root}; a symbolic link leads out of the root")
        for attempt in range(_MAKEDIRS_ATTEMPTS):
            try:
                os.makedirs(absolute, exist_ok=True)
                break
            except FileNotFoundError as err:  # a parent was pruned by a concurrent remove: try again
                if attempt == _MAKEDIRS_ATTEMPTS - 1:
                    raise DatastoreError(f"cannot create directory {absolute}: {err.strerror}") from None
            except OSError as err:
                raise DatastoreError(f"cannot create directory {absolute}: {err.strerror}") from None
        self._ready.add(relative_dir)

    def forget_directory(self, relative_dir: str) -> None:
        """Forget that ``relative_dir`` exists (someone else may have removed it)."""
        self._ready.discard(relative_dir)

    def prune(self, relative_dir: str) -> None:
        """Remove ``relative_dir`` and its parents while they are empty, stopping at the root."""
        while relative_dir:
            try:
                os.rmdir(self._prefix + relative_dir)
            except OSError:
                return
            self._ready.discard(relative_dir)
            relative_dir = posixpath.dirname(relative_dir)
