"""The ``chain_search`` table: each chain's search flattened, rewritten whenever a chain changes.

A search through a chain once named every collection it reaches in the statement's text: at
production scale thousands of runs, which the client sent and the server hashed at every run
(a find through 1,643 runs took twice as long as through 10, for the same one row). A statement
searching one chain joins this table instead, by its primary key ``(chain_id, member_id)``; it
reads the chain as it is in the statement's own snapshot, with each member's rank (``position``).

Rows are what ``CollectionManager.resolve`` makes of the chain alone: RUN, TAGGED and CALIBRATION
collections in search order, nested chains expanded, the first occurrence kept. A change of a chain
rewrites its rows and those of every chain above it, in the change's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa

from ...domain.collection import CollectionKind
from ...domain.errors import CollectionError
from .dialect import chunks
from .schema import Schema

__all__ = ["refresh", "refresh_all"]

_CHAINED = CollectionKind.CHAINED.value


def refresh(connection: sa.Connection, schema: Schema, chain_ids: Iterable[int]) -> None:
    """Rewrite the rows of chains ``chain_ids`` and of every chain that holds one of them."""
    targets = _with_ancestors(connection, schema, set(chain_ids))
    _write(connection, schema, targets)


def refresh_all(connection: sa.Connection, schema: Schema) -> None:
    """Rewrite the rows of every chain (a registry made before the table existed)."""
    t = schema.collection.c
    chains = set(connection.execute(sa.select(t.id).where(t.kind == _CHAINED)).scalars())
    _write(connection, schema, chains)


def flatten(children: Mapping[int, Sequence[tuple[int, str]]], chain_id: int) -> list[int]:
    """The collections the search of chain ``chain_id`` reaches, in order (``children``: each chain's (id, kind)).

    A cycle raises CollectionError: the registry refuses one before writing, but two writers, each
    checking before the other's change, could make one between them; the second finds it here.
    """
    found: list[int] = []
    seen: set[int] = set()

    def visit(parent: int, inside: frozenset[int]) -> None:
        for child, kind in children.get(parent, ()):
            if kind == _CHAINED:
                if child in inside:
                    raise CollectionError(f"a chain would contain itself (collection ids {sorted(inside)}): "
                                          "another writer changed the chains at the same time; nothing was changed")
                visit(child, inside | {child})
            elif child not in seen:
                seen.add(child)
                found.append(child)

    visit(chain_id, frozenset({chain_id}))
    return found


def _with_ancestors(connection: sa.Connection, schema: Schema, chain_ids: set[int]) -> set[int]:
    c = schema.collection_chain.c
    found, todo = set(chain_ids), list(chain_ids)
    while todo:
        parents = [p for part in chunks(todo)
                   for p in connection.execute(sa.select(c.parent).where(c.child.in_(part)).distinct()).scalars()]
        todo = [p for p in dict.fromkeys(parents) if p not in found]
        found.update(todo)
    return found


def _children(connection: sa.Connection, schema: Schema, chain_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """The ordered children of ``chain_ids`` and of every chain below them."""
    c, t = schema.collection_chain.c, schema.collection.c
    result: dict[int, list[tuple[int, str]]] = {}
    todo = list(chain_ids)
    while todo:
        for part in chunks(todo):
            query = (sa.select(c.parent, c.child, t.kind).join_from(schema.collection_chain, schema.collection,
                                                                    c.child == t.id)
                     .where(c.parent.in_(part)).order_by(c.parent, c.position))
            for parent, child, kind in connection.execute(query):
                result.setdefault(parent, []).append((child, kind))
        for chain in todo:
            result.setdefault(chain, [])
        todo = list(dict.fromkeys(child for kids in list(result.values()) for child, kind in kids
                                  if kind == _CHAINED and child not in result))
    return result


def _write(connection: sa.Connection, schema: Schema, chain_ids: set[int]) -> None:
    if not chain_ids:
        return
    table = schema.chain_search
    children = _children(connection, schema, chain_ids)
    for part in chunks(sorted(chain_ids)):
        connection.execute(table.delete().where(table.c.chain_id.in_(part)))
    rows = [{"chain_id": chain, "member_id": member, "position": position}
            for chain in sorted(chain_ids) for position, member in enumerate(flatten(children, chain))]
    if rows:
        connection.execute(table.insert(), rows)
