"""Join planning: which tables a query needs and how they join, following the universe.

A query names DataUnits (the ones it returns plus those its expression mentions) and the
elements whose records it reads. The plan joins, in universe order: the query's base relations
(the dataset source of a dataset query), one table per DataUnit that no other table already
identifies, the tables of implied units that connect a mentioned unit to the query (visit ->
physical_filter -> band), the many-to-many join elements declared ``always_join`` that relate
the query's units (exposure<->visit, visit<->visit_system; a metadata-only element such as
visit_detector_region only when its records are read), and the record tables an
expression reads. Tables join on equality of the DataUnit columns they share, so foreign keys
(patch -> tract -> skymap) need no special case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from ....domain.errors import QueryError
from ....domain.universe import DataUnitType, JoinElement, Universe
from ..schema import Schema
from ..spatial_schema import SKYPIX_COLUMN
from .temporal import CalibrationSearch, overlap_condition, temporal_element

Column = sa.ColumnElement[Any]


@attrs.frozen
class Relation:
    """A table (or subquery) in a plan and the DataUnit values it carries."""

    name: str
    table: sa.FromClause
    required: Mapping[str, Column]
    """Units whose value every row holds (primary and foreign keys)."""
    optional: Mapping[str, Column] = attrs.field(factory=dict)
    """Implied units, whose value a row may lack (NULL)."""
    multiplies: bool = False
    """Whether joining it may repeat the rows of the other relations (a many-to-many table)."""
    conditions: tuple[sa.ColumnElement[bool], ...] = ()
    """Conditions on its own rows, ANDed into the query's WHERE clause."""
    parameters: Mapping[str, Any] = attrs.field(factory=dict)
    """Values of the named bind parameters in ``conditions``."""
    cacheable: bool = True
    """Whether a statement built on it may be reused with other ``parameters`` (see ``cache``)."""
    calibration: CalibrationSearch | None = None
    """For a deferred search of CALIBRATION collections: its ranks and validity ranges (see ``sources``)."""


@attrs.frozen
class JoinPlan:
    """The FROM clause of a query and where each DataUnit value and element record is found."""

    from_clause: sa.FromClause
    units: Mapping[str, Column]
    tables: Mapping[str, sa.FromClause]
    multiplies: bool
    """Whether a row of the first relation may appear more than once (a many-to-many join, or a
    later relation bringing units of its own: visit x detector for the records of detectors)."""
    conditions: tuple[sa.ColumnElement[bool], ...] = ()
    temporal: str | None = None
    """The DataUnit whose timespan a calibration search is joined to (see ``temporal``), if any."""

    def unit(self, name: str) -> Column:
        """The column holding DataUnit ``name``'s key value."""
        return self.units[name]


def element_relation(universe: Universe, schema: Schema, name: str) -> Relation:
    """The relation of one DataUnit's or join element's table."""
    element = universe.element(name)
    table = schema.elements[name]
    required: dict[str, Column] = {}
    for unit in universe.required(name):
        column = universe.unit(unit).key.name if unit == name else unit
        required[unit] = table.c[column]
    optional: dict[str, Column] = {}
    if isinstance(element, DataUnitType):
        optional = {u: table.c[u] for u in element.implies}
    return Relation(name, table, required, optional, multiplies=isinstance(element, JoinElement))


def plan_joins(universe: Universe, schema: Schema, units: Iterable[str], *, base: Sequence[Relation] = (),
               records: Iterable[str] = ()) -> JoinPlan:
    """Plan the joins relating ``units`` (their required closure), ``base`` and the ``records`` elements."""
    wanted = set(universe.closure(units))
    records = set(records)
    temporal = None
    if any(r.calibration is not None for r in base):  # a calibration search chooses by the time of this unit
        temporal = temporal_element(universe, wanted | {u for r in base for u in r.required})
        if temporal is not None:
            records.add(temporal)
            wanted |= set(universe.closure([temporal]))
    provided = {u for r in base for u in (*r.required, *r.optional)}
    forced = {u for u in records if u in wanted}
    for target in sorted(wanted - provided):
        for parent, child in _implication_path(universe, wanted - {target}, target):
            forced.add(parent)
            wanted.add(child)
    wanted = set(universe.closure(wanted))
    spatial = spatial_relations(universe, schema, wanted)
    provided |= {u for r in spatial for u in r.required}
    for unit in sorted(wanted - provided):
        if universe.is_skypix(unit):
            raise QueryError(f"{unit} is a skypix DataUnit without records: query it with a spatial element "
                             f"({', '.join(universe.topology.spatial_elements())}) or with datasets labelled by it")
    # A relationship (always_join) constrains every query it relates; a metadata-only element
    # (visit_detector_region) is joined only when the query reads its records. A stored join of
    # spatial elements (an overlap table typed in by hand) gives way to the computed overlaps.
    superseded = set(universe.topology.spatial_elements()) if spatial else set()
    joins = [universe.element(j.name) for j in universe.join_elements
             if j.name in records or (j.always_join and _relates(universe, j, wanted, provided)
                                      and not set(j.joins) <= superseded)]
    relations = [*base, *spatial]
    relations.extend(element_relation(universe, schema, j.name) for j in joins)
    covered = {u for r in relations for u in r.required}
    nonleaves = {u for v in wanted for u in universe.required(v) if u != v}
    for unit in universe.sort_names(wanted):
        if unit in forced or (unit not in nonleaves and unit not in covered):
            relations.append(element_relation(universe, schema, unit))
    plan = _join(universe, relations, wanted)
    if temporal is None:
        return plan
    overlaps = tuple(overlap_condition(r.calibration, plan.tables[temporal], universe, temporal)
                     for r in base if r.calibration is not None)
    return attrs.evolve(plan, conditions=(*plan.conditions, *overlaps), temporal=temporal)


def spatial_relations(universe: Universe, schema: Schema, units: set[str]) -> list[Relation]:
    """The computed-overlap relations joining the spatial families ``units`` reach (most precise element of each).

    An element of a family is present when the query has all the units that identify its records
    (``visit_detector_region`` with visit and detector, else ``visit``); two families present are
    related by the overlaps of their present elements, which the registry computed on insert.
    """
    if not schema.skypix:
        return []
    present = []
    for _, members in universe.topology.spatial:
        found = next((m for m in members if set(universe.required(m)) <= units), None)
        if found is not None:
            present.append(found)
    relations = []
    for i, first in enumerate(present):
        for second in present[i + 1:]:
            table = schema.spatial_pairs[(first, second)]
            required = {u: table.c[u] for u in (*universe.required(first), *universe.required(second))}
            relations.append(Relation(table.name, table, required, multiplies=True))
    for skypix in (u for u in units if universe.is_skypix(u)):
        for element in present:  # a skypix value relates to a record through the element's (exact) pixel index
            name = f"{schema.skypix[element].name}_{skypix}"
            index = schema.skypix[element].alias(name)
            required = {u: index.c[u] for u in universe.required(element)}
            required[skypix] = index.c[SKYPIX_COLUMN]
            relations.append(Relation(name, index, required, multiplies=True))
    return relations


def _implication_path(universe: Universe, sources: set[str], target: str) -> list[tuple[str, str]]:
    """The (implier, implied) edges from a unit of ``sources`` to ``target``, or [] if none leads there."""
    parents: dict[str, str] = {}
    frontier = sorted(sources)
    seen = set(sources)
    while frontier:
        following: list[str] = []
        for unit in frontier:
            for implied in universe.unit(unit).implies:
                if implied in seen:
                    continue
                seen.add(implied)
                parents[implied] = unit
                following.append(implied)
        frontier = following
    if target not in parents:
        return []
    path: list[tuple[str, str]] = []
    node = target
    while node in parents:
        path.append((parents[node], node))
        node = parents[node]
    return path[::-1]


def _relates(universe: Universe, join: JoinElement, units: set[str], provided: set[str]) -> bool:
    """Whether ``join`` relates units of the query that nothing else relates.

    Every joined unit must be in the query, or be represented by an ancestor of its own
    (``tract`` stands for ``patch`` in visit<->patch overlap); a join whose units the base
    relations already carry adds nothing.
    """
    if all(j in provided for j in join.joins) or not any(j in units for j in join.joins):
        return False
    for unit in join.joins:
        if unit in units:
            continue
        others = {u for k in join.joins if k != unit for u in universe.required(k)}
        own = set(universe.required(unit)) - {unit} - others
        if not own & units:
            return False
    return True


def _join(universe: Universe, relations: Sequence[Relation], wanted: set[str]) -> JoinPlan:
    established: dict[str, Column] = {}
    tables: dict[str, sa.FromClause] = {}
    from_clause: sa.FromClause | None = None
    multiplies = any(r.multiplies for r in relations)
    for relation in relations:
        if from_clause is not None and any(u in wanted and u not in established for u in relation.required):
            multiplies = True
        conditions = []
        for unit, column in (*relation.required.items(), *relation.optional.items()):
            if unit not in wanted:
                continue
            if unit in established:
                conditions.append(column == established[unit])
        if from_clause is None:
            from_clause = relation.table
        else:
            onclause = sa.and_(*conditions) if conditions else sa.true()
            from_clause = sa.join(from_clause, relation.table, onclause)
        for unit, column in relation.required.items():
            if unit in wanted:
                established.setdefault(unit, column)
        for unit, column in relation.optional.items():
            if unit in wanted:
                established.setdefault(unit, column)
        tables.setdefault(relation.name, relation.table)
    if from_clause is None:
        raise AssertionError("a query plan needs at least one relation")  # pragma: no cover
    missing = wanted - set(established)
    if missing:  # pragma: no cover - every wanted unit is a leaf of some relation by construction
        raise AssertionError(f"no relation carries {sorted(missing)}")
    return JoinPlan(from_clause, established, tables, multiplies,
                    tuple(c for r in relations for c in r.conditions))
