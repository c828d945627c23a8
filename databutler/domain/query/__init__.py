"""The where-expression language: parse text to an immutable syntax tree, bind values, resolve names.

Typical use (``prepare_where`` does all three and puts a caret under any error)::

    node = parse_expression("visit.exposure_time > 30 AND detector IN (1..9, :extra)")
    node = bind_values(node, {"extra": [12, 14]})
    resolved = resolve_expression(node, universe)   # resolved.units, .elements, .columns

The grammar is in ``parser``, the value rules in ``bind``, the limits in ``limits``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..universe import Universe
from .ast import (
    And,
    Bind,
    BooleanLiteral,
    Comparison,
    Condition,
    FloatLiteral,
    Identifier,
    InItem,
    InList,
    IntegerLiteral,
    IsNull,
    LiteralNode,
    Node,
    Not,
    Operand,
    Or,
    Overlaps,
    RangeItem,
    StringLiteral,
    TimeLiteral,
    TimespanLiteral,
    walk,
)
from .bind import bind_values
from .errors import (
    BindError,
    ExpressionError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    ExpressionTypeError,
    OutOfScopeError,
    UnknownNameError,
)
from .limits import MAX_EXPRESSION_LENGTH, MAX_IN_ITEMS, MAX_NESTING_DEPTH, MAX_STRING_LENGTH
from .parser import parse_expression
from .resolve import ColumnRef, ResolvedExpression, resolve_expression


def prepare_where(text: str, universe: Universe, bind: Mapping[str, Any] | None = None, *,
                  units_in_scope: Iterable[str] | None = None) -> ResolvedExpression:
    """Parse, bind and resolve a where expression; errors show the text with a caret."""
    try:
        node = bind_values(parse_expression(text), bind)
        return resolve_expression(node, universe, units_in_scope=units_in_scope)
    except ExpressionError as err:
        if isinstance(text, str):
            err.attach(text)
        raise


__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "MAX_IN_ITEMS",
    "MAX_NESTING_DEPTH",
    "MAX_STRING_LENGTH",
    "And",
    "Bind",
    "BindError",
    "BooleanLiteral",
    "ColumnRef",
    "Comparison",
    "Condition",
    "ExpressionError",
    "ExpressionLimitError",
    "ExpressionSyntaxError",
    "ExpressionTypeError",
    "FloatLiteral",
    "Identifier",
    "InItem",
    "InList",
    "IntegerLiteral",
    "IsNull",
    "LiteralNode",
    "Node",
    "Not",
    "Operand",
    "Or",
    "OutOfScopeError",
    "Overlaps",
    "RangeItem",
    "ResolvedExpression",
    "StringLiteral",
    "TimeLiteral",
    "TimespanLiteral",
    "UnknownNameError",
    "bind_values",
    "parse_expression",
    "prepare_where",
    "resolve_expression",
    "walk",
]
