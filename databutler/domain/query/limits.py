"""The documented limits of the where language and the value checks shared by parser and binder.

Limits keep every expression cheap to parse, compile and run, and keep values inside what both
SQLite and PostgreSQL store, so a valid expression never fails later in the database.
"""

from __future__ import annotations

import datetime

from ..values import INT64_MAX, INT64_MIN, float_problem, int64_problem, string_problem

MAX_EXPRESSION_LENGTH = 10_000
"""Characters in one expression."""

MAX_NESTING_DEPTH = 64
"""Parentheses and NOTs nested inside one another."""

MAX_IN_ITEMS = 10_000
"""Items of one IN list, after bind parameters holding collections are expanded (a range is one)."""

MAX_STRING_LENGTH = 10_000
"""Characters of one bound string value."""

# The value rules are the domain's (the same for records, DataIds and bound values).
__all__ = ["INT64_MAX", "INT64_MIN", "MAX_EXPRESSION_LENGTH", "MAX_IN_ITEMS", "MAX_NESTING_DEPTH",
           "MAX_STRING_LENGTH", "float_problem", "int64_problem", "string_problem", "to_utc"]


def to_utc(value: datetime.datetime) -> datetime.datetime:
    """Return ``value`` as a naive UTC datetime (naive values are taken to be UTC already)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=None)
    return value.astimezone(datetime.UTC).replace(tzinfo=None)
