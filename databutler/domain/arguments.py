"""Checks of the kinds of arguments the public API takes: a wrong kind is a domain error, not a TypeError inside.

``check_many`` is the registry's rule that a batch method takes a sequence, never one mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .dataset import DatasetRef
from .errors import ArgumentError, CollectionError, DataIdError


def check_many(value: object, call: str, item: str) -> None:
    """Refuse one mapping where ``call`` takes a sequence of ``item``s (a dict would be iterated by its keys)."""
    if isinstance(value, Mapping):
        raise DataIdError(f"{call} takes a sequence of {item}s, not one {item}")


def _kind(value: object) -> str:
    return type(value).__name__


def check_refs(refs: object, what: str = "refs") -> list[DatasetRef]:
    """``refs`` as a list, if it is an iterable of DatasetRefs (not a string or a mapping)."""
    if isinstance(refs, str | bytes | Mapping) or not isinstance(refs, Iterable):
        raise ArgumentError(f"{what} must be a list of DatasetRefs, not {_kind(refs)}")
    listed = list(refs)
    for item in listed:
        if not isinstance(item, DatasetRef):
            raise ArgumentError(f"{what} must be DatasetRefs (from put, find_dataset or a query), "
                                f"but one is {_kind(item)}: {item!r:.60}")
    return listed


def check_parameters(parameters: object) -> Mapping[str, Any] | None:
    """``parameters`` if it is None or a mapping of read parameters."""
    if parameters is not None and not isinstance(parameters, Mapping):
        raise ArgumentError(f"parameters must be a mapping such as {{'keys': [...]}}, not {_kind(parameters)}")
    return parameters


def check_search_path(collections: object) -> tuple[str, ...] | None:
    """``collections`` as a tuple of names, if it is None, one name or an iterable of names."""
    if collections is None:
        return None
    if isinstance(collections, str):
        return (collections,)
    if isinstance(collections, bytes | Mapping) or not isinstance(collections, Iterable):
        raise CollectionError(f"collections must be a collection name or a list of them, not {_kind(collections)}")
    names = tuple(collections)
    for name in names:
        if not isinstance(name, str):
            raise CollectionError(f"collection names are strings, but one is {_kind(name)}: {name!r:.60}")
    return names


def check_put_items(items: object) -> list[Sequence[Any]]:
    """``items`` as a list, if it is an iterable of ``(object, dataset type, data ID)`` triples."""
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise ArgumentError(f"put_many takes a list of (object, dataset type, data ID) triples, not {_kind(items)}")
    listed = list(items)
    for number, item in enumerate(listed):
        if not isinstance(item, Sequence) or isinstance(item, str | bytes) or len(item) != 3:
            raise ArgumentError(f"put_many item {number} must be an (object, dataset type, data ID) triple, "
                                f"not {_kind(item)}: {item!r:.60}")
    return listed
