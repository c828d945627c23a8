"""The stable, documented views of the SQL SELECT interface, and the indexes queries rely on.

Views (one name each, columns stable across releases; see the README's "SQL SELECT" section):

- ``v_collection(name, kind, doc)``; ``v_collection_chain(parent, position, child)`` (names);
- ``v_dataset_type(name, units, storage_class)`` (``units``: JSON list);
- ``v_dataset(id, dataset_type, run, <one column per DataUnit>)``;
- ``v_dataset_tag(collection, dataset_id)``;
- ``v_dataset_artifact(dataset_id, component, uri, formatter, storage_class, checksum, size)``;
- ``v_<element>`` for every DataUnit and join element: the columns of its records (a timespan
  is ``<name>_begin``/``<name>_end``, naive UTC).

Internal ids and the fixed tables behind the views may change; the views do not.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ....domain.universe import Universe
from ..schema import Schema
from ..unit_indexes import create_unit_indexes


def view_selects(universe: Universe, schema: Schema) -> dict[str, sa.Select[Any]]:
    """The SELECT behind each view, by view name."""
    c, d, t = schema.collection, schema.dataset, schema.dataset_type
    parent, child = c.alias("parent"), c.alias("child")
    chain = schema.collection_chain
    run = c.alias("run_collection")
    tagged = c.alias("tag_collection")
    tag = schema.dataset_tag
    a = schema.dataset_artifact
    views: dict[str, sa.Select[Any]] = {
        "v_collection": sa.select(c.c.name, c.c.kind, c.c.doc),
        "v_collection_chain": sa.select(parent.c.name.label("parent"), chain.c.position,
                                        child.c.name.label("child"))
        .join_from(chain, parent, chain.c.parent == parent.c.id).join(child, chain.c.child == child.c.id),
        "v_dataset_type": sa.select(t.c.name, t.c.units, t.c.storage_class),
        "v_dataset": sa.select(d.c.id, t.c.name.label("dataset_type"), run.c.name.label("run"),
                               *(d.c[u.name] for u in universe.units))
        .join_from(d, t, d.c.dataset_type_id == t.c.id).join(run, d.c.run_id == run.c.id),
        "v_dataset_tag": sa.select(tagged.c.name.label("collection"), tag.c.dataset_id)
        .join_from(tag, tagged, tag.c.collection_id == tagged.c.id),
        "v_dataset_artifact": sa.select(a.c.dataset_id, a.c.component, a.c.uri, a.c.formatter, a.c.storage_class,
                                        a.c.checksum, a.c.size),
    }
    for element in universe.elements:
        views[f"v_{element.name}"] = sa.select(*schema.elements[element.name].c)
    return views


def create_query_objects(connection: sa.Connection, universe: Universe, schema: Schema, *,
                         views: bool = True) -> None:
    """Create the query indexes of a new registry and (unless not ``views``) its views (idempotent)."""
    preparer = connection.dialect.identifier_preparer
    namespace = schema.metadata.schema
    existing = set(sa.inspect(connection).get_view_names(schema=namespace))
    for name, select in view_selects(universe, schema).items() if views else ():
        if name in existing:
            continue
        body = select.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        qualified = preparer.format_table(sa.table(name, schema=namespace))
        connection.execute(sa.text(f"CREATE VIEW {qualified} AS {body}"))
    for join in universe.join_elements:
        # Lookups from a joined unit need an index leading with its key, unless the primary key does.
        target = preparer.format_table(schema.elements[join.name])
        primary_key = universe.key_fields(join.name)
        for unit in join.joins:
            key = universe.required(unit)
            if primary_key[:len(key)] == key:
                continue
            columns = ", ".join(preparer.quote(c) for c in key)
            index = preparer.quote(f"ix_{join.name}_{unit}")
            connection.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {index} ON {target} ({columns})"))
    create_unit_indexes(connection, universe, schema)


def view_names(universe: Universe) -> tuple[str, ...]:
    """The names of every view, fixed ones first."""
    fixed = ("v_collection", "v_collection_chain", "v_dataset_type", "v_dataset", "v_dataset_tag",
             "v_dataset_artifact")
    return (*fixed, *(f"v_{e.name}" for e in universe.elements))
