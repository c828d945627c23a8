"""Collections: RUN, TAGGED, CALIBRATION and CHAINED groups of Datasets."""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence

import attrs

from .errors import CollectionError, CollectionKindError, MissingCollectionError
from .remedies import Action, Remedy
from .values import check_key_string, shown

COLLECTION_NAME_MAX_LENGTH = 255
"""The longest collection name (registries index it; file templates use a run's name as a path)."""


class CollectionKind(enum.Enum):
    """The four kinds of Collection."""

    RUN = "RUN"
    """Where Datasets are written; each Dataset is in exactly one RUN."""
    TAGGED = "TAGGED"
    """An explicit set of existing Datasets, at most one per (DatasetType, DataId)."""
    CHAINED = "CHAINED"
    """An ordered search path of other collections."""
    CALIBRATION = "CALIBRATION"
    """Existing Datasets of calibration DatasetTypes, each certified for validity ranges of time that never
    overlap for one (DatasetType, DataId)."""


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


def as_names(names: str | Sequence[str]) -> tuple[str, ...]:
    """A search path or list of collection names; a lone string is one name, not its characters."""
    if isinstance(names, str):
        return (names,)
    if not isinstance(names, Sequence) or not all(isinstance(name, str) for name in names):
        raise CollectionError(f"collections must be a name or a sequence of names, not {shown(names)}")
    return tuple(names)


def missing_collection(name: str, registered: Iterable[str]) -> MissingCollectionError:
    """The error for unregistered collection ``name``: the closest registered names, else how to register it."""
    close = difflib.get_close_matches(name, list(registered), n=3, cutoff=0.6)
    if not close:
        return MissingCollectionError(f"collection {name!r} is not registered",
                                      remedy=Remedy(Action.REGISTER_COLLECTION, name))
    return MissingCollectionError(f"collection {name!r} is not registered; did you mean "
                                  + " or ".join(repr(c) for c in close) + "?")


def same_kind(name: str, existing: CollectionKind, wanted: CollectionKind) -> bool:
    """True if collection ``name``, registered as ``existing``, may be registered again as ``wanted``; else refuse."""
    if existing is wanted:
        return True
    raise CollectionKindError(f"collection {name!r} already exists as {existing.value}, not {wanted.value}; "
                              "choose another name")
