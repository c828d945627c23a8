"""Checking a where expression against a universe: names, types, and the elements it needs.

Every identifier must name a DataUnit (its key value), a field of a DataUnit's records
(``visit.exposure_time``, ``visit.id``, ``visit.instrument``) or a field of a join element
(``visit_detector_region.region``); a typo is an error naming the closest valid names. Types
are checked wherever both sides are known: numbers (int, float) compare with numbers, strings
with strings, times with times, booleans with = and != only; timespans go with OVERLAPS only;
regions cannot be compared. Bind parameters not yet bound are of unknown type and pass.

``units_in_scope`` is the set of DataUnits a query may constrain; None allows any. The caller
chooses what to pass: the query's units, their required closure (so ``tract`` is allowed in a
query of ``patch``), or None to let the expression widen the query (``ResolvedExpression.units``
then says which units to add). A key reference (``visit``, ``visit.id``, ``visit.instrument``)
needs only the unit whose key it is; any other field needs its element's record, and a join
element's field needs the units it joins.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType

import attrs

from ..universe import DataUnitType, FieldSpec, JoinElement, Universe
from ..values import FieldType
from .ast import (
    And,
    Bind,
    BooleanLiteral,
    Comparison,
    Condition,
    FloatLiteral,
    Identifier,
    InList,
    IntegerLiteral,
    IsNull,
    Node,
    Not,
    Operand,
    Or,
    Overlaps,
    RangeItem,
    RegionLiteral,
    SpatialFunction,
    StringLiteral,
    TimeLiteral,
    TimespanLiteral,
    walk,
)
from .errors import ExpressionTypeError, OutOfScopeError, UnknownNameError
from .spatial import region_of

_NUMBERS = frozenset({FieldType.INT, FieldType.FLOAT})
_ORDERING = frozenset({"<", "<=", ">", ">="})
_LITERAL_TYPES: Mapping[type[Node], FieldType] = {
    IntegerLiteral: FieldType.INT, FloatLiteral: FieldType.FLOAT, StringLiteral: FieldType.STRING,
    BooleanLiteral: FieldType.BOOL, TimeLiteral: FieldType.DATETIME, TimespanLiteral: FieldType.TIMESPAN,
    SpatialFunction: FieldType.REGION, RegionLiteral: FieldType.REGION,
}


@attrs.frozen
class ColumnRef:
    """Where an identifier's value is: field ``field`` of the records of ``element``.

    ``unit_key`` names the DataUnit whose key value this is (for ``visit``, ``visit.id`` and a
    required-unit field such as ``visit.instrument``), so a compiler may read it from any table
    carrying that unit's key instead of joining ``element``'s records.
    """

    element: str
    field: str
    type: FieldType
    unit_key: str | None = None


@attrs.frozen
class ResolvedExpression:
    """A checked expression and what it needs: its columns, DataUnits and element records."""

    node: Condition | None
    columns: Mapping[Identifier, ColumnRef] = attrs.field(factory=dict, hash=False)
    units: tuple[str, ...] = ()
    """DataUnits the expression refers to (for a join element, the units it joins), universe order."""
    elements: tuple[str, ...] = ()
    """Elements whose records must be joined to read a non-key field, universe order."""
    unbound: tuple[str, ...] = ()
    """Names of bind parameters still in the tree (bind them before compiling)."""

    def column(self, identifier: Identifier) -> ColumnRef:
        """The column an identifier of this expression resolved to."""
        return self.columns[identifier]


def resolve_expression(node: Condition | None, universe: Universe, *,
                       units_in_scope: Iterable[str] | None = None) -> ResolvedExpression:
    """Check ``node`` against ``universe``; with ``units_in_scope``, refuse references to other units."""
    if node is None:
        return ResolvedExpression(None)
    resolver = _Resolver(universe, None if units_in_scope is None else frozenset(units_in_scope))
    resolver.condition(node)
    unbound = sorted({n.name for n in walk(node) if isinstance(n, Bind)})
    return ResolvedExpression(node, resolver.columns, universe.sort_names(resolver.units),
                              universe.sort_names(resolver.elements), tuple(unbound))


def _describe(node: Node, kind: FieldType | None) -> str:
    text = str(node)
    if len(text) > 40:
        text = text[:37] + "..."
    return text if kind is None else f"{text} ({kind.value})"


class _Resolver:
    def __init__(self, universe: Universe, scope: Collection[str] | None) -> None:
        self.universe = universe
        self.scope = scope
        self.columns: dict[Identifier, ColumnRef] = {}
        self.units: set[str] = set()
        self.elements: set[str] = set()

    # -- conditions ------------------------------------------------------------------------------

    def condition(self, node: Node) -> None:
        if isinstance(node, And | Or):
            for operand in node.operands:
                self.condition(operand)
        elif isinstance(node, Not):
            self.condition(node.operand)
        elif isinstance(node, Comparison):
            self.comparison(node)
        elif isinstance(node, InList):
            self.in_list(node)
        elif isinstance(node, IsNull):
            if not isinstance(node.operand, Identifier):
                raise ExpressionTypeError(f"IS NULL applies to fields, not to {node.operand}", node.position)
            self.type_of(node.operand)
        elif isinstance(node, Overlaps):
            self.overlaps(node)
        elif isinstance(node, Identifier | Bind | IntegerLiteral | FloatLiteral | StringLiteral | BooleanLiteral
                        | TimeLiteral):
            kind = self.type_of(node)
            if kind not in (None, FieldType.BOOL):
                raise ExpressionTypeError(f"{_describe(node, kind)} is not a condition", node.position,
                                          hint="compare it with =, <, IN ... to make one")
        else:
            raise ExpressionTypeError(f"{node} is not a condition", node.position)

    def comparison(self, node: Comparison) -> None:
        self.check_value(node.right, node.left, node.operator)
        self.check_value(node.left, node.right, node.operator, value_first=True)
        left, right = self.type_of(node.left), self.type_of(node.right)
        for side, kind in ((node.left, left), (node.right, right)):
            self.check_comparable(side, kind)
        if not _compatible(left, right):
            culprit = node.left if isinstance(node.right, Identifier) else node.right
            raise ExpressionTypeError(f"cannot compare {_describe(node.left, left)} with "
                                      f"{_describe(node.right, right)}", culprit.position,
                                      hint=_mismatch_hint(node.left, left, node.right, right))
        if node.operator in _ORDERING and FieldType.BOOL in (left, right):
            raise ExpressionTypeError(f"booleans can only be compared with = or !=, not {node.operator}",
                                      node.position)

    def check_comparable(self, node: Operand, kind: FieldType | None) -> None:
        if kind is FieldType.TIMESPAN:
            raise ExpressionTypeError(f"{_describe(node, None)} is a timespan, which = < > cannot compare",
                                      node.position,
                                      hint="use OVERLAPS with a timespan (begin, end) or a time")
        if kind is FieldType.REGION:
            raise ExpressionTypeError(f"{_describe(node, kind)} is a region, which cannot be compared",
                                      node.position, hint="regions can only be tested with IS NULL")

    def in_list(self, node: InList) -> None:
        kind = self.type_of(node.operand)
        self.check_comparable(node.operand, kind)
        for item in node.items:
            if isinstance(item, RangeItem):
                if kind not in (None, FieldType.INT):
                    raise ExpressionTypeError(f"range {item} needs an integer, but "
                                              f"{_describe(node.operand, kind)} is not", item.position)
                continue
            item_kind = self.type_of(item)
            if not _compatible(kind, item_kind):
                raise ExpressionTypeError(f"{_describe(node.operand, kind)} cannot be IN a list holding "
                                          f"{_describe(item, item_kind)}", item.position,
                                          hint=_mismatch_hint(node.operand, kind, item, item_kind))

    def overlaps(self, node: Overlaps) -> None:
        allowed = (None, FieldType.TIMESPAN, FieldType.DATETIME)
        left, right = self.type_of(node.left), self.type_of(node.right)
        if FieldType.REGION in (left, right):
            self.spatial_overlaps(node, left, right)
            return
        for side, kind in ((node.left, left), (node.right, right)):
            if kind not in allowed:
                raise ExpressionTypeError(f"OVERLAPS needs timespans or times, not {_describe(side, kind)}",
                                          side.position)
        if left is FieldType.DATETIME and right is FieldType.DATETIME:
            raise ExpressionTypeError("OVERLAPS needs a timespan on at least one side, not two times",
                                      node.position, hint="compare two times with = < > instead")

    def spatial_overlaps(self, node: Overlaps, left: FieldType | None, right: FieldType | None) -> None:
        """``element.region OVERLAPS <region>``: a region field on the left, a written or bound region on the right."""
        field, value = node.left, node.right
        if not (isinstance(field, Identifier) and left is FieldType.REGION):
            raise ExpressionTypeError(f"OVERLAPS with a region needs a region field on its left, not {field}",
                                      field.position, hint="write e.g. visit.region OVERLAPS POINT(ra, dec)")
        if not isinstance(value, SpatialFunction | RegionLiteral):
            raise ExpressionTypeError(f"{field} (region) OVERLAPS needs a region on its right: POINT, CIRCLE, BOX, "
                                      f"POLYGON, REGION or a bound lsst.sphgeom Region, not {value}",
                                      value.position, hint="two elements' regions are related by querying both: "
                                                           "query_data_ids(('visit', 'patch'))")
        region_of(value)  # its values are checked here, where the error can point at them

    # -- operands --------------------------------------------------------------------------------

    def check_value(self, value: Node, field: Node, operator: str, *, value_first: bool = False) -> None:
        """Refuse a bare unknown name on the value side of a comparison with a field, suggesting quotes.

        ``instrument = Cam1`` most likely means the string 'Cam1', not a DataUnit called Cam1.
        """
        if not (isinstance(value, Identifier) and value.field is None and value.element not in self.universe
                and isinstance(field, Identifier) and self.known(field)):
            return
        quoted = f"'{value.element}'"
        example = f"{quoted} {operator} {field}" if value_first else f"{field} {operator} {quoted}"
        close = _close(value.element, [u.name for u in self.universe.units])
        hint = f"if {value.element!r} is a value, quote it: {example}"
        if close:
            hint += f"; if it is a DataUnit, {_did_you_mean(close)}"
        raise UnknownNameError(f"unknown DataUnit {value.element!r}", value.position, name=value.element,
                               suggestions=(quoted, *close), hint=hint)

    def known(self, node: Identifier) -> bool:
        """Whether ``node`` names a DataUnit, join element or field of the universe."""
        if node.element not in self.universe:
            return False
        return node.field is None or node.field in _field_table(self.universe, node.element)

    def type_of(self, node: Node) -> FieldType | None:
        if isinstance(node, Identifier):
            return self.identifier(node).type
        if isinstance(node, Bind):
            return None
        return _LITERAL_TYPES.get(type(node))

    def identifier(self, node: Identifier) -> ColumnRef:
        known = self.columns.get(node)
        if known is not None:
            return known
        element = self.element(node)
        if node.field is None:
            if isinstance(element, JoinElement):
                names = ", ".join(f"{element.name}.{f.name}" for f in self.universe.record_fields(element.name))
                raise UnknownNameError(f"{element.name!r} is a join element, not a DataUnit", node.position,
                                       name=element.name, hint=f"name one of its fields: {names}")
            ref = ColumnRef(element.name, element.key.name, element.key.type, element.name)
        else:
            fields = _field_table(self.universe, element.name)
            spec = fields.get(node.field)
            if spec is None:
                close = _close(node.field, fields)
                hint = _did_you_mean(close) if close else "its fields are " + ", ".join(fields)
                raise UnknownNameError(f"{element.name!r} has no field {node.field!r}", node.position,
                                       name=str(node), suggestions=close, hint=hint)
            unit_key = None
            if isinstance(element, DataUnitType) and node.field == element.key.name:
                unit_key = element.name
            elif node.field in self.universe.required(element.name):
                unit_key = node.field
            ref = ColumnRef(element.name, node.field, spec.type, unit_key)
        self.record(node, ref, element)
        return ref

    def element(self, node: Identifier) -> DataUnitType | JoinElement:
        if node.element in self.universe:
            return self.universe.element(node.element)
        if node.field is None:
            pool: list[str] = [u.name for u in self.universe.units]
            what = "DataUnit"
        else:
            pool = [e.name for e in self.universe.elements]
            what = "DataUnit or join element"
        close = _close(node.element, pool)
        if node.field is None:
            # A bare metadata field name ("exposure_time") most likely lacks its unit: suggest unit.field first.
            owners = tuple(f"{e.name}.{node.element}" for e in self.universe.elements
                           if any(f.name == node.element for f in e.metadata))
            close = owners + tuple(c for c in close if c not in owners)
        hint = _did_you_mean(close) if close else f"known {what}s are " + ", ".join(pool)
        raise UnknownNameError(f"unknown {what} {node.element!r}", node.position, name=node.element,
                               suggestions=close, hint=hint)

    def record(self, node: Identifier, ref: ColumnRef, element: DataUnitType | JoinElement) -> None:
        if ref.unit_key is not None:
            needed: tuple[str, ...] = (ref.unit_key,)
        else:
            self.elements.add(element.name)
            needed = (element.name,) if isinstance(element, DataUnitType) else element.joins
        if self.scope is not None:
            outside = [u for u in needed if u not in self.scope]
            if outside:
                names = ", ".join(repr(u) for u in outside)
                raise OutOfScopeError(f"'{node}' refers to DataUnit{'s' if len(outside) > 1 else ''} {names}, "
                                      "which this query does not include", node.position,
                                      hint=f"its DataUnits are {', '.join(sorted(self.scope)) or 'none'}; "
                                           "add the missing ones to the query")
        self.units.update(needed)
        self.columns[node] = ref


@functools.lru_cache(maxsize=256)
def _field_table(universe: Universe, element: str) -> Mapping[str, FieldSpec]:
    """The record fields of ``element`` by name (universes are immutable, so this is cached)."""
    return MappingProxyType({f.name: f for f in universe.record_fields(element)})


def _close(name: str, pool: Iterable[str]) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(name, list(pool), n=3, cutoff=0.5))


def _did_you_mean(names: tuple[str, ...]) -> str:
    return "did you mean " + " or ".join(repr(n) for n in names) + "?"


def _compatible(left: FieldType | None, right: FieldType | None) -> bool:
    if left is None or right is None or left is right:
        return True
    return left in _NUMBERS and right in _NUMBERS


def _mismatch_hint(left: Node, left_kind: FieldType | None, right: Node, right_kind: FieldType | None) -> str:
    for field, field_kind, value in ((left, left_kind, right), (right, right_kind, left)):
        if not isinstance(field, Identifier):
            continue
        if field_kind is FieldType.STRING and isinstance(value, IntegerLiteral | FloatLiteral):
            return f"{field} is a string: quote the value, as '{value}'"
        if field_kind in _NUMBERS and isinstance(value, StringLiteral):
            return f"{field} is a number: write it without quotes"
        if field_kind is FieldType.DATETIME and isinstance(value, StringLiteral):
            return f"write a time as T{value}"
    return ""
