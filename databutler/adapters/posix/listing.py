"""Listing every file under a datastore root, without following symbolic links out of it."""

from __future__ import annotations

import datetime
import logging
import os
import stat
from collections.abc import Callable, Iterator

from ...ports.datastore import ListedArtifact

_LOG = logging.getLogger(__name__)


def list_files(root: str, uri_of: Callable[[str], str]) -> Iterator[ListedArtifact]:
    """Every non-directory entry below directory ``root``, as ``uri_of(relative path)``.

    Files are described by ``lstat``: a symbolic link is listed as itself (removing it removes
    the link, never its target). A link to a directory is not descended into, since it may lead out
    of the root; it is logged as a warning, not listed. Entries removed while the walk runs are
    passed over, and a root that does not exist yet holds nothing.
    """
    pending = [""]
    while pending:
        relative_dir = pending.pop()
        directory = os.path.join(root, relative_dir) if relative_dir else root
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed (pruned) since its parent was read
        for entry in sorted(entries, key=lambda e: e.name):
            relative = f"{relative_dir}/{entry.name}" if relative_dir else entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(info.st_mode):
                pending.append(relative)
            elif stat.S_ISLNK(info.st_mode) and os.path.isdir(entry.path):
                _LOG.warning("not listing %s: a symbolic link to a directory (it may lead out of the datastore "
                             "root); files under it are not checked for orphans", entry.path)
            else:
                yield ListedArtifact(uri_of(relative), info.st_size,
                                     datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC))
