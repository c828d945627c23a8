"""The collection rules of RegistryBase: kinds, chains (a chain may not contain itself, its children
must exist), tags, and the storage hooks an adapter implements for them.

The rules read collections through the registry's ``_collections`` hook, one call per level of chains.
"""

from __future__ import annotations

import abc
import fnmatch
from collections.abc import Sequence
from typing import Protocol, TypeVar

from ..domain.collection import (
    Collection,
    CollectionKind,
    as_names,
    check_collection_name,
    missing_collection,
    same_kind,
)
from ..domain.dataset import DatasetRef
from ..domain.errors import CollectionError, CollectionKindError
from ..domain.values import shown
from . import calibration_rules
from .registry import Registry


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def matching(items: list[_N], pattern: str | None) -> list[_N]:
    """``items`` whose names match glob ``pattern``, sorted by name."""
    return sorted((i for i in items if pattern is None or fnmatch.fnmatchcase(i.name, pattern)),
                  key=lambda i: i.name)


def missing(registry: CollectionRules, name: str) -> CollectionError:
    """The error for a collection name the registry does not hold (or a name that is not a string)."""
    if not isinstance(name, str):
        return CollectionError(f"collection names must be strings, got {name!r}")
    return missing_collection(name, (c.name for c in registry._collections(None)))


def check_kind(registry: CollectionRules, name: str, kind: CollectionKind | None) -> None:
    """Refuse unless collection ``name`` exists (and is of ``kind``, if given)."""
    if not isinstance(name, str):
        raise CollectionError(f"collection names must be strings, got {shown(name)}")
    found = registry._collection_kind(name)
    if found is None:
        raise missing(registry, name)
    if kind is not None and found is not kind:
        raise CollectionKindError(f"collection {name!r} is {found.value}, not {kind.value}")


def existing(registry: CollectionRules, names: Sequence[str]) -> list[Collection]:
    """Collections ``names`` in order; MissingCollectionError for the first unknown one."""
    by_name = {c.name: c for c in registry._collections(names)} if names else {}
    for name in names:
        if name not in by_name:
            raise missing(registry, name)
    return [by_name[n] for n in names]


def check_chain(registry: CollectionRules, name: str, children: tuple[str, ...]) -> None:
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


def resolve(registry: CollectionRules, search_path: tuple[str, ...]) -> tuple[str, ...]:
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


class CollectionRules(Registry, abc.ABC):
    """RegistryBase's collection methods: the rules here, the storage in the hooks an adapter implements."""

    @abc.abstractmethod
    def _check_writeable(self, action: str) -> None:
        """Refuse ``action`` unless the registry may be written (RegistryBase)."""

    # -- public methods ----------------------------------------------------------------------------

    def register_collection(self, name: str, kind: CollectionKind, doc: str = "") -> bool:
        """Register collection ``name``; return False if it already exists with this kind."""
        check_collection_name(name)
        if not isinstance(kind, CollectionKind):
            raise CollectionError(f"collection kind must be a CollectionKind, got {kind!r}")
        if kind is CollectionKind.CALIBRATION:
            calibration_rules.require_calibrations(self, f"register CALIBRATION collection {name!r}")
        self._check_writeable(f"register collection {name!r}")
        existing = self._register_collection(name, kind, doc or "")
        return existing is None or not same_kind(name, existing, kind)

    def get_collection(self, name: str) -> Collection:
        """Return collection ``name`` or raise MissingCollectionError."""
        if not isinstance(name, str):
            raise CollectionError(f"a collection name is a string, not {shown(name)}")
        found = self._collections([name])
        if not found:
            raise missing(self, name)
        return found[0]

    def query_collections(self, pattern: str | None = None,
                          kinds: Sequence[CollectionKind] | None = None) -> list[Collection]:
        """Return collections whose names match glob ``pattern`` and whose kind is in ``kinds``."""
        if pattern is not None and not isinstance(pattern, str):
            raise CollectionError(f"a collection name pattern is a string (a glob), not {shown(pattern)}")
        wanted = None if kinds is None else set(kinds)
        return [c for c in matching(self._collections(None), pattern) if wanted is None or c.kind in wanted]

    def set_chain(self, name: str, children: Sequence[str]) -> None:
        """Set the ordered children of CHAINED collection ``name``; a cycle raises CollectionError."""
        action = f"set the children of chain {name!r}"
        self._check_writeable(action)
        kids = as_names(children)
        with self.transaction():
            check_kind(self, name, CollectionKind.CHAINED)
            self._check_collection_writable(name, action)
            check_chain(self, name, kids)  # the chain rules run before anything is stored
            self._set_chain(name, kids)

    def resolve_collections(self, search_path: Sequence[str]) -> tuple[str, ...]:
        """Flatten ``search_path`` (chains expanded) into RUN and TAGGED names, first occurrence kept."""
        return self._resolve_collections(as_names(search_path))

    def remove_collection(self, name: str) -> None:
        """Remove collection ``name`` (a RUN must be empty; a chain's child is refused)."""
        action = f"remove collection {name!r}"
        self._check_writeable(action)
        check_kind(self, name, None)
        self._check_collection_writable(name, action)
        self._remove_collection(name)

    def associate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Add ``refs`` to TAGGED collection ``tagged``; re-adding a member is a no-op."""
        action = f"tag datasets into {tagged!r}"
        self._check_writeable(action)
        check_kind(self, tagged, CollectionKind.TAGGED)
        self._check_collection_writable(tagged, action)
        self._associate(tagged, list(refs))

    def disassociate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Remove ``refs`` from TAGGED collection ``tagged``; absent refs are ignored."""
        action = f"untag datasets from {tagged!r}"
        self._check_writeable(action)
        check_kind(self, tagged, CollectionKind.TAGGED)
        self._check_collection_writable(tagged, action)
        self._disassociate(tagged, list(refs))

    @abc.abstractmethod
    def _register_collection(self, name: str, kind: CollectionKind, doc: str) -> CollectionKind | None:
        """Storage write: add collection ``name``; if the name is taken, store nothing and return its kind."""

    @abc.abstractmethod
    def _collections(self, names: Sequence[str] | None) -> list[Collection]:
        """Storage read: the collections with these names (unknown ones absent; all if None), sorted by name."""

    def _collection_kind(self, name: str) -> CollectionKind | None:
        """Optional storage read: the kind of collection ``name``, or None (the default uses ``_collections``)."""
        found = self._collections([name])
        return found[0].kind if found else None

    def _check_collection_writable(self, name: str, action: str) -> None:
        """Optional: refuse ``action`` if collection ``name`` is read-only here (a release layer)."""

    @abc.abstractmethod
    def _set_chain(self, name: str, children: tuple[str, ...]) -> None:
        """Storage write: replace the children of chain ``name`` by ``children`` (checked: they exist, no cycle)."""

    def _resolve_collections(self, search_path: tuple[str, ...]) -> tuple[str, ...]:
        """Optional storage read: flatten ``search_path`` (the default reads chains level by level)."""
        return resolve(self, search_path)

    @abc.abstractmethod
    def _remove_collection(self, name: str) -> None:
        """Storage write: remove ``name`` (a RUN must be empty, a chain's child is refused; see remove_collection)."""

    @abc.abstractmethod
    def _associate(self, tagged: str, refs: list[DatasetRef]) -> None:
        """Storage write: tag ``refs`` into TAGGED ``tagged`` (checked: it exists and is writable; see associate)."""

    @abc.abstractmethod
    def _disassociate(self, tagged: str, refs: list[DatasetRef]) -> None:
        """Storage write: untag ``refs`` from TAGGED ``tagged``."""
