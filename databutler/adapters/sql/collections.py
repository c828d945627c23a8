"""RUN, TAGGED, CALIBRATION and CHAINED collections, chains, and the resolution of search paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import attrs
import sqlalchemy as sa

from ...domain.collection import Collection, CollectionKind, as_names, missing_collection
from ...domain.errors import CollectionError, CollectionKindError, MissingCollectionError
from ...domain.remedies import Action, Remedy
from ...domain.values import shown
from . import chain_search
from .dialect import IN_CHUNK, chunks
from .layout import Layout
from .search_path import SearchPath


@attrs.frozen
class CollectionRecord:
    """A collection as the registry identifies it internally: its id, name and kind."""

    id: int
    name: str
    kind: CollectionKind


__all__ = ["CHAIN_VERSION_KEY", "CollectionManager", "CollectionRecord", "as_names"]

CHAIN_VERSION_KEY = "chain_version"
"""The ``meta`` key of a counter every change of a chain's children increments (in the same transaction)."""


class CollectionManager:
    """Reads and writes collections and chains.

    A collection's id and kind never change while it exists, so every collection found is
    remembered; search paths without chains are remembered resolved. Chains may be redefined by
    any process: their contents are remembered with the registry's chain version (``meta``
    ``chain_version``, incremented by every change of a chain in the same transaction), and read
    again when one short statement finds the version changed. A name that is unknown is always
    looked up again; a collection removed and re-created by another process is seen again after
    this registry's next rolled-back write (or when it is reopened).
    """

    searched_by_table: Mapping[str, int] = MappingProxyType({"sqlite": 32, "postgresql": 1000})
    """The length (by database) from which a search path that is one chain is searched through ``chain_search``.

    Shorter ones are named in the statement. SQLite sorts an IN list of literals at every run: through
    a chain of 135-163 runs at 10^6 datasets, a find took 0.145 ms named, 0.057 through the table.
    PostgreSQL hashes it, which costs less than a probe per dataset until a thousand or so (at 10^6:
    a filtered query through 490 runs 0.48 ms named, 0.57 through the table; 0.53 and 0.55 at 900;
    0.57 and 0.54 at 1,900; at 10^7, through 4,900, 0.82 and 0.60). A personal registry layered over
    a release keeps no ``chain_search`` rows: its chains may hold the release's, which the release's
    owner may change.
    """

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._schema = layout.reads
        self._writes = layout.writes
        self._table = layout.reads.collection
        self._chain = layout.reads.collection_chain
        self._by_name: dict[str, CollectionRecord] = {}
        self._by_id: dict[int, CollectionRecord] = {}
        self._resolved: dict[tuple[str, ...], tuple[tuple[str | None, ...] | None, SearchPath]] = {}
        """Search paths resolved, with the chain versions they were resolved at (None: the path has no chain)."""
        c, t = self._chain.c, self._table.c
        closure = (sa.select(c.parent, c.child, c.position).where(c.parent.in_(sa.bindparam("parents", expanding=True)))
                   .cte("chain_closure", recursive=True))
        closure = closure.union(sa.select(c.parent, c.child, c.position)
                                .join_from(self._chain, closure, c.parent == closure.c.child))
        self._closure = (sa.select(closure.c.parent, t.id, t.name, t.kind)
                         .join_from(closure, self._table, closure.c.child == t.id)
                         .order_by(closure.c.parent, closure.c.position))
        """Every chain below the chains ``parents``, with their children in order (see ``descendants``)."""
        metas = [layout.writes.meta] + ([layout.release.meta] if layout.release is not None else [])
        self._version = sa.select(*(sa.select(m.c.value).where(m.c.key == CHAIN_VERSION_KEY).scalar_subquery()
                                    for m in metas))
        """The chain versions of this registry (and of the release below it): one round trip, a few rows."""
        self.version_guard: sa.ColumnElement[bool] = sa.and_(*(
            sa.select(m.c.value).where(m.c.key == CHAIN_VERSION_KEY).scalar_subquery()
            == sa.bindparam(f"chain_version_{i}", type_=sa.Text()) for i, m in enumerate(metas)))
        """True while the chain versions are those of ``remembered``'s parameters: ANDed into a statement whose
        rows then say the search path it used still holds (the same snapshot read both)."""
        self._chains: dict[tuple[int, ...], tuple[tuple[str | None, ...], dict[int, list[CollectionRecord]]]] = {}

    def clear_cache(self) -> None:
        """Forget every remembered collection and resolved search path."""
        self._by_name.clear()
        self._by_id.clear()
        self._resolved.clear()
        self._chains.clear()

    def _remember(self, record: CollectionRecord) -> CollectionRecord:
        self._by_name[record.name] = record
        self._by_id[record.id] = record
        return record

    def _forget(self, record: CollectionRecord) -> None:
        self._by_name.pop(record.name, None)
        self._by_id.pop(record.id, None)
        self._resolved.clear()

    def _select(self) -> sa.Select[int, str, str]:
        t = self._table.c
        return sa.select(t.id, t.name, t.kind)

    # -- lookups ------------------------------------------------------------------------------

    def _missing(self, connection: sa.Connection, name: str) -> MissingCollectionError:
        return missing_collection(name, connection.execute(sa.select(self._table.c.name)).scalars())

    def _load(self, connection: sa.Connection, names: Sequence[str]) -> None:
        missing = [n for n in dict.fromkeys(names) if n not in self._by_name]
        for part in chunks(missing):
            for row in connection.execute(self._select().where(self._table.c.name.in_(part))):
                self._remember(CollectionRecord(row[0], row[1], CollectionKind(row[2])))

    def get_many(self, connection: sa.Connection, names: Sequence[str]) -> list[CollectionRecord]:
        """The collections called ``names``, in order; MissingCollectionError for an unknown one."""
        self._load(connection, names)
        for name in names:
            if name not in self._by_name:
                if not isinstance(name, str):
                    raise CollectionError(f"collection names must be strings, got {name!r}")
                raise self._missing(connection, name)
        return [self._by_name[n] for n in names]

    def get(self, connection: sa.Connection, name: str, kind: CollectionKind | None = None) -> CollectionRecord:
        """Collection ``name``; CollectionKindError unless it is of ``kind`` (when given)."""
        if not isinstance(name, str):
            raise CollectionError(f"collection names must be strings, got {shown(name)}")
        record = self._by_name.get(name) or self.get_many(connection, [name])[0]
        if kind is not None and record.kind is not kind:
            raise CollectionKindError(f"collection {name!r} is {record.kind.value}, not {kind.value}")
        return record

    def names_of(self, connection: sa.Connection, ids: set[int]) -> dict[int, str]:
        """The names of the collections with these ids."""
        missing = [i for i in ids if i not in self._by_id]
        for part in chunks(missing):
            for row in connection.execute(self._select().where(self._table.c.id.in_(part))):
                self._remember(CollectionRecord(row[0], row[1], CollectionKind(row[2])))
        return {i: self._by_id[i].name for i in ids if i in self._by_id}

    def children(self, connection: sa.Connection, parents: Sequence[int]) -> dict[int, list[CollectionRecord]]:
        """The ordered children of each chain in ``parents``."""
        result: dict[int, list[CollectionRecord]] = {p: [] for p in parents}
        c, t = self._chain.c, self._table.c
        for part in chunks(list(parents)):
            query = (sa.select(c.parent, t.id, t.name, t.kind).join_from(self._chain, self._table, c.child == t.id)
                     .where(c.parent.in_(part)).order_by(c.parent, c.position))
            for parent, child_id, name, kind in connection.execute(query):
                result[parent].append(self._remember(CollectionRecord(child_id, name, CollectionKind(kind))))
        return result

    def _chain_version(self, connection: sa.Connection) -> tuple[str | None, ...]:
        return tuple(connection.execute(self._version).one())

    def descendants(self, connection: sa.Connection, parents: Sequence[int],
                    version: tuple[str | None, ...] | None = None) -> dict[int, list[CollectionRecord]]:
        """The ordered children of the chains ``parents`` and of every chain below them, in one statement.

        A search path through nested chains costs one round trip, not one per level (each costs
        more than the rows on a server). A cycle ends the recursion (its rows are already there).
        """
        if not parents:
            return {}
        key = tuple(parents)
        if version is None:
            version = self._chain_version(connection)
        remembered = self._chains.get(key)
        if remembered is not None and remembered[0] == version:
            return {parent: list(kids) for parent, kids in remembered[1].items()}
        found = self._read_descendants(connection, parents)
        if None not in version:  # a registry without a version (never, once migrated) is read every time
            self._chains[key] = (version, {parent: list(kids) for parent, kids in found.items()})
        return found

    def _read_descendants(self, connection: sa.Connection,
                          parents: Sequence[int]) -> dict[int, list[CollectionRecord]]:
        if len(parents) > IN_CHUNK:  # more chains than one IN list holds: level by level
            return self._descendants_by_level(connection, parents)
        result: dict[int, list[CollectionRecord]] = {p: [] for p in parents}
        known = self._by_id
        for parent, child_id, name, kind in connection.execute(self._closure, {"parents": list(parents)}).all():
            # A collection's id, name and kind never change while it exists: a chain of hundreds of
            # runs, read again on every search, reuses their records.
            record = known.get(child_id)
            if record is None or record.name != name or record.kind.value != kind:
                record = self._remember(CollectionRecord(child_id, name, CollectionKind(kind)))
            result.setdefault(parent, []).append(record)
        for kids in list(result.values()):  # a chain reached but empty has no rows of its own
            for kid in kids:
                if kid.kind is CollectionKind.CHAINED:
                    result.setdefault(kid.id, [])
        return result

    def _descendants_by_level(self, connection: sa.Connection,
                              parents: Sequence[int]) -> dict[int, list[CollectionRecord]]:
        chains: dict[int, list[CollectionRecord]] = {}
        todo = list(parents)
        while todo:
            found = self.children(connection, list(dict.fromkeys(todo)))
            chains.update(found)
            todo = [c.id for kids in found.values() for c in kids
                    if c.kind is CollectionKind.CHAINED and c.id not in chains]
        return chains

    def remembered(self, search_path: str | Sequence[str]) -> tuple[SearchPath, dict[str, str]] | None:
        """A search path through chains as last resolved, and the ``version_guard`` parameters that check it; or None.

        Nothing is read: a statement guarded so that returns rows has used the path as it is now, and
        one that returns none says nothing (``resolve`` then reads the version, as it always does).
        """
        version, resolved = self._resolved.get(as_names(search_path), (None, None))
        if version is None or resolved is None:
            return None
        return resolved, {f"chain_version_{i}": str(v) for i, v in enumerate(version)}

    def resolve(self, connection: sa.Connection, search_path: str | Sequence[str]) -> SearchPath:
        """Flatten ``search_path`` into RUN and TAGGED collections, chains expanded, first occurrence kept."""
        path = as_names(search_path)
        remembered = self._resolved.get(path)
        if remembered is not None and remembered[0] is None:  # no chain: nothing can have changed
            return remembered[1]
        records = self.get_many(connection, path)
        chained = list(dict.fromkeys(r.id for r in records if r.kind is CollectionKind.CHAINED))
        version = self._chain_version(connection) if chained else None
        if remembered is not None and version is not None and remembered[0] == version:
            return remembered[1]
        chains = self.descendants(connection, chained, version)
        result: list[CollectionRecord] = []
        seen: set[int] = set()

        def visit(record: CollectionRecord, inside: tuple[str, ...]) -> None:
            if record.kind is not CollectionKind.CHAINED:
                if record.id not in seen:
                    seen.add(record.id)
                    result.append(record)
                return
            if record.name in inside:
                raise CollectionError(f"chain {record.name!r} contains itself via {' -> '.join(inside)}")
            for child in chains[record.id]:
                visit(child, (*inside, record.name))

        for record in records:
            visit(record, ())
        resolved = SearchPath(result)
        long = len(result) >= self.searched_by_table.get(connection.dialect.name, 32)
        if long and len(records) == 1 and records[0].kind is CollectionKind.CHAINED and not self._layout.layered:
            resolved.chain_id = records[0].id
        if version is None or None not in version:  # a registry without a version (never, once migrated)
            self._resolved[path] = (version, resolved)  # resolves its chains every time
        return resolved

    # -- writes -------------------------------------------------------------------------------

    def register(self, connection: sa.Connection, name: str, kind: CollectionKind, doc: str) -> CollectionKind | None:
        """Add collection ``name``; if the name is taken, add nothing and return the kind it has."""
        found = self.find(connection, name)
        if found is not None:
            return found.kind
        result = connection.execute(self._writes.collection.insert().values(name=name, kind=kind.value, doc=doc))
        key = result.inserted_primary_key
        assert key is not None
        collection_id = int(key[0])
        if kind is CollectionKind.RUN:
            connection.execute(self._writes.run.insert().values(collection_id=collection_id))
        self._remember(CollectionRecord(collection_id, name, kind))
        return None

    def cached(self, name: str) -> CollectionRecord | None:
        """Collection ``name`` if it is remembered (no database read)."""
        return self._by_name.get(name)

    def find(self, connection: sa.Connection, name: str) -> CollectionRecord | None:
        """Collection ``name``, or None if it is not registered."""
        self._load(connection, [name])
        return self._by_name.get(name)

    def describe(self, connection: sa.Connection, names: Sequence[str] | None) -> list[Collection]:
        """The collections called ``names`` (unknown ones absent; all if None), with docs and children, by name."""
        query = self._select().add_columns(self._table.c.doc).order_by(self._table.c.name)
        if names is None:
            return self._describe(connection, query)
        return [c for part in chunks(list(dict.fromkeys(names)))
                for c in self._describe(connection, query.where(self._table.c.name.in_(part)))]

    def _describe(self, connection: sa.Connection, query: sa.Select[int, str, str, str]) -> list[Collection]:
        rows = list(connection.execute(query))
        chains = [row[0] for row in rows if row[2] == CollectionKind.CHAINED.value]
        children = self.children(connection, chains) if chains else {}
        return [Collection(row[1], CollectionKind(row[2]), row[3] or "",
                           tuple(c.name for c in children.get(row[0], ()))) for row in rows]

    def set_chain(self, connection: sa.Connection, name: str, children: Sequence[str]) -> None:
        """Replace the children of chain ``name`` (RegistryBase checked the chain rules)."""
        chain = self.get(connection, name, CollectionKind.CHAINED)
        kids = self.get_many(connection, children)
        # The counter first: its row lock queues concurrent changes of chains, so each reads the chains
        # as the one before left them (a chain above both is rewritten from both; a cycle two writers
        # would make between them is found by the second, see chain_search.flatten).
        self._chain_changed(connection)
        chains = self._writes.collection_chain
        connection.execute(chains.delete().where(chains.c.parent == chain.id))
        if kids:
            connection.execute(chains.insert(), [{"parent": chain.id, "position": i, "child": k.id}
                                                 for i, k in enumerate(kids)])
        if not self._layout.layered:  # a layered registry searches its chains by their lists (see resolve)
            chain_search.refresh(connection, self._writes, [chain.id])

    def _chain_changed(self, connection: sa.Connection) -> None:
        """Increment the chain version (in the caller's transaction), so every process reads chains again."""
        meta = self._writes.meta
        connection.execute(meta.update().where(meta.c.key == CHAIN_VERSION_KEY)
                           .values(value=sa.cast(sa.cast(meta.c.value, sa.BigInteger) + 1, sa.Text)))
        self._resolved.clear()

    def remove(self, connection: sa.Connection, name: str) -> None:
        """Remove collection ``name`` unless it is a chain's child or a RUN holding datasets."""
        record = self.get(connection, name)  # RegistryBase checked that it exists and is writable
        c, t = self._chain.c, self._table.c
        parents = list(connection.execute(
            sa.select(t.name).join_from(self._chain, self._table, c.parent == t.id).where(c.child == record.id)
            .order_by(t.name)).scalars())
        if parents:
            raise CollectionError(f"collection {name!r} is still a child of chains {sorted(set(parents))}",
                                  remedy=Remedy(Action.UNCHAIN, name, ", ".join(sorted(set(parents)))))
        reads, writes = self._schema, self._writes
        if record.kind is CollectionKind.RUN:
            count = connection.execute(sa.select(sa.func.count()).select_from(reads.dataset)
                                       .where(reads.dataset.c.run_id == record.id)).scalar_one()
            if count:
                raise CollectionError(f"run {name!r} still holds {count} datasets; remove them first")
            connection.execute(writes.run.delete().where(writes.run.c.collection_id == record.id))
        elif record.kind is CollectionKind.TAGGED:
            connection.execute(writes.dataset_tag.delete().where(writes.dataset_tag.c.collection_id == record.id))
        elif record.kind is CollectionKind.CALIBRATION:
            connection.execute(writes.dataset_calib.delete().where(writes.dataset_calib.c.collection_id == record.id))
        else:  # a chain: no chain holds it (refused above), so no other chain's search changes
            self._chain_changed(connection)
            connection.execute(writes.collection_chain.delete().where(writes.collection_chain.c.parent == record.id))
            connection.execute(writes.chain_search.delete().where(writes.chain_search.c.chain_id == record.id))
        connection.execute(writes.collection.delete().where(writes.collection.c.id == record.id))
        self._forget(record)
