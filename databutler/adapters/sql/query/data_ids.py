"""query_data_ids: distinct DataIds of some DataUnits, related through the universe."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ....domain.data_id import DataId
from ....domain.errors import QueryError
from ....domain.universe import Universe
from ....domain.values import FieldType
from ..id_lists import only_filtering
from ..schema import Schema
from .cache import StatementCache, parameter_names, parameter_values
from .constraints import Constraints
from .executor import SqlQuery, Streamer
from .expressions import compile_condition
from .ordering import sort_terms
from .plan import JoinPlan, Relation, plan_joins

BaseRelations = Callable[[], list[Relation]]


def constrained_plan(universe: Universe, schema: Schema, units: Sequence[str], constraints: Constraints,
                     base: Sequence[Relation], *, extra_units: Sequence[str] = (),
                     extra_records: Sequence[str] = ()) -> tuple[JoinPlan, list[sa.ColumnElement[bool]]]:
    """The plan joining ``units`` and ``base`` to what ``constraints`` mention, and the WHERE conditions.

    Every value is a named bind parameter; ``constraint_parameters`` gives their values.
    """
    plan = plan_joins(universe, schema, [*units, *constraints.units, *extra_units], base=base,
                      records=[*constraints.records, *extra_records])
    conditions = list(plan.conditions)
    for unit in constraints.data_id:
        kind = sa.String() if universe.unit(unit).key.type is FieldType.STRING else sa.BigInteger()
        conditions.append(plan.unit(unit) == sa.bindparam(f"d_{unit}", type_=kind))
    condition = compile_condition(constraints.resolved, plan, parameter_names(constraints.resolved.node),
                                  spatial=constraints.spatial)
    if condition is not None:
        conditions.append(condition)
    return plan, conditions


def semi_joins(plan: JoinPlan, bare: JoinPlan, base: Sequence[Relation]) -> list[sa.ColumnElement[bool]] | None:
    """``base`` as EXISTS conditions on ``bare`` (the plan without it), when they only filter ``plan``'s rows.

    A dataset relation in a data ID query says which DataIds have datasets. Joined, the database
    reads every dataset of each DataId before DISTINCT keeps one, and at 10^6 datasets PostgreSQL
    chose to hash all of a type's datasets in the chain (40-130 ms); EXISTS stops at the first.
    That is the same answer when the plan without ``base`` joins the same tables otherwise (``base``
    brought no DataUnit, relationship or record that the rest lacks) and no calibration search
    chooses by time.
    """
    if not base or any(r.calibration is not None for r in base):
        return None
    if set(bare.tables) != set(plan.tables) - {r.name for r in base}:
        return None
    filters: list[sa.ColumnElement[bool]] = []
    for relation in base:
        keys = [column == bare.units[unit] for unit, column in (*relation.required.items(), *relation.optional.items())
                if unit in plan.units]
        # Found by its DataUnits: the run list only filters (see only_filtering).
        conditions = [only_filtering(c) for c in relation.conditions]
        filters.append(sa.select(sa.literal(1)).select_from(relation.table)
                       .where(*conditions, *keys).offset(sa.literal_column("0")).exists())
    return filters


def constraint_parameters(constraints: Constraints, base: Sequence[Relation]) -> dict[str, Any]:
    """The values of the bind parameters ``constrained_plan`` named."""
    values: dict[str, Any] = {}
    for relation in base:
        values.update(relation.parameters)
    values.update((f"d_{unit}", value) for unit, value in constraints.data_id.items())
    values.update(parameter_values(constraints.resolved.node))
    return values


def cache_key(constraints: Constraints, base: Sequence[Relation], *parts: Hashable) -> Hashable | None:
    """The key of a built statement (None when it must not be reused)."""
    if constraints.key is None or not all(r.cacheable for r in base):
        return None
    # The parameter names say the statement's shape too: one run is "= :run", several "IN (:runs)".
    relations = tuple((r.name, tuple(r.required), tuple(r.optional), tuple(sorted(r.parameters))) for r in base)
    return (constraints.key, tuple(constraints.data_id), constraints.units, relations, *parts)


class DataIdQuery(SqlQuery[DataId]):
    """Distinct combinations of the key values of ``units`` (their required closure)."""

    action = "query data IDs"

    def __init__(self, streamer: Streamer, universe: Universe, schema: Schema, *, units: tuple[str, ...],
                 constraints: Constraints, base: Sequence[Relation], cache: StatementCache) -> None:
        super().__init__(streamer)
        self._cache = cache
        self._universe = universe
        self._schema = schema
        self._units = universe.closure(units)
        self._constraints = constraints
        self._base = list(base)

    @property
    def columns(self) -> tuple[str, ...]:
        """The DataUnits of each DataId."""
        return self._units

    def check_order(self, fields: Sequence[str]) -> None:
        """Fields must be resolvable names; fields of other units widen the join."""
        sort_terms(self._universe, fields)

    def parameters(self) -> dict[str, Any]:
        """Values of the data ID, the expression's literals and the dataset relations."""
        return constraint_parameters(self._constraints, self._base)

    def statement(self, order_by: Sequence[str]) -> sa.Select[Any]:
        """SELECT DISTINCT the unit columns, joined per the universe (reused when already built)."""
        key = cache_key(self._constraints, self._base, "data_ids", self._units, tuple(order_by))
        return self._cache.get_or_build(key, lambda: self._build(order_by))

    def _build(self, order_by: Sequence[str]) -> sa.Select[Any]:
        terms = sort_terms(self._universe, order_by)
        extra_units, extra_records = [u for t in terms for u in t.units], [e for t in terms for e in t.records]
        plan, conditions = constrained_plan(self._universe, self._schema, self._units, self._constraints, self._base,
                                            extra_units=extra_units, extra_records=extra_records)
        if self._base and all(r.calibration is None for r in self._base):
            try:
                bare, bare_conditions = constrained_plan(self._universe, self._schema, self._units, self._constraints,
                                                         (), extra_units=extra_units, extra_records=extra_records)
            except QueryError:  # only the datasets carry a unit (a skypix pixel): they stay joined
                bare, bare_conditions = plan, []
            filters = semi_joins(plan, bare, self._base)
            if filters is not None:
                plan, conditions = bare, [*bare_conditions, *filters]
        columns = [plan.unit(u).label(u) for u in self._units]
        sort = [t.clause(plan) for t in terms]
        keys = [plan.unit(u) for u in self._units]
        statement = sa.select(*columns).select_from(plan.from_clause).where(*conditions)
        if terms:
            # DISTINCT with ORDER BY on other columns is refused by PostgreSQL: group instead.
            return statement.group_by(*keys).order_by(*(_aggregate(c) for c in sort), *keys)
        return statement.distinct()

    def convert(self, connection: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[DataId]:
        """One DataId per row."""
        return [DataId({u: row[u] for u in self._units}) for row in rows]


def _aggregate(clause: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """MIN/MAX of a sort column, so it may follow a GROUP BY of other columns."""
    modifier = getattr(clause, "modifier", None)
    element = getattr(clause, "element", clause)
    if modifier is sa.sql.operators.desc_op:
        return sa.func.max(element).desc()
    return sa.func.min(element).asc()
