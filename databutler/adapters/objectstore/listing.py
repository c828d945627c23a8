"""Listing every object under an object-store root, with the size and time each store reports."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

from ...domain.errors import DatastoreError
from ...ports.datastore import ListedArtifact
from .location import ObjectLocation

_TIME_KEYS = ("LastModified", "last_modified", "mtime", "updated", "created")
"""Where stores put an object's time: S3 (a datetime), Azure, local files (a POSIX timestamp),
GCS (an ISO string), fsspec's memory filesystem (creation time)."""


def list_objects(location: ObjectLocation) -> Iterator[ListedArtifact]:
    """Every object below the root of ``location``, freshly listed (not from fsspec's listing cache)."""
    fs = location.fs
    root = location.path_prefix
    fs.invalidate_cache(root.rstrip("/"))  # another process may have written since this one listed
    found: Mapping[str, Mapping[str, Any]] = fs.find(root, detail=True)
    for path in sorted(found):
        info = found[path]
        if info.get("type") == "directory":
            continue
        if not path.startswith(root):
            raise DatastoreError(f"listing {location.uri} returned {path!r}, which is not under it")
        size = info.get("size")
        yield ListedArtifact(location.uri_of(path[len(root):]), None if size is None else int(size),
                             modified_time(info))


def modified_time(info: Mapping[str, Any]) -> datetime.datetime | None:
    """When an object was last written (UTC), from the ``info`` a filesystem gives (None if it does not say)."""
    for key in _TIME_KEYS:
        value = info.get(key)
        if isinstance(value, datetime.datetime):
            return (value.replace(tzinfo=datetime.UTC) if value.tzinfo is None
                    else value.astimezone(datetime.UTC))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.datetime.fromtimestamp(value, datetime.UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed.replace(tzinfo=datetime.UTC) if parsed.tzinfo is None else parsed.astimezone(datetime.UTC)
    return None
