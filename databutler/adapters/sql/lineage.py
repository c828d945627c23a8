"""Lineage in SQL: one recursive query (WITH RECURSIVE) over ``quantum_input`` and ``quantum_output``.

Each row of the recursive CTE is one step: a quantum, the dataset it was reached from, and a
dataset reached through it (NULL for a quantum with nothing on the far side). UNION, not UNION
ALL, drops repeated rows, so a cycle in the recorded provenance ends the recursion once every
step is known; with a depth limit the row carries its depth and the recursion stops there. On a
layered registry the tables read are the union views of both layers, so lineage crosses the
release boundary in both directions.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from ...domain.lineage import Direction, Edge
from .schema import Schema


def lineage_edges(connection: sa.Connection, schema: Schema, root: uuid.UUID, direction: Direction,
                  depth: int | None) -> list[Edge]:
    """Every step of the lineage of ``root`` in ``direction``, ``depth`` steps at most (None: no limit)."""
    # Going up, a known dataset is a quantum's output and the quantum's inputs are reached;
    # going down, a known dataset is an input and the outputs are reached.
    known, far = ((schema.quantum_output, schema.quantum_input) if direction is Direction.UP
                  else (schema.quantum_input, schema.quantum_output))
    first_known, first_far = known.alias("first_known"), far.alias("first_far")
    counted: list[Any] = [] if depth is None else [sa.literal(1, sa.Integer).label("depth")]
    anchor = (sa.select(first_known.c.quantum_id.label("quantum_id"), first_known.c.dataset_id.label("source"),
                        first_far.c.dataset_id.label("reached"), *counted)
              .select_from(first_known.outerjoin(first_far, first_far.c.quantum_id == first_known.c.quantum_id))
              .where(first_known.c.dataset_id == root))
    steps = anchor.cte("lineage_steps", recursive=True)
    next_known, next_far = known.alias("next_known"), far.alias("next_far")
    deeper: list[Any] = [] if depth is None else [(steps.c.depth + 1).label("depth")]
    step = (sa.select(next_known.c.quantum_id, next_known.c.dataset_id, next_far.c.dataset_id, *deeper)
            .select_from(steps.join(next_known, next_known.c.dataset_id == steps.c.reached)
                         .outerjoin(next_far, next_far.c.quantum_id == next_known.c.quantum_id)))
    if depth is not None:
        step = step.where(steps.c.depth < depth)
    steps = steps.union(step)
    query = sa.select(steps.c.quantum_id, steps.c.source, steps.c.reached).distinct()
    return [(quantum_id, source, reached) for quantum_id, source, reached in connection.execute(query)]
