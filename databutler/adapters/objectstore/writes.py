"""Creating new objects atomically from a reader's point of view, never replacing an existing one."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import IO, Any, cast

from ..files.checksums import HashingWriter
from ..files.datastore import conflict
from .location import ObjectLocation

Write = Callable[[IO[bytes]], None]
log = logging.getLogger(__name__)


def create_object(location: ObjectLocation, path: str, write: Write, *, algorithm: str | None,
                  block_size: int | None) -> tuple[str | None, int]:
    """Create object ``path`` with what ``write`` writes; return its checksum and size.

    On stores with conditional create (S3) the upload goes to the final key with ``If-None-Match:
    *``: small objects in one PUT, large ones as a multipart upload that becomes visible only when
    completed, and that the server refuses if the key exists. Elsewhere the bytes go to a hidden
    temporary key that is moved to ``path`` once complete, after checking that ``path`` is free.
    A failed write leaves nothing behind (multipart uploads are aborted), even when the move of the
    temporary key fails after its copy at ``path`` was made.
    """
    fs = location.fs
    if location.conditional_create:  # the server checks, atomically, when the upload completes
        return _upload(fs, path, "xb", write, algorithm=algorithm, block_size=block_size, conditional=True)
    if fs.exists(path):
        raise conflict(location.uri_of_foreign(fs, path))
    directory, _, name = path.rpartition("/")
    temp = f"{directory}/.{name}.{uuid.uuid4().hex}.tmp"
    moving = False
    try:
        result = _upload(fs, temp, "wb", write, algorithm=algorithm, block_size=block_size, conditional=False)
        if fs.exists(path):
            raise conflict(location.uri_of_foreign(fs, path))
        moving = True  # a move is a copy then a delete on most stores: ``path`` may exist from here on
        fs.mv(temp, path)
    except BaseException:
        if moving:
            _discard(fs, path)
        _discard(fs, temp)
        raise
    return result


def _upload(fs: Any, path: str, mode: str, write: Write, *, algorithm: str | None,
            block_size: int | None, conditional: bool) -> tuple[str | None, int]:
    options = {} if block_size is None else {"block_size": block_size}
    stream = fs.open(path, mode, **options)
    try:
        writer = HashingWriter(stream, algorithm)
        write(cast(IO[bytes], writer))  # duck-typed: it has the methods formatters use to write
    except BaseException:
        if conditional:
            # Not close(): closing would complete the upload of what was written so far.
            stream.discard()
            stream.closed = True
        else:
            stream.close()  # a temporary key: the caller deletes it
        raise
    stream.close()
    return writer.checksum, writer.size


def _discard(fs: Any, path: str) -> None:
    """Delete ``path`` while undoing a failed write; a failure is logged (the write's own error matters more)."""
    try:
        fs.rm_file(path)
    except FileNotFoundError:
        pass
    except Exception as err:
        log.error("could not delete %s after a failed write (find it with find_orphans): %s", path,
                  type(err).__name__)  # the client's message may carry request details
