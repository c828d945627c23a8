"""Compiling a resolved where expression to a SQLAlchemy Core condition, with bound parameters only.

Every literal of the tree becomes a bound parameter (``sa.literal`` with an explicit type), and
every column comes from the schema's table objects through the join plan, so no text of the
expression ever reaches the SQL. Semantics follow ``databutler.domain.query``: integer ranges
``a..b:s`` are ``BETWEEN a AND b`` with ``(x - a) % s = 0``; timespans are half-open
``[begin, end)`` with a NULL bound unbounded; ``A OVERLAPS B`` holds when each begins before the
other ends; an instant ``t`` is inside ``[begin, end)`` when ``begin <= t < end``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from ....domain.errors import QueryError
from ....domain.query import (
    And,
    BooleanLiteral,
    ColumnRef,
    Comparison,
    Condition,
    FloatLiteral,
    Identifier,
    InList,
    IntegerLiteral,
    IsNull,
    Node,
    Not,
    Or,
    Overlaps,
    RangeItem,
    ResolvedExpression,
    StringLiteral,
    TimeLiteral,
    TimespanLiteral,
)
from ....domain.universe import FieldSpec
from ....domain.values import FieldType
from ..schema import field_column_names
from .plan import Column, JoinPlan
from .spatial_where import matching_condition

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
Bounds = tuple[Column | None, Column | None]


def compile_condition(resolved: ResolvedExpression, plan: JoinPlan, names: Mapping[int, str] | None = None, *,
                      spatial: Mapping[int, tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] | None = None
                      ) -> sa.ColumnElement[bool] | None:
    """The SQL condition of ``resolved`` over the tables of ``plan`` (None for an empty expression).

    ``names`` maps literal nodes (by identity) to bind-parameter names: those literals become
    parameters without a value, to be given at execution (see ``cache``); others are inline.
    ``spatial`` gives the records matching each spatial OVERLAPS (see ``spatial_where``).
    """
    if resolved.node is None:
        return None
    if resolved.unbound:
        raise QueryError(f"bind parameters {', '.join(':' + n for n in resolved.unbound)} have no value")
    return _Compiler(resolved, plan, names or {}, spatial or {}).condition(resolved.node)


def column_of(plan: JoinPlan, ref: ColumnRef) -> Column:
    """The column holding a scalar field (a unit's key is read from whichever table carries it)."""
    if ref.unit_key is not None and ref.unit_key in plan.units:
        return plan.unit(ref.unit_key)
    return plan.tables[ref.element].c[ref.field]


def timespan_of(plan: JoinPlan, ref: ColumnRef) -> tuple[Column, Column]:
    """The begin and end columns of a timespan field."""
    table = plan.tables[ref.element]
    begin, end = (table.c[name] for name in field_column_names_of(ref))
    return begin, end


def field_column_names_of(ref: ColumnRef) -> tuple[str, ...]:
    """Column names storing the field a ColumnRef names."""
    return field_column_names(FieldSpec(ref.field, ref.type))


def literal(node: Node, name: str | None = None) -> Column:
    """A bound parameter holding a literal node's value (or, if ``name`` is given, named and empty), typed."""
    kind: sa.types.TypeEngine[Any]
    if isinstance(node, BooleanLiteral):
        kind = sa.Boolean()
    elif isinstance(node, IntegerLiteral):
        kind = sa.BigInteger()
    elif isinstance(node, FloatLiteral):
        kind = sa.Float(precision=53)
    elif isinstance(node, StringLiteral):
        kind = sa.String()
    elif isinstance(node, TimeLiteral):
        kind = sa.DateTime()
    else:
        raise QueryError(f"{node} cannot be used as a value here")
    if name is not None:
        return sa.bindparam(name, type_=kind)
    return sa.literal(node.value, kind)


class _Compiler:
    def __init__(self, resolved: ResolvedExpression, plan: JoinPlan, names: Mapping[int, str],
                 spatial: Mapping[int, tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]) -> None:
        self.resolved = resolved
        self.plan = plan
        self.names = names
        self.spatial = spatial

    def condition(self, node: Condition) -> sa.ColumnElement[bool]:
        if isinstance(node, And):
            return sa.and_(*(self.condition(c) for c in node.operands))
        if isinstance(node, Or):
            return sa.or_(*(self.condition(c) for c in node.operands))
        if isinstance(node, Not):
            return sa.not_(self.condition(node.operand))
        if isinstance(node, Comparison):
            return _OPERATORS[node.operator](self.operand(node.left), self.operand(node.right))  # type: ignore[no-any-return]
        if isinstance(node, InList):
            return self.in_list(node)
        if isinstance(node, IsNull):
            return self.is_null(node)
        if isinstance(node, Overlaps):
            return self.overlaps(node)
        if isinstance(node, BooleanLiteral):
            return sa.true() if node.value else sa.false()
        if isinstance(node, Identifier):
            return self.operand(node) == sa.true()
        raise QueryError(f"{node} is not a condition")

    def operand(self, node: Node) -> Column:
        if isinstance(node, Identifier):
            return column_of(self.plan, self.resolved.column(node))
        return literal(node, self.names.get(id(node)))

    def in_list(self, node: InList) -> sa.ColumnElement[bool]:
        operand = self.operand(node.operand)
        values: list[Column] = []
        alternatives: list[sa.ColumnElement[bool]] = []
        for item in node.items:
            if isinstance(item, RangeItem):
                alternatives.append(_in_range(operand, item))
            elif isinstance(item, IntegerLiteral | FloatLiteral | StringLiteral | BooleanLiteral | TimeLiteral):
                values.append(self.operand(item))
            else:
                raise QueryError(f"{item} cannot be an IN item")
        if values:
            alternatives.insert(0, operand.in_(values))
        condition = sa.or_(*alternatives) if len(alternatives) > 1 else alternatives[0]
        return sa.not_(condition) if node.negated else condition

    def is_null(self, node: IsNull) -> sa.ColumnElement[bool]:
        assert isinstance(node.operand, Identifier)
        ref = self.resolved.column(node.operand)
        if ref.type is FieldType.TIMESPAN:
            begin, end = timespan_of(self.plan, ref)
            test = sa.and_(begin.is_(None), end.is_(None))
            return sa.not_(test) if node.negated else test
        column = column_of(self.plan, ref)
        return column.is_not(None) if node.negated else column.is_(None)

    def side(self, node: Node) -> Bounds | Column:
        """A timespan side as (begin, end), or an instant as one column."""
        if isinstance(node, TimespanLiteral):
            return (None if node.begin is None else self.operand(node.begin),
                    None if node.end is None else self.operand(node.end))
        if isinstance(node, Identifier):
            ref = self.resolved.column(node)
            if ref.type is FieldType.TIMESPAN:
                return timespan_of(self.plan, ref)
        return self.operand(node)

    def overlaps(self, node: Overlaps) -> sa.ColumnElement[bool]:
        if id(node) in self.spatial:
            element, fields, keys = self.spatial[id(node)]
            return matching_condition(self.plan.tables[element], fields, keys)
        left, right = self.side(node.left), self.side(node.right)
        if not isinstance(left, tuple):
            left, right = right, left
        if not isinstance(left, tuple):
            raise QueryError(f"OVERLAPS needs a timespan on at least one side: {node}")
        if isinstance(right, tuple):
            return sa.and_(_before(left[0], right[1]), _before(right[0], left[1]))
        begin, end = left
        terms = [sa.or_(begin.is_(None), begin <= right) if begin is not None else sa.true(),
                 sa.or_(end.is_(None), right < end) if end is not None else sa.true()]
        return sa.and_(right.is_not(None), *terms)


def _before(begin: Column | None, end: Column | None) -> sa.ColumnElement[bool]:
    """``begin < end`` where a missing or NULL bound is unbounded."""
    if begin is None or end is None:
        return sa.true()
    return sa.or_(begin.is_(None), end.is_(None), begin < end)


def _in_range(operand: Column, item: RangeItem) -> sa.ColumnElement[bool]:
    start, stop = sa.literal(item.start, sa.BigInteger()), sa.literal(item.stop, sa.BigInteger())
    between = operand.between(start, stop)
    if item.stride == 1:
        return between
    # SQL's % truncates toward zero, so a negative value's remainder is r - stride, not r; comparing
    # with both needs no subtraction that could overflow 64 bits.
    remainder = item.start % item.stride
    stride = sa.literal(item.stride, sa.BigInteger())
    return sa.and_(between, (operand % stride).in_([remainder, remainder - item.stride]))
