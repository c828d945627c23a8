"""The documented limits of the where language and the value checks shared by parser and binder.

Limits keep every expression cheap to parse, compile and run, and keep values inside what both
SQLite and PostgreSQL store, so a valid expression never fails later in the database.
"""

from __future__ import annotations

import datetime
import math

MAX_EXPRESSION_LENGTH = 10_000
"""Characters in one expression."""

MAX_NESTING_DEPTH = 64
"""Parentheses and NOTs nested inside one another."""

MAX_IN_ITEMS = 10_000
"""Items of one IN list, after bind parameters holding collections are expanded (a range is one)."""

MAX_STRING_LENGTH = 10_000
"""Characters of one bound string value."""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def int64_problem(value: int) -> str | None:
    """Why ``value`` is not a signed 64-bit integer, or None if it is."""
    if INT64_MIN <= value <= INT64_MAX:
        return None
    return f"integer {_clip(str(value))} is outside the signed 64-bit range [{INT64_MIN}, {INT64_MAX}]"


def float_problem(value: float) -> str | None:
    """Why ``value`` is not an acceptable float (NaN and infinities are not), or None."""
    return None if math.isfinite(value) else f"number {value!r} is not finite"


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot be a string value, or None: NUL and lone surrogates are refused."""
    # PostgreSQL text cannot hold NUL and no database can store a lone surrogate, so such a
    # value could never match anything; refusing it keeps both backends alike.
    if "\x00" in value:
        return "strings may not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "strings must be valid Unicode (no lone surrogate code points)"
    return None


def to_utc(value: datetime.datetime) -> datetime.datetime:
    """Return ``value`` as a naive UTC datetime (naive values are taken to be UTC already)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=None)
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
