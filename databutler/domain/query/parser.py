"""The recursive-descent parser of the where language.

Grammar (EBNF; keywords are case-insensitive, identifiers case-sensitive)::

    expression  = [ or_expr ] ;                     (* empty or blank text parses to None *)
    or_expr     = and_expr { "OR" and_expr } ;
    and_expr    = not_expr { "AND" not_expr } ;
    not_expr    = { "NOT" } predicate ;
    predicate   = "(" or_expr ")"
                | operand [ compare_op operand
                          | [ "NOT" ] "IN" "(" in_item { "," in_item } ")"
                          | "IS" [ "NOT" ] "NULL"
                          | "OVERLAPS" ( timespan | spatial | identifier | bind | time ) ] ;
    compare_op  = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ;
    operand     = identifier | bind | literal ;
    in_item     = range | literal | bind ;
    range       = integer ".." integer [ ":" unsigned ] ;      (* inclusive; stride > 0 *)
    timespan    = "(" bound "," bound ")" ;                     (* half-open [begin, end) *)
    bound       = time | bind | "NULL" ;                        (* NULL: unbounded *)
    literal     = integer | float | string | time | "TRUE" | "FALSE" ;
    integer     = [ "-" ] unsigned ;                             (* signed 64-bit *)
    float       = [ "-" ] digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;
    unsigned    = digits ;
    identifier  = name [ "." name ] ;           (* unit, unit.field, join_element.field *)
    name        = ( letter | "_" ) { letter | digit | "_" } ;   (* ASCII; not a keyword *)
    bind        = ":" name ;
    string      = "'" { char | "''" } "'" | '"' { char | '""' } '"' ;
    time        = ( "T" | "t" ) string ;    (* ISO 8601 date or date-time; offsets become UTC *)
    spatial     = ( "POINT" | "CIRCLE" | "BOX" | "POLYGON" | "REGION" ) "(" value { "," value } ")" ;
                                            (* degrees; see spatial.py; names case-insensitive *)

Strings escape their own quote by doubling it (``'it''s'``); a backslash is an ordinary
character. Times are instants in UTC: a literal with an offset is converted to UTC, one
without is taken to be UTC. NULL is not a value: test it with ``IS [NOT] NULL``. A bare
operand as a predicate must be boolean (checked on resolution). There is no arithmetic and
there are no comments, so ``--`` is a syntax error, not a comment.

Limits (``limits``): 10,000 characters, 64 levels of nested parentheses and NOTs, 10,000 IN
items, signed 64-bit integers, finite floats, no NUL in strings. Every failure raises a
subclass of QueryError carrying the 0-based position; none raises RecursionError.
"""

from __future__ import annotations

import functools

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
    Node,
    Not,
    Operand,
    Or,
    Overlaps,
    RangeItem,
    SpatialFunction,
    StringLiteral,
    TimeLiteral,
    TimespanLiteral,
)
from .errors import ExpressionError, ExpressionLimitError, ExpressionSyntaxError
from .limits import MAX_EXPRESSION_LENGTH, MAX_IN_ITEMS, MAX_NESTING_DEPTH, int64_problem
from .spatial_names import FUNCTIONS, MAX_POLYGON_VERTICES, argument_count_problem
from .tokens import Token, TokenKind, tokenize

_VALUE = "a value"
_CONDITION = "a condition"
_AFTER_OPERAND = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "IS", "OVERLAPS")


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    # -- token helpers ---------------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not TokenKind.END:
            self.index += 1
        return token

    def at(self, *kinds: TokenKind) -> bool:
        return self.tokens[self.index].kind in kinds

    def at_keyword(self, *words: str) -> bool:
        return self.at(TokenKind.KEYWORD) and self.current.value in words

    def fail(self, expected: tuple[str, ...], *, hint: str = "") -> ExpressionSyntaxError:
        """The error for the current token when one of ``expected`` should have been there."""
        token = self.current
        after = f" after {self.tokens[self.index - 1].describe()}" if self.index > 0 else ""
        reason = f"expected {_either(expected)}{after}"
        hint = f"found {token.describe()}" + (f"; {hint}" if hint else "")
        return ExpressionSyntaxError(reason, token.position, expected=expected, hint=hint)

    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING_DEPTH:
            raise ExpressionLimitError(f"expression nests more than {MAX_NESTING_DEPTH} levels of "
                                       "parentheses and NOT", token.position)

    # -- conditions ------------------------------------------------------------------------------

    def expression(self) -> Condition | None:
        if self.at(TokenKind.END):
            return None
        node = self.or_expr()
        if self.at(TokenKind.RPAREN):
            raise ExpressionSyntaxError("unmatched ')'", self.current.position,
                                        expected=("AND", "OR", "end of expression"))
        if not self.at(TokenKind.END):
            hint = "ranges such as 1..9 are only allowed in IN lists" if self.at(TokenKind.RANGE) else ""
            raise self.fail(self._continuations(node, top=True), hint=hint)
        return node

    def or_expr(self) -> Condition:
        start = self.current.position
        operands = [self.and_expr()]
        while self.at_keyword("OR"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands), position=start)

    def and_expr(self) -> Condition:
        start = self.current.position
        operands = [self.not_expr()]
        while self.at_keyword("AND"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands), position=start)

    def not_expr(self) -> Condition:
        nots: list[Token] = []
        while self.at_keyword("NOT"):
            self.nest(self.current)
            nots.append(self.advance())
        node = self.predicate()
        for token in reversed(nots):
            node = Not(node, position=token.position)
        self.depth -= len(nots)
        return node

    def predicate(self) -> Condition:
        token = self.current
        if token.kind is TokenKind.LPAREN:
            self.nest(token)
            self.advance()
            node = self.or_expr()
            if not self.at(TokenKind.RPAREN):
                raise self.fail(self._continuations(node, top=False))
            self.advance()
            self.depth -= 1
            return node
        left = self.operand(_CONDITION)
        current = self.current
        if current.kind is TokenKind.OPERATOR:
            self.advance()
            right = self.operand(_VALUE)
            return Comparison(current.value, left, right, position=left.position)
        if self.at_keyword("NOT"):
            self.advance()
            if not self.at_keyword("IN"):
                raise self.fail(("IN",), hint="NOT after a value must be followed by IN")
            return self.in_list(left, negated=True)
        if self.at_keyword("IN"):
            return self.in_list(left, negated=False)
        if self.at_keyword("IS"):
            self.advance()
            negated = self.at_keyword("NOT")
            if negated:
                self.advance()
            if not self.at_keyword("NULL"):
                raise self.fail(("NULL",) if negated else ("NULL", "NOT NULL"))
            self.advance()
            return IsNull(left, negated, position=left.position)
        if self.at_keyword("OVERLAPS"):
            self.advance()
            return Overlaps(left, self.overlaps_right(), position=left.position)
        return left

    def _continuations(self, node: Condition, *, top: bool) -> tuple[str, ...]:
        after = _AFTER_OPERAND if isinstance(node, Operand) and self._last_was_operand() else ()
        return (*after, "AND", "OR", "end of expression" if top else "')'")

    def _last_was_operand(self) -> bool:
        kind = self.tokens[self.index - 1].kind if self.index else None
        return kind in (TokenKind.IDENTIFIER, TokenKind.BIND, TokenKind.INTEGER, TokenKind.FLOAT,
                        TokenKind.STRING, TokenKind.TIME, TokenKind.KEYWORD)

    # -- operands --------------------------------------------------------------------------------

    def operand(self, what: str) -> Operand:
        token = self.current
        kind = token.kind
        if kind is TokenKind.IDENTIFIER:
            self.advance()
            parts = token.value
            if len(parts) > 2:
                raise ExpressionSyntaxError(f"{token.describe()} has more than one '.'", token.position,
                                            expected=("unit", "unit.field"),
                                            hint="write a DataUnit 'unit' or a field 'unit.field'")
            return Identifier(parts[0], parts[1] if len(parts) == 2 else None, position=token.position)
        if kind is TokenKind.BIND:
            self.advance()
            return Bind(token.value, position=token.position)
        if kind in (TokenKind.INTEGER, TokenKind.FLOAT, TokenKind.MINUS):
            return self.number()
        if kind is TokenKind.STRING:
            self.advance()
            return StringLiteral(token.value, position=token.position)
        if kind is TokenKind.TIME:
            self.advance()
            return TimeLiteral(token.value, position=token.position)
        if self.at_keyword("TRUE", "FALSE"):
            self.advance()
            return BooleanLiteral(token.value == "TRUE", position=token.position)
        expected = (what, "'('", "NOT") if what == _CONDITION else (what,)
        hint = "NULL is not a value: test for it with IS NULL or IS NOT NULL" if self.at_keyword("NULL") else ""
        raise self.fail(expected, hint=hint)

    def number(self) -> IntegerLiteral | FloatLiteral:
        start = self.current
        negative = False
        if start.kind is TokenKind.MINUS:
            self.advance()
            negative = True
            if not self.at(TokenKind.INTEGER, TokenKind.FLOAT):
                raise self.fail(("a number",), hint="'-' only negates a number")
        token = self.advance()
        value = -token.value if negative else token.value
        if token.kind is TokenKind.FLOAT:
            return FloatLiteral(value, position=start.position)
        problem = int64_problem(value)
        if problem is not None:
            raise ExpressionLimitError(problem, start.position)
        return IntegerLiteral(value, position=start.position)

    def integer(self, what: str) -> IntegerLiteral:
        if not self.at(TokenKind.INTEGER, TokenKind.MINUS):
            raise self.fail((what,))
        literal = self.number()
        if not isinstance(literal, IntegerLiteral):
            raise ExpressionSyntaxError("range bounds must be integers", literal.position, expected=(what,))
        return literal

    def in_list(self, left: Operand, *, negated: bool) -> InList:
        self.advance()  # IN
        if not self.at(TokenKind.LPAREN):
            raise self.fail(("'('",), hint="IN takes a parenthesised list such as (1, 2, 5..9)")
        self.advance()
        if self.at(TokenKind.RPAREN):
            raise ExpressionSyntaxError("an IN list needs at least one item", self.current.position,
                                        expected=(_VALUE,), hint="found ')'")
        items: list[InItem] = []
        while True:
            items.append(self.in_item())
            if len(items) > MAX_IN_ITEMS:
                raise ExpressionLimitError(f"IN list has more than {MAX_IN_ITEMS} items", items[-1].position,
                                           hint="pass long lists through a bind parameter or narrow the query")
            if self.at(TokenKind.COMMA):
                self.advance()
                continue
            if self.at(TokenKind.RPAREN):
                self.advance()
                return InList(left, tuple(items), negated, position=left.position)
            raise self.fail(("','", "')'"))

    def in_item(self) -> InItem:
        item = self.operand(_VALUE)
        if isinstance(item, Identifier):
            raise ExpressionSyntaxError("IN lists hold values, not fields", item.position, expected=(_VALUE,),
                                        hint=f"found {item}; if it is a value, quote it: '{item}'; "
                                             "to compare two fields, use '='")
        if not self.at(TokenKind.RANGE):
            return item
        if not isinstance(item, IntegerLiteral):
            raise ExpressionSyntaxError("range bounds must be integers", item.position, expected=("an integer",))
        self.advance()
        stop = self.integer("an integer")
        stride = 1
        if self.at(TokenKind.COLON):
            self.advance()
            if not self.at(TokenKind.INTEGER):
                raise self.fail(("a positive integer stride",))
            stride_literal = self.integer("a positive integer stride")
            stride = stride_literal.value
            if stride <= 0:
                raise ExpressionSyntaxError("a range stride must be positive", stride_literal.position,
                                            expected=("a positive integer stride",))
        if stop.value < item.value:
            raise ExpressionSyntaxError(f"range {item.value}..{stop.value} is reversed", item.position,
                                        hint=f"write {stop.value}..{item.value}")
        return RangeItem(item.value, stop.value, stride, position=item.position)

    def overlaps_right(self) -> Operand | TimespanLiteral | SpatialFunction:
        token = self.current
        if (token.kind is TokenKind.IDENTIFIER and len(token.value) == 1 and token.value[0].upper() in FUNCTIONS
                and self.index + 1 < len(self.tokens) and self.tokens[self.index + 1].kind is TokenKind.LPAREN):
            return self.spatial_function()
        if token.kind is TokenKind.LPAREN:
            self.advance()
            begin = self.time_bound()
            if not self.at(TokenKind.COMMA):
                raise self.fail(("','",), hint="a timespan is (begin, end)")
            self.advance()
            end = self.time_bound()
            if not self.at(TokenKind.RPAREN):
                raise self.fail(("')'",), hint="a timespan is (begin, end)")
            self.advance()
            if isinstance(begin, TimeLiteral) and isinstance(end, TimeLiteral) and end.value < begin.value:
                raise ExpressionSyntaxError("timespan ends before it begins", token.position,
                                            hint="write (begin, end) with begin <= end")
            return TimespanLiteral(begin, end, position=token.position)
        if token.kind in (TokenKind.IDENTIFIER, TokenKind.BIND, TokenKind.TIME):
            return self.operand(_VALUE)
        raise self.fail(("a timespan (begin, end)", "a time literal", "a field", "a bind parameter"))

    def spatial_function(self) -> SpatialFunction:
        token = self.advance()
        name = token.value[0].upper()
        self.advance()  # (
        arguments: list[Node] = []
        while True:
            if self.at(TokenKind.RPAREN) and not arguments:
                break
            argument = self.operand(_VALUE)
            if isinstance(argument, Identifier):
                raise ExpressionSyntaxError(f"{name} arguments are values, not fields", argument.position,
                                            expected=(_VALUE,), hint=f"write {name}{FUNCTIONS[name]}")
            arguments.append(argument)
            if len(arguments) > 2 * MAX_POLYGON_VERTICES:
                raise ExpressionLimitError(f"{name} has more than {2 * MAX_POLYGON_VERTICES} arguments",
                                           argument.position)
            if self.at(TokenKind.COMMA):
                self.advance()
                continue
            break
        if not self.at(TokenKind.RPAREN):
            raise self.fail(("','", "')'"), hint=f"write {name}{FUNCTIONS[name]}")
        self.advance()
        problem = argument_count_problem(name, len(arguments))
        if problem is not None:
            raise ExpressionSyntaxError(problem, token.position, hint=f"write {name}{FUNCTIONS[name]}")
        return SpatialFunction(name, tuple(arguments), position=token.position)

    def time_bound(self) -> TimeLiteral | Bind | None:
        token = self.current
        if token.kind is TokenKind.TIME:
            self.advance()
            return TimeLiteral(token.value, position=token.position)
        if token.kind is TokenKind.BIND:
            self.advance()
            return Bind(token.value, position=token.position)
        if self.at_keyword("NULL"):
            self.advance()
            return None
        raise self.fail(("a time literal", "a bind parameter", "NULL"))


def _either(options: tuple[str, ...]) -> str:
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + " or " + options[-1]


def parse_expression(text: str) -> Condition | None:
    """Parse a where expression into its syntax tree; empty or blank text gives None."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"a where expression must be a string, not {type(text).__name__}", 0)
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionLimitError(f"expression is {len(text)} characters long; the maximum is "
                                   f"{MAX_EXPRESSION_LENGTH}")
    # Trees are immutable, so a query run many times with different binds parses once; long
    # texts are not kept, so the cache stays small whatever callers send.
    return _parse_cached(text) if len(text) <= _CACHED_LENGTH else _parse(text)


_CACHED_LENGTH = 1_000


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str) -> Condition | None:
    return _parse(text)  # lru_cache keeps no exceptions: a bad expression is reported every time


def _parse(text: str) -> Condition | None:
    try:
        return _Parser(tokenize(text)).expression()
    except ExpressionError as err:
        err.attach(text)
        raise
