"""Collections: RUN, TAGGED and CHAINED groups of Datasets."""

from __future__ import annotations

import enum

import attrs

from .errors import CollectionError
from .values import check_key_string

COLLECTION_NAME_MAX_LENGTH = 255
"""The longest collection name (registries index it; file templates use a run's name as a path)."""


class CollectionKind(enum.Enum):
    """The three kinds of Collection."""

    RUN = "RUN"
    """Where Datasets are written; each Dataset is in exactly one RUN."""
    TAGGED = "TAGGED"
    """An explicit set of existing Datasets, at most one per (DatasetType, DataId)."""
    CHAINED = "CHAINED"
    """An ordered search path of other collections."""


@attrs.frozen
class Collection:
    """A registered collection: its name, kind, documentation and (CHAINED only) children."""

    name: str
    kind: CollectionKind
    doc: str = ""
    children: tuple[str, ...] = ()


def check_collection_name(name: str) -> str:
    """Return ``name`` if it is a valid collection name (path-like parts allowed, escapes not)."""
    if not isinstance(name, str) or not name:
        raise CollectionError(f"collection name must be a non-empty string, got {name!r}")
    if len(name) > COLLECTION_NAME_MAX_LENGTH:
        raise CollectionError(f"collection name {name[:40]!r}... is {len(name)} characters long; names may have "
                              f"at most {COLLECTION_NAME_MAX_LENGTH}")
    if name.startswith("/") or name.endswith("/"):
        raise CollectionError(f"collection name {name!r} may not start or end with '/'")
    for part in name.split("/"):
        try:
            check_key_string(part, f"collection name {name!r}")
        except ValueError as err:
            raise CollectionError(str(err)) from None
    return name
