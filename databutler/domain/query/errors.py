"""Errors of the where-expression language, each located in the expression text when possible."""

from __future__ import annotations

from typing import Any

from ..errors import QueryError
from ..remedies import PYTHON, Action, Remedy

_WINDOW = 72  # characters of the offending line shown around the caret


def _excerpt(text: str, position: int) -> tuple[str, str, int, int]:
    """The line holding ``position`` (clipped to a window), a caret line, and the line/column."""
    position = max(0, min(position, len(text)))
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line = text[line_start:len(text) if line_end < 0 else line_end]
    offset = position - line_start
    low = max(0, offset - _WINDOW // 2)
    high = min(len(line), low + _WINDOW)
    prefix = "..." if low > 0 else ""
    suffix = "..." if high < len(line) else ""
    # Non-printable characters (NUL, tabs, escapes) would shift or hide the caret: show them as '?'.
    shown = "".join(c if c.isprintable() else "?" for c in line[low:high])
    caret = " " * (len(prefix) + offset - low) + "^"
    return prefix + shown + suffix, caret, text.count("\n", 0, position) + 1, offset + 1


def _rebuild(cls: type[ExpressionError], state: dict[str, Any]) -> ExpressionError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    error.args = (error.render(),)
    return error


class ExpressionError(QueryError):
    """A where expression (or its bind values) is invalid, at ``position`` (0-based) when known."""

    location_first = False
    """Whether the message says where before the hint ("expected X at column 3; found Y")."""

    def __init__(self, reason: str, position: int | None = None, *, hint: str = "",
                 expression: str | None = None, remedy: Remedy | None = None) -> None:
        self.reason = reason
        self.position = position
        self.hint = hint
        self.expression = expression
        super().__init__(self.render(), remedy=remedy)

    @property
    def column(self) -> int | None:
        """The 1-based column of ``position`` within its line, or None when not located."""
        if self.position is None:
            return None
        if self.expression is None:
            return self.position + 1
        return _excerpt(self.expression, self.position)[3]

    def message(self, phrases: dict[Action, str] | None = None) -> str:
        """The message with the remedy (if any) as its hint, phrased by ``phrases`` (default: Python)."""
        if self.remedy is None:
            return self.plain_message()
        return self.render(self.remedy.phrase(PYTHON if phrases is None else phrases))

    def render(self, hint: str | None = None) -> str:
        """The message: reason, hint, location and (when the text is known) a caret under it."""
        hint = self.hint if hint is None else hint
        location = excerpt = ""
        if self.position is not None:
            if self.expression is None:
                location = f"column {self.position + 1}"
            else:
                shown, caret, line, column = _excerpt(self.expression, self.position)
                location = f"line {line}, column {column}" if "\n" in self.expression else f"column {column}"
                excerpt = f"\n    {shown}\n    {caret}"
        hint = f"; {hint}" if hint else ""
        if not location:
            return self.reason + hint
        if self.location_first:
            return f"{self.reason} at {location}{hint}{excerpt}"
        return f"{self.reason}{hint} (at {location}){excerpt}"

    def attach(self, expression: str) -> None:
        """Record the expression text, so the message shows it with a caret under the position."""
        if self.expression is None:
            self.expression = expression
            self.args = (self.render(),)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), dict(self.__dict__)))


class ExpressionSyntaxError(ExpressionError):
    """The text is not a valid expression; ``expected`` says what could have come at ``position``."""

    location_first = True

    def __init__(self, reason: str, position: int, *, expected: tuple[str, ...] = (), hint: str = "",
                 expression: str | None = None) -> None:
        self.expected = expected
        super().__init__(reason, position, hint=hint, expression=expression)


class ExpressionLimitError(ExpressionError):
    """The expression exceeds a documented limit (length, nesting, IN list size, 64-bit integers)."""

    location_first = True


class UnknownNameError(ExpressionError):
    """An identifier names no DataUnit, join element or field of the universe."""

    def __init__(self, reason: str, position: int | None = None, *, name: str, suggestions: tuple[str, ...] = (),
                 hint: str = "", expression: str | None = None) -> None:
        self.name = name
        self.suggestions = suggestions
        super().__init__(reason, position, hint=hint, expression=expression)


class ExpressionTypeError(ExpressionError):
    """Operands of a comparison, IN, IS NULL or OVERLAPS have types that cannot be combined."""


class OutOfScopeError(ExpressionError):
    """The expression refers to a DataUnit outside the units the query allows."""


class BindError(ExpressionError):
    """A bind parameter has no value, or its value is of a type the language does not accept."""

    def __init__(self, reason: str, position: int | None = None, *, name: str, hint: str = "",
                 expression: str | None = None, remedy: Remedy | None = None) -> None:
        self.name = name
        super().__init__(reason, position, hint=hint, expression=expression, remedy=remedy)
