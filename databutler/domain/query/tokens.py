"""The tokenizer of the where language: text to a list of tokens, or a located syntax error."""

from __future__ import annotations

import datetime
import enum
import re
import unicodedata
from typing import Any, NamedTuple

from .errors import ExpressionLimitError, ExpressionSyntaxError
from .limits import INT64_MAX, float_problem, string_problem, to_utc

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "OVERLAPS"})

_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.]+")
_OPERATORS = {"<>": "!=", "!=": "!=", "<=": "<=", ">=": ">=", "<": "<", ">": ">", "=": "="}
# One alternative per kind of token; _Scanner.run finishes the ones that need more than a match.
_SPACE = re.compile(r"[ \t\n\r\f\v]*")
_TOKEN = re.compile(r"""
    [ \t\n\r\f\v]*                 # leading whitespace, skipped with the token it precedes
    (?: (?P<time>[Tt](?=['"]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<quote>['"])
  | (?P<bind>:[A-Za-z_][A-Za-z0-9_]*)
  | (?P<colon>:)
  | (?P<range>\.\.)
  | (?P<operator><>|!=|<=|>=|==|[=<>!])
  | (?P<single>[(),-]) )
""", re.VERBOSE)


class TokenKind(enum.Enum):
    """What a token is; the value describes it in 'expected ...' messages."""

    IDENTIFIER = "a name"
    KEYWORD = "a keyword"
    INTEGER = "an integer"
    FLOAT = "a number"
    STRING = "a string"
    TIME = "a time literal"
    BIND = "a bind parameter"
    OPERATOR = "a comparison operator"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    RANGE = "'..'"
    COLON = "':'"
    MINUS = "'-'"
    END = "end of expression"


_SINGLE = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, ",": TokenKind.COMMA, "-": TokenKind.MINUS}


class Token(NamedTuple):
    """One token: its kind, source text and 0-based position, and its decoded value.

    ``value`` is the upper-cased keyword, the normalised operator, the name parts of an
    identifier (a tuple), the bind name, the int/float, the decoded string or the UTC datetime.
    """

    kind: TokenKind
    text: str
    position: int
    value: Any = None

    def describe(self) -> str:
        """The token as a message shows it: quoted source text, or 'end of expression'."""
        if self.kind is TokenKind.END:
            return "end of expression"
        text = self.text if len(self.text) <= 30 else self.text[:27] + "..."
        return repr(text)


def describe_character(char: str) -> str:
    """A character as a message shows it: quoted if printable, else its code point and name."""
    if char.isprintable() and not char.isspace():
        return repr(char)
    return f"U+{ord(char):04X} {unicodedata.name(char, '') or 'control character'}"


class _Scanner:
    """A single left-to-right pass over the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.tokens: list[Token] = []

    def peek(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""

    def run(self) -> list[Token]:
        text, tokens = self.text, self.tokens
        while True:
            match = _TOKEN.match(text, self.index)
            if match is None:
                space = _SPACE.match(text, self.index)
                start = space.end() if space else self.index
                if start == len(text):
                    break
                if text[start] == ".":
                    raise ExpressionSyntaxError("unexpected character '.'", start,
                                                hint="numbers start with a digit (write 0.5, not .5)")
                raise ExpressionSyntaxError(f"unexpected character {describe_character(text[start])}", start)
            kind = match.lastgroup or ""
            start, lexeme = match.start(kind), match.group(kind)
            self.index = match.end()
            if kind == "name":
                tokens.append(self.name(lexeme, start))
            elif kind == "number":
                tokens.append(self.number(lexeme, start))
            elif kind == "quote":
                self.index = start
                value = self.string()
                tokens.append(Token(TokenKind.STRING, text[start:self.index], start, value))
            elif kind == "time":
                tokens.append(self.time(start))
            elif kind == "bind":
                tokens.append(Token(TokenKind.BIND, lexeme, start, lexeme[1:]))
            elif kind == "colon":
                tokens.append(Token(TokenKind.COLON, lexeme, start))
            elif kind == "range":
                tokens.append(Token(TokenKind.RANGE, lexeme, start))
            elif kind == "single":
                tokens.append(Token(_SINGLE[lexeme], lexeme, start))
            else:
                tokens.append(self.operator(lexeme, start))
        tokens.append(Token(TokenKind.END, "", len(text)))
        return tokens

    def name(self, lexeme: str, start: int) -> Token:
        if self.peek(self.index) == "." and self.peek(self.index + 1) != ".":
            raise ExpressionSyntaxError(f"expected a field name after '{lexeme}.'", self.index + 1,
                                        expected=("a field name",))
        if "." in lexeme:
            return Token(TokenKind.IDENTIFIER, lexeme, start, tuple(lexeme.split(".")))
        upper = lexeme.upper()
        if upper in KEYWORDS:
            return Token(TokenKind.KEYWORD, lexeme, start, upper)
        return Token(TokenKind.IDENTIFIER, lexeme, start, (lexeme,))

    def number(self, lexeme: str, start: int) -> Token:
        following = self.peek(self.index)
        if (following.isascii() and (following.isalnum() or following == "_")) or (
                following == "." and self.peek(self.index + 1) != "."):
            tail = _NUMBER_TAIL.match(self.text, start)
            assert tail is not None
            raise ExpressionSyntaxError(f"malformed number {_clip(tail.group())!r}", start,
                                        hint="numbers look like 12, -3, 1.5 or 2.5e-3")
        if lexeme.isdigit():
            # Too many digits for int() (and for 64 bits) is refused before converting.
            significant = lexeme.lstrip("0")
            if len(significant) > 19 or int(significant or "0") > INT64_MAX + 1:
                raise ExpressionLimitError(f"integer {_clip(lexeme)} is outside the signed 64-bit range", start)
            return Token(TokenKind.INTEGER, lexeme, start, int(lexeme))
        value = float(lexeme)
        if float_problem(value) is not None:
            raise ExpressionLimitError(f"number {_clip(lexeme)} is out of range", start)
        return Token(TokenKind.FLOAT, lexeme, start, value)

    def string(self) -> str:
        """Scan a quoted string at the current index; a doubled quote stands for one quote."""
        start = self.index
        quote = self.text[start]
        pieces: list[str] = []
        index = start + 1
        while True:
            end = self.text.find(quote, index)
            if end < 0:
                raise ExpressionSyntaxError("unterminated string", start, expected=(f"a closing {quote}",),
                                            hint=f"close it with {quote} (write {quote}{quote} for a {quote} "
                                                 "inside the string)")
            pieces.append(self.text[index:end])
            if self.text.startswith(quote, end + 1):
                pieces.append(quote)
                index = end + 2
                continue
            self.index = end + 1
            break
        value = "".join(pieces)
        problem = string_problem(value)
        if problem is not None:
            raise ExpressionSyntaxError(problem, start)
        return value

    def time(self, start: int) -> Token:
        raw = self.string()
        hint = "write times in ISO 8601, such as T'2024-01-01' or T'2024-01-01T22:30:00'"
        try:
            value = to_utc(datetime.datetime.fromisoformat(raw.strip()))
        except (ValueError, OverflowError) as err:
            reason = str(err)
            detail = "" if reason.startswith("Invalid isoformat") else f" ({reason})"
            raise ExpressionSyntaxError(f"invalid time literal {_clip(raw)!r}{detail}", start, hint=hint) from None
        return Token(TokenKind.TIME, self.text[start:self.index], start, value)

    def operator(self, lexeme: str, start: int) -> Token:
        if lexeme == "==":
            raise ExpressionSyntaxError("unexpected '=='", start, hint="write a single '=' to compare")
        if lexeme == "!":
            raise ExpressionSyntaxError("unexpected character '!'", start, hint="write '!=' or '<>' for 'not equal'")
        return Token(TokenKind.OPERATOR, lexeme, start, _OPERATORS[lexeme])


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens ending with an END token; raise ExpressionSyntaxError if it cannot."""
    return _Scanner(text).run()
