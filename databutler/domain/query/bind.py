"""Substituting bind-parameter values into a where expression, checking each value's type.

After ``bind_values`` a tree holds no Bind node: every ``:name`` became the literal node of its
value (at the bind's position), so later steps see only literals and compile them to bound
SQL parameters. Values are data, never text to parse: quotes, ``;``, ``--`` in a string are
just characters of that string.

Accepted values: bool, int (and other ``numbers.Integral``, within signed 64 bits), finite
float (and other ``numbers.Real``), str (no NUL, at most ``MAX_STRING_LENGTH`` characters),
``datetime.datetime`` (an aware value is converted to UTC, a naive one is taken as UTC) and
``datetime.date`` (midnight UTC). As an IN item a bind may also hold a flat list, tuple, set or
other sized collection of those (not empty), or a ``range`` (its step becomes the stride).
Next to OVERLAPS it may hold a ``Timespan``, a ``(begin, end)`` pair of datetimes or None
(unbounded), or a single datetime. None, bytes, mappings, nested collections and other objects
are refused. A bind name the expression does not use is ignored, so one mapping can serve
several expressions; a name it uses but ``bind`` lacks is an error naming it.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import numbers
from collections.abc import Collection, Mapping
from typing import Any

import attrs

from ..errors import DataIdError
from ..region import Region, coerce_region, encode_region
from ..remedies import Action, Remedy
from ..values import Timespan
from .ast import (
    And,
    Bind,
    BooleanLiteral,
    Comparison,
    Condition,
    FloatLiteral,
    InItem,
    InList,
    IntegerLiteral,
    IsNull,
    LiteralNode,
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
from .errors import BindError, ExpressionLimitError
from .limits import MAX_IN_ITEMS, MAX_STRING_LENGTH, float_problem, int64_problem, string_problem, to_utc

_ALLOWED = "int, float, str, bool, datetime or date"
_NOT_COLLECTIONS = (str, bytes, bytearray, memoryview, Mapping)


def bind_values(node: Condition | None, bind: Mapping[str, Any] | None = None) -> Condition | None:
    """Return ``node`` with every bind parameter replaced by the literal node of its checked value."""
    if bind is None:
        bind = {}
    if not isinstance(bind, Mapping):  # refused even when the expression is empty: it is a mistake either way
        raise BindError(f"bind values must be a mapping from names to values, not {type(bind).__name__}", name="")
    if node is None:
        return None
    binds = [n for n in walk(node) if isinstance(n, Bind)]
    for found in binds:
        if found.name not in bind:
            hint, remedy = _missing_hint(found.name, bind)
            raise BindError(f"bind parameter ':{found.name}' has no value", found.position, name=found.name,
                            hint=hint, remedy=remedy)
    return _Binder(bind).condition(node) if binds else node


def _missing_hint(name: str, bind: Mapping[str, Any]) -> tuple[str, Remedy | None]:
    """A hint, or a remedy each front end phrases, for bind parameter ``name`` missing from ``bind``."""
    if f":{name}" in bind:
        return "", Remedy(Action.BIND_WITHOUT_COLON, name)
    given = [k for k in bind if isinstance(k, str)]
    close = difflib.get_close_matches(name, given, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?", None
    return "", Remedy(Action.BIND_VALUE, name)


class _Binder:
    def __init__(self, bind: Mapping[str, Any]) -> None:
        self.bind = bind

    def condition(self, node: Condition) -> Condition:
        if isinstance(node, And | Or):
            return attrs.evolve(node, operands=tuple(self.condition(c) for c in node.operands))
        if isinstance(node, Not):
            return attrs.evolve(node, operand=self.condition(node.operand))
        if isinstance(node, Comparison):
            return attrs.evolve(node, left=self.scalar(node.left), right=self.scalar(node.right))
        if isinstance(node, InList):
            return attrs.evolve(node, operand=self.scalar(node.operand), items=self.items(node))
        if isinstance(node, IsNull):
            return attrs.evolve(node, operand=self.scalar(node.operand))
        if isinstance(node, Overlaps):
            return attrs.evolve(node, left=self.timespan(node.left), right=self.timespan(node.right))
        return self.scalar(node)

    def scalar(self, node: Operand) -> Operand:
        if not isinstance(node, Bind):
            return node
        return _literal(node, self.bind[node.name])

    def items(self, node: InList) -> tuple[InItem, ...]:
        items: list[InItem] = []
        for item in node.items:
            if isinstance(item, Bind):
                items.extend(_in_items(item, self.bind[item.name]))
            else:
                items.append(item)
            if len(items) > MAX_IN_ITEMS:
                raise ExpressionLimitError(f"IN list has more than {MAX_IN_ITEMS} items once bind values are "
                                           "expanded", node.position, hint="narrow the query or split it")
        return tuple(items)

    def timespan(self, node: Operand | TimespanLiteral | SpatialFunction | RegionLiteral
                 ) -> Operand | TimespanLiteral | SpatialFunction | RegionLiteral:
        if isinstance(node, SpatialFunction):
            bound = tuple(self.scalar(a) for a in node.arguments)  # type: ignore[arg-type]
            return attrs.evolve(node, arguments=bound)
        if isinstance(node, TimespanLiteral):
            begin = self.bound(node.begin, node)
            end = self.bound(node.end, node)
            return _timespan(begin, end, node.position, None)
        if not isinstance(node, Bind):
            return node
        value = self.bind[node.name]
        if isinstance(value, Region | bytes | bytearray | memoryview):
            try:
                return RegionLiteral(encode_region(coerce_region(value, f"bind parameter ':{node.name}'")),
                                     position=node.position)
            except DataIdError as err:
                raise BindError(str(err), node.position, name=node.name) from None
        if isinstance(value, Timespan):
            value = (value.begin, value.end)
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise BindError(f"bind parameter ':{node.name}' is a sequence of {len(value)} items; a timespan "
                                "is a (begin, end) pair", node.position, name=node.name)
            begin, end = (None if v is None else _time(node, v) for v in value)
            return _timespan(begin, end, node.position, node.name)
        if isinstance(value, datetime.date):
            return _time(node, value)
        raise BindError(f"bind parameter ':{node.name}' holds {_kind(value)}; OVERLAPS takes a Timespan, a "
                        "(begin, end) pair of datetimes, a datetime or an lsst.sphgeom Region", node.position,
                        name=node.name)

    def bound(self, bound: TimeLiteral | Bind | None, node: TimespanLiteral) -> TimeLiteral | None:
        if not isinstance(bound, Bind):
            return bound
        value = self.bind[bound.name]
        return None if value is None else _time(bound, value)


def _timespan(begin: TimeLiteral | None, end: TimeLiteral | None, position: int, name: str | None) -> TimespanLiteral:
    if begin is not None and end is not None and end.value < begin.value:
        where = f"bind parameter ':{name}'" if name else "timespan"
        raise BindError(f"{where} ends ({end.value}) before it begins ({begin.value})", position, name=name or "")
    return TimespanLiteral(begin, end, position=position)


def _kind(value: Any) -> str:
    return f"a value of type {type(value).__name__}"


def _time(node: Bind, value: Any) -> TimeLiteral:
    if isinstance(value, datetime.datetime):
        try:
            return TimeLiteral(to_utc(value), position=node.position)
        except OverflowError:
            raise BindError(f"bind parameter ':{node.name}' holds a datetime that cannot be expressed in UTC",
                            node.position, name=node.name) from None
    if isinstance(value, datetime.date):
        return TimeLiteral(datetime.datetime.combine(value, datetime.time()), position=node.position)
    raise BindError(f"bind parameter ':{node.name}' holds {_kind(value)} where a datetime is needed",
                    node.position, name=node.name)


def _literal(node: Bind, value: Any) -> LiteralNode:
    """The literal node of one scalar bind value, or BindError saying why it is not acceptable."""
    name, position = node.name, node.position

    def refuse(reason: str, hint: str = "") -> BindError:
        return BindError(f"bind parameter ':{name}' {reason}", position, name=name, hint=hint)

    if value is None:
        raise refuse("is None", "NULL is not a value: test for it with IS NULL or IS NOT NULL")
    if isinstance(value, bool):
        return BooleanLiteral(value, position=position)
    if isinstance(value, numbers.Integral):
        number = int(value)
        problem = int64_problem(number)
        if problem is not None:
            raise refuse(f"holds an {problem}")
        return IntegerLiteral(number, position=position)
    if isinstance(value, numbers.Real):
        try:
            real = float(value)
        except (OverflowError, ValueError, TypeError):
            raise refuse("holds a number that is not a finite float") from None
        if float_problem(real) is not None:
            raise refuse(f"holds {real!r}, which is not a finite number")
        return FloatLiteral(real, position=position)
    if isinstance(value, str):
        problem = string_problem(value)
        if problem is not None:
            raise refuse(f"holds an invalid string: {problem}")
        if len(value) > MAX_STRING_LENGTH:
            raise refuse(f"holds a string of {len(value)} characters; the maximum is {MAX_STRING_LENGTH}")
        return StringLiteral(value, position=position)
    if isinstance(value, datetime.date):
        return _time(node, value)
    if isinstance(value, Timespan):
        raise refuse("holds a Timespan", "timespans are only allowed with OVERLAPS")
    if isinstance(value, Collection) and not isinstance(value, _NOT_COLLECTIONS):
        raise refuse(f"holds a collection ({type(value).__name__})", "collections are only allowed as IN items")
    raise refuse(f"holds {_kind(value)}", f"allowed values are {_ALLOWED} (lists of them in IN)")


def _in_items(node: Bind, value: Any) -> list[InItem]:
    """The IN items of one bind value: a scalar, a flat collection of scalars, or a range."""
    if isinstance(value, range):
        if not value:
            raise BindError(f"bind parameter ':{node.name}' is an empty range; an IN list needs at least one "
                            "value", node.position, name=node.name)
        low, high = (value[0], value[-1]) if value.step > 0 else (value[-1], value[0])
        for bound in (low, high, abs(value.step)):
            problem = int64_problem(bound)
            if problem is not None:
                raise BindError(f"bind parameter ':{node.name}' holds a range with an {problem}", node.position,
                                name=node.name)
        return [RangeItem(low, high, abs(value.step), position=node.position)]
    if not isinstance(value, Collection) or isinstance(value, _NOT_COLLECTIONS):
        return [_literal(node, value)]
    try:
        size = len(value)
    except TypeError:  # e.g. a zero-dimensional array
        return [_literal(node, value)]
    if size == 0:
        raise BindError(f"bind parameter ':{node.name}' is an empty {type(value).__name__}; an IN list needs at "
                        "least one value", node.position, name=node.name)
    if size > MAX_IN_ITEMS:
        raise ExpressionLimitError(f"bind parameter ':{node.name}' holds {size} values; an IN list takes at most "
                                   f"{MAX_IN_ITEMS}", node.position)
    values = list(value)
    if isinstance(value, set | frozenset):
        # A set has no order: sort it (when its values allow) so equal sets give equal trees.
        with contextlib.suppress(TypeError):
            values = sorted(values)
    items: list[InItem] = []
    for element in values[:MAX_IN_ITEMS]:
        if isinstance(element, Collection | Timespan | range) and not isinstance(element, _NOT_COLLECTIONS):
            raise BindError(f"bind parameter ':{node.name}' holds a nested {type(element).__name__}; IN takes "
                            "a flat list of values", node.position, name=node.name)
        items.append(_literal(node, element))
    return items
