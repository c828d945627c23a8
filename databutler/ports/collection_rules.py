"""The chain rules of RegistryBase: a chain may not contain itself, and its children must exist.

They read collections through the registry's ``_collections`` hook, one call per level of chains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..domain.collection import Collection, CollectionKind, missing_collection
from ..domain.errors import CollectionError, CollectionKindError
from ..domain.values import shown

if TYPE_CHECKING:
    from .registry_base import RegistryBase


def missing(registry: RegistryBase, name: str) -> CollectionError:
    """The error for a collection name the registry does not hold (or a name that is not a string)."""
    if not isinstance(name, str):
        return CollectionError(f"collection names must be strings, got {name!r}")
    return missing_collection(name, (c.name for c in registry._collections(None)))


def check_kind(registry: RegistryBase, name: str, kind: CollectionKind | None) -> None:
    """Refuse unless collection ``name`` exists (and is of ``kind``, if given)."""
    if not isinstance(name, str):
        raise CollectionError(f"collection names must be strings, got {shown(name)}")
    found = registry._collection_kind(name)
    if found is None:
        raise missing(registry, name)
    if kind is not None and found is not kind:
        raise CollectionKindError(f"collection {name!r} is {found.value}, not {kind.value}")


def existing(registry: RegistryBase, names: Sequence[str]) -> list[Collection]:
    """Collections ``names`` in order; MissingCollectionError for the first unknown one."""
    by_name = {c.name: c for c in registry._collections(names)} if names else {}
    for name in names:
        if name not in by_name:
            raise missing(registry, name)
    return [by_name[n] for n in names]


def check_chain(registry: RegistryBase, name: str, children: tuple[str, ...]) -> None:
    """Refuse children of chain ``name`` that are unknown, or through which the chain would contain itself."""
    frontier = [c.name for c in existing(registry, children) if c.kind is CollectionKind.CHAINED]
    seen: set[str] = set()
    while frontier:
        if name in frontier:
            raise CollectionError(f"setting the children of chain {name!r} to {list(children)} would make it "
                                  "contain itself")
        seen.update(frontier)
        grandchildren = [c for chain in registry._collections(frontier) for c in chain.children]
        frontier = [c.name for c in existing(registry, list(dict.fromkeys(grandchildren)))
                    if c.kind is CollectionKind.CHAINED and c.name not in seen]


def resolve(registry: RegistryBase, search_path: tuple[str, ...]) -> tuple[str, ...]:
    """Flatten ``search_path`` into RUN and TAGGED names, chains expanded, first occurrence kept."""
    result: dict[str, None] = {}
    known = {c.name: c for c in existing(registry, search_path)}

    def visit(name: str, inside: tuple[str, ...]) -> None:
        collection = known[name]
        if collection.kind is not CollectionKind.CHAINED:
            result.setdefault(name)
            return
        if name in inside:
            raise CollectionError(f"chain {name!r} contains itself via {' -> '.join(inside)}")
        unknown = [c for c in collection.children if c not in known]
        if unknown:
            known.update((c.name, c) for c in registry._collections(unknown))
        for child in collection.children:
            visit(child, (*inside, name))

    for name in search_path:
        visit(name, ())
    return tuple(result)
