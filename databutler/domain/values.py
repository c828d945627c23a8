"""Value types of DataUnit keys and metadata fields, and their validation."""

from __future__ import annotations

import contextlib
import datetime
import enum
import math
import operator
import unicodedata
from typing import Any

import attrs

from .errors import DataIdError
from .region import coerce_region

KeyValue = int | str
"""The type of a DataUnit key value in a DataId."""


class FieldType(enum.Enum):
    """The type of a DataUnit key or metadata field."""

    INT = "int"
    STRING = "string"
    FLOAT = "float"
    BOOL = "bool"
    DATETIME = "datetime"
    TIMESPAN = "timespan"
    REGION = "region"


KEY_TYPES = frozenset({FieldType.INT, FieldType.STRING})

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
"""Integers are stored in signed 64-bit columns (BIGINT), on every backend."""


def int64_problem(value: int) -> str | None:
    """Why ``value`` is not a signed 64-bit integer, or None if it is."""
    if INT64_MIN <= value <= INT64_MAX:
        return None
    return f"integer {shown(value)} is outside the signed 64-bit range [{INT64_MIN}, {INT64_MAX}]"


def float_problem(value: float) -> str | None:
    """Why ``value`` is not an acceptable float (NaN and infinities are not), or None."""
    return None if math.isfinite(value) else f"number {shown(value)} is not finite"


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot be a string value, or None: NUL and lone surrogates are refused."""
    # PostgreSQL text cannot hold NUL and no database can store a lone surrogate (it is not
    # UTF-8), so refusing them keeps both backends alike and keeps driver errors out.
    if value.isascii():
        return "strings may not contain NUL characters" if "\x00" in value else None
    if "\x00" in value:
        return "strings may not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "strings must be valid Unicode (no lone surrogate code points)"
    return None


def clip(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` characters (with "...") for an error message."""
    return text if len(text) <= width else text[: width - 3] + "..."


def shown(value: Any, width: int = 80) -> str:
    """``repr(value)`` for an error message: clipped, and never an exception itself."""
    if type(value) is int and not -(10**40) < value < 10**40:  # str() of a huge int is slow, or refused
        return f"{'-' if value < 0 else ''}<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
    try:
        return clip(repr(value), width)
    except Exception:  # a repr that fails (an int of more than 4300 digits, a hostile __repr__)
        return f"<a {type(value).__name__}>"


def is_plain_valid(value: Any, field_type: FieldType, length: int | None) -> bool:
    """Whether metadata ``value`` is a plain str/int/float/bool (or None) that ``coerce_value`` keeps as it is.

    The cheap test bulk inserts use to skip ``coerce_value`` for values that need no conversion.
    """
    if value is None:
        return True
    kind = type(value)
    if kind is str:
        return (field_type is FieldType.STRING and (length is None or len(value) <= length)
                and string_problem(value) is None)
    if kind is int:
        return field_type is FieldType.INT and INT64_MIN <= value <= INT64_MAX
    if kind is float:
        return field_type is FieldType.FLOAT and math.isfinite(value)
    return kind is bool and field_type is FieldType.BOOL


def as_utc(value: datetime.datetime) -> datetime.datetime:
    """``value`` as a naive UTC datetime (aware values are converted, naive ones taken as UTC).

    DataIdError if it has no UTC time (an aware time on 0001-01-01 east of UTC or 9999-12-31 west of it).
    """
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    except OverflowError:
        raise DataIdError(f"{value.isoformat()} is outside the datetimes that can be stored (years 1 to 9999, "
                          "in UTC)") from None


def _optional_utc(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is not None and not isinstance(value, datetime.datetime):
        raise DataIdError(f"a timespan bound must be a datetime or None, not {shown(value)}")
    return None if value is None else as_utc(value)


@attrs.frozen
class Timespan:
    """A half-open interval of time [begin, end); either bound may be open (None)."""

    begin: datetime.datetime | None = attrs.field(converter=_optional_utc)
    end: datetime.datetime | None = attrs.field(converter=_optional_utc)

    def __attrs_post_init__(self) -> None:
        if self.begin is not None and self.end is not None and self.end < self.begin:
            raise DataIdError(f"timespan end {self.end} is before its begin {self.begin}")

    def overlaps(self, other: Timespan) -> bool:
        """Return whether the two intervals share any instant."""
        starts_before_other_ends = self.begin is None or other.end is None or self.begin < other.end
        ends_after_other_starts = self.end is None or other.begin is None or other.begin < self.end
        return starts_before_other_ends and ends_after_other_starts


def _as_datetime(value: Any, what: str) -> datetime.datetime:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not ISO 8601: refused below
            value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        try:
            return as_utc(value)
        except DataIdError as err:
            raise DataIdError(f"{what}: {err}") from None
    raise DataIdError(f"{what}: expected a datetime or ISO 8601 string, got {shown(value)}")


_VALID_KEY_STRINGS: set[tuple[str, int | None]] = set()
"""Key strings already found valid (with their length limit): bulk inserts repeat a few values."""
_VALID_KEY_STRINGS_LIMIT = 100_000


def check_key_string(value: str, what: str, max_length: int | None = None) -> str:
    """Return ``value`` if it is a safe key string: no backslash, NUL, control chars or path-like parts.

    ``/`` is allowed between parts (the reference's skymap ``discrete/ci_hsc``), but not to make
    an empty, ``.`` or ``..`` part: file templates encode it, and a value never reads as a path that climbs.
    """
    if (value, max_length) in _VALID_KEY_STRINGS:
        return value
    if not value:
        raise DataIdError(f"{what}: an empty string is not a valid key value")
    for char in value:
        if char == "\\" or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            raise DataIdError(
                f"{what}: {shown(value)} contains {char!r}; key values may not contain backslashes, "
                "control characters or lone surrogates"
            )
    if any(part in ("", ".", "..") for part in value.split("/")):
        raise DataIdError(f"{what}: {shown(value)} is not a valid key value (path-like: '/' may only join "
                          "parts that are not empty, '.' or '..')")
    if max_length is not None and len(value) > max_length:
        raise DataIdError(f"{what}: {shown(value)} is longer than {max_length} characters")
    if len(_VALID_KEY_STRINGS) >= _VALID_KEY_STRINGS_LIMIT:
        _VALID_KEY_STRINGS.clear()
    _VALID_KEY_STRINGS.add((value, max_length))
    return value


def coerce_key(value: Any, field_type: FieldType, what: str, max_length: int | None = None) -> KeyValue:
    """Return ``value`` as a key of ``field_type``, or raise DataIdError naming ``what``."""
    if field_type is FieldType.INT:
        if isinstance(value, bool | str | float):
            raise DataIdError(f"{what}: expected an integer, got {type(value).__name__} {shown(value)}")
        try:
            number = operator.index(value)
        except TypeError:
            raise DataIdError(
                f"{what}: expected an integer, got {type(value).__name__} {shown(value)}"
            ) from None
        problem = int64_problem(number)
        if problem is not None:
            raise DataIdError(f"{what}: {problem}")
        return number
    if not isinstance(value, str):
        raise DataIdError(f"{what}: expected a string, got {type(value).__name__} {shown(value)}")
    return check_key_string(value, what, max_length)


def _text(value: str, what: str) -> str:
    problem = string_problem(value)
    if problem is not None:
        raise DataIdError(f"{what}: {problem}")
    return value


def coerce_value(value: Any, field_type: FieldType, what: str, max_length: int | None = None) -> Any:
    """Return a metadata ``value`` converted to ``field_type``, or raise DataIdError."""
    if value is None:
        return None
    if field_type in KEY_TYPES:
        if field_type is FieldType.STRING:
            if not isinstance(value, str):
                raise DataIdError(f"{what}: expected a string, got {type(value).__name__} {shown(value)}")
            if max_length is not None and len(value) > max_length:
                raise DataIdError(f"{what}: longer than {max_length} characters")
            return _text(value, what)
        return coerce_key(value, field_type, what)
    if field_type is FieldType.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value)
            except (TypeError, ValueError, OverflowError):
                raise DataIdError(f"{what}: expected a number, got {shown(value)}") from None
        try:
            number = float(value)
        except OverflowError:
            raise DataIdError(f"{what}: {shown(value)} is too large for a float") from None
        problem = float_problem(number)
        if problem is not None:
            raise DataIdError(f"{what}: {problem}")
        return number
    if field_type is FieldType.BOOL:
        if not isinstance(value, bool):
            raise DataIdError(f"{what}: expected a bool, got {shown(value)}")
        return value
    if field_type is FieldType.DATETIME:
        return _as_datetime(value, what)
    if field_type is FieldType.TIMESPAN:
        if isinstance(value, Timespan):
            return value
        if isinstance(value, list | tuple) and len(value) == 2:
            begin = None if value[0] is None else _as_datetime(value[0], what)
            end = None if value[1] is None else _as_datetime(value[1], what)
            try:
                return Timespan(begin, end)
            except ValueError as err:
                raise DataIdError(f"{what}: {err}") from None
        raise DataIdError(f"{what}: expected a Timespan or (begin, end), got {shown(value)}")
    if field_type is FieldType.REGION:
        return coerce_region(value, what)
    raise AssertionError(field_type)  # pragma: no cover
