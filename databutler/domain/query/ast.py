"""The immutable syntax tree of a where expression.

Every node is an attrs frozen, hashable value. ``position`` (the 0-based offset of the node in
the source text) is kept for error messages but is not part of equality, so
``parse_expression(str(node)) == node`` for every tree the parser returns: ``str(node)`` renders
canonical text (upper-case keywords, single-quoted strings, ``!=`` for ``<>``, parentheses only
where needed). Canonical text is spaced, so it may be longer than the source; a rendering longer
than ``MAX_EXPRESSION_LENGTH`` is refused like any other over-long text.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import ClassVar

import attrs

COMPARISON_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")

_OR, _AND, _NOT, _PREDICATE = 1, 2, 3, 4


@attrs.frozen
class Node:
    """Base of every node: the source position, children for traversal, and a rendering precedence."""

    precedence: ClassVar[int] = _PREDICATE
    position: int = attrs.field(default=0, kw_only=True, eq=False, repr=False)

    def children(self) -> tuple[Node, ...]:
        """The nodes directly inside this one."""
        return ()


# -- operands ------------------------------------------------------------------------------------


@attrs.frozen
class Identifier(Node):
    """``unit`` (its key value), ``unit.field`` or ``join_element.field``."""

    element: str
    field: str | None = None

    def __str__(self) -> str:
        return self.element if self.field is None else f"{self.element}.{self.field}"


@attrs.frozen
class Bind(Node):
    """A bind parameter ``:name``, replaced by its value by ``bind_values``."""

    name: str

    def __str__(self) -> str:
        return f":{self.name}"


@attrs.frozen
class IntegerLiteral(Node):
    """A signed 64-bit integer."""

    value: int

    def __str__(self) -> str:
        return str(self.value)


@attrs.frozen
class FloatLiteral(Node):
    """A finite floating-point number."""

    value: float

    def __str__(self) -> str:
        return repr(self.value)  # always has '.' or 'e', so it reads back as a float


@attrs.frozen
class StringLiteral(Node):
    """A string; rendered in single quotes with embedded quotes doubled."""

    value: str

    def __str__(self) -> str:
        return "'" + self.value.replace("'", "''") + "'"


@attrs.frozen
class BooleanLiteral(Node):
    """TRUE or FALSE."""

    value: bool

    def __str__(self) -> str:
        return "TRUE" if self.value else "FALSE"


@attrs.frozen
class TimeLiteral(Node):
    """An instant, as a naive UTC datetime."""

    value: datetime.datetime

    def __str__(self) -> str:
        return f"T'{self.value.isoformat()}'"


@attrs.frozen
class TimespanLiteral(Node):
    """A half-open time interval ``(begin, end)``; a None bound (NULL) is unbounded."""

    begin: TimeLiteral | Bind | None
    end: TimeLiteral | Bind | None

    def children(self) -> tuple[Node, ...]:
        """The bounds that are not NULL."""
        return tuple(b for b in (self.begin, self.end) if b is not None)

    def __str__(self) -> str:
        return f"({'NULL' if self.begin is None else self.begin}, {'NULL' if self.end is None else self.end})"


@attrs.frozen
class SpatialFunction(Node):
    """``POINT(ra, dec)``, ``CIRCLE(ra, dec, radius)``, ``BOX(ra, dec, width, height)``, ``POLYGON(ra1, dec1, ...)``
    or ``REGION('IVOA POS')``: a region written in the expression, in degrees (the reference's syntax)."""

    function: str
    arguments: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        """The arguments."""
        return self.arguments

    def __str__(self) -> str:
        return f"{self.function}({', '.join(str(a) for a in self.arguments)})"


@attrs.frozen
class RegionLiteral(Node):
    """A region bound as a value (``:r`` holding an lsst.sphgeom Region), kept as its encoding."""

    encoded: bytes

    def __str__(self) -> str:
        return f"<region {self.encoded[:8].hex()}...>"


@attrs.frozen
class RangeItem(Node):
    """An inclusive integer range ``start..stop:stride`` inside an IN list."""

    start: int
    stop: int
    stride: int = 1

    def __str__(self) -> str:
        return f"{self.start}..{self.stop}" + (f":{self.stride}" if self.stride != 1 else "")


LiteralNode = IntegerLiteral | FloatLiteral | StringLiteral | BooleanLiteral | TimeLiteral
Operand = Identifier | Bind | LiteralNode
InItem = LiteralNode | Bind | RangeItem


# -- predicates ----------------------------------------------------------------------------------


@attrs.frozen
class Comparison(Node):
    """``left op right`` with op one of ``= != < <= > >=``."""

    operator: str
    left: Operand
    right: Operand

    def children(self) -> tuple[Node, ...]:
        """Both operands."""
        return (self.left, self.right)

    def __str__(self) -> str:
        return f"{self.left} {self.operator} {self.right}"


@attrs.frozen
class InList(Node):
    """``operand [NOT] IN (item, ...)``: items are literals, binds and integer ranges."""

    operand: Operand
    items: tuple[InItem, ...]
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        """The operand, then the items."""
        return (self.operand, *self.items)

    def __str__(self) -> str:
        keyword = "NOT IN" if self.negated else "IN"
        return f"{self.operand} {keyword} ({', '.join(str(i) for i in self.items)})"


@attrs.frozen
class IsNull(Node):
    """``operand IS [NOT] NULL``."""

    operand: Operand
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        """The operand."""
        return (self.operand,)

    def __str__(self) -> str:
        return f"{self.operand} IS {'NOT NULL' if self.negated else 'NULL'}"


@attrs.frozen
class Overlaps(Node):
    """``left OVERLAPS right``: timespans (or a timespan and an instant) that share an instant, or regions."""

    left: Operand | TimespanLiteral | SpatialFunction | RegionLiteral
    right: Operand | TimespanLiteral | SpatialFunction | RegionLiteral

    def children(self) -> tuple[Node, ...]:
        """Both sides."""
        return (self.left, self.right)

    def __str__(self) -> str:
        return f"{self.left} OVERLAPS {self.right}"


# -- logic ---------------------------------------------------------------------------------------


def _wrapped(node: Node, parent: int) -> str:
    return f"({node})" if node.precedence <= parent else str(node)


@attrs.frozen
class Not(Node):
    """``NOT condition``."""

    precedence: ClassVar[int] = _NOT
    operand: Condition

    def children(self) -> tuple[Node, ...]:
        """The negated condition."""
        return (self.operand,)

    def __str__(self) -> str:
        inner = str(self.operand)
        return f"NOT ({inner})" if self.operand.precedence < _NOT else f"NOT {inner}"


@attrs.frozen
class And(Node):
    """Two or more conditions that must all hold."""

    precedence: ClassVar[int] = _AND
    operands: tuple[Condition, ...]

    def children(self) -> tuple[Node, ...]:
        """The conditions, in order."""
        return self.operands

    def __str__(self) -> str:
        return " AND ".join(_wrapped(c, _AND) for c in self.operands)


@attrs.frozen
class Or(Node):
    """Two or more conditions of which at least one must hold."""

    precedence: ClassVar[int] = _OR
    operands: tuple[Condition, ...]

    def children(self) -> tuple[Node, ...]:
        """The conditions, in order."""
        return self.operands

    def __str__(self) -> str:
        return " OR ".join(_wrapped(c, _OR) for c in self.operands)


Condition = Or | And | Not | Comparison | InList | IsNull | Overlaps | Operand
"""A node that is true or false for a row; a bare operand must be boolean."""


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree under ``node`` (itself included), parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))
