"""Local files seen from any file datastore: ``file://`` URIs, and the checks of a file to ingest."""

from __future__ import annotations

import os
import stat
import urllib.parse

from ...domain.errors import DatasetNotFoundError, DatastoreError

URI_SAFE = "/=+,:@~!$&'()*;"
"""Characters left unquoted in ``file://`` URIs."""


def path_to_uri(path: str) -> str:
    """The ``file://`` URI of absolute local ``path``."""
    return "file://" + urllib.parse.quote(path, safe=URI_SAFE)


def uri_to_path(uri: str) -> str:
    """The local path of a ``file://`` URI; DatastoreError for any other URI."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise DatastoreError(f"{uri!r} is not a local file URI; only local files can be read here")
    return urllib.parse.unquote(parts.path)


def local_path(path: str) -> str:
    """The absolute local path named by a path or ``file://`` URI."""
    return os.path.abspath(uri_to_path(path) if "://" in path else path)


def source_path(path: str) -> str:
    """The absolute path of an existing regular file named by a path or ``file://`` URI.

    DatasetNotFoundError if nothing is there, DatastoreError if it is not a regular file.
    """
    absolute = local_path(path)
    try:
        mode = os.stat(absolute).st_mode
    except FileNotFoundError:
        raise DatasetNotFoundError(f"file to ingest {path!r} does not exist") from None
    except OSError as err:
        raise DatastoreError(f"cannot read file to ingest {path!r}: {err.strerror}") from None
    if not stat.S_ISREG(mode):
        raise DatastoreError(f"{path!r} is not a regular file; only files can be ingested")
    return absolute
