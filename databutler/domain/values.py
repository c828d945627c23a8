"""Value types of DataUnit keys and metadata fields, and their validation."""

from __future__ import annotations

import datetime
import enum
import operator
import unicodedata
from typing import Any

import attrs

from .errors import DataIdError

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


def as_utc(value: datetime.datetime) -> datetime.datetime:
    """``value`` as a naive UTC datetime (aware values are converted, naive ones taken as UTC)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _optional_utc(value: datetime.datetime | None) -> datetime.datetime | None:
    return None if value is None else as_utc(value)


@attrs.frozen
class Timespan:
    """A half-open interval of time [begin, end); either bound may be open (None)."""

    begin: datetime.datetime | None = attrs.field(converter=_optional_utc)
    end: datetime.datetime | None = attrs.field(converter=_optional_utc)

    def __attrs_post_init__(self) -> None:
        if self.begin is not None and self.end is not None and self.end < self.begin:
            raise ValueError(f"timespan end {self.end} is before its begin {self.begin}")

    def overlaps(self, other: Timespan) -> bool:
        """Return whether the two intervals share any instant."""
        starts_before_other_ends = self.begin is None or other.end is None or self.begin < other.end
        ends_after_other_starts = self.end is None or other.begin is None or other.begin < self.end
        return starts_before_other_ends and ends_after_other_starts


def _as_datetime(value: Any, what: str) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return as_utc(value)
    if isinstance(value, str):
        try:
            return as_utc(datetime.datetime.fromisoformat(value))
        except ValueError:
            pass
    raise DataIdError(f"{what}: expected a datetime or ISO 8601 string, got {value!r}")


_VALID_KEY_STRINGS: set[tuple[str, int | None]] = set()
"""Key strings already found valid (with their length limit): bulk inserts repeat a few values."""
_VALID_KEY_STRINGS_LIMIT = 100_000


def check_key_string(value: str, what: str, max_length: int | None = None) -> str:
    """Return ``value`` if it is a safe key string: no path separators, NUL or control chars."""
    if (value, max_length) in _VALID_KEY_STRINGS:
        return value
    if not value:
        raise DataIdError(f"{what}: an empty string is not a valid key value")
    if value in (".", ".."):
        raise DataIdError(f"{what}: {value!r} is not a valid key value (path-like)")
    for char in value:
        if char in "/\\" or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise DataIdError(
                f"{what}: {value!r} contains {char!r}; key values may not contain path "
                "separators or control characters"
            )
    if max_length is not None and len(value) > max_length:
        raise DataIdError(f"{what}: {value!r} is longer than {max_length} characters")
    if len(_VALID_KEY_STRINGS) >= _VALID_KEY_STRINGS_LIMIT:
        _VALID_KEY_STRINGS.clear()
    _VALID_KEY_STRINGS.add((value, max_length))
    return value


def coerce_key(value: Any, field_type: FieldType, what: str, max_length: int | None = None) -> KeyValue:
    """Return ``value`` as a key of ``field_type``, or raise DataIdError naming ``what``."""
    if field_type is FieldType.INT:
        if isinstance(value, bool | str | float):
            raise DataIdError(f"{what}: expected an integer, got {type(value).__name__} {value!r}")
        try:
            return operator.index(value)
        except TypeError:
            raise DataIdError(
                f"{what}: expected an integer, got {type(value).__name__} {value!r}"
            ) from None
    if not isinstance(value, str):
        raise DataIdError(f"{what}: expected a string, got {type(value).__name__} {value!r}")
    return check_key_string(value, what, max_length)


def coerce_value(value: Any, field_type: FieldType, what: str, max_length: int | None = None) -> Any:
    """Return a metadata ``value`` converted to ``field_type``, or raise DataIdError."""
    if value is None:
        return None
    if field_type in KEY_TYPES:
        if field_type is FieldType.STRING:
            if not isinstance(value, str):
                raise DataIdError(f"{what}: expected a string, got {type(value).__name__} {value!r}")
            if max_length is not None and len(value) > max_length:
                raise DataIdError(f"{what}: longer than {max_length} characters")
            return value
        return coerce_key(value, field_type, what)
    if field_type is FieldType.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise DataIdError(f"{what}: expected a number, got {value!r}") from None
        return float(value)
    if field_type is FieldType.BOOL:
        if not isinstance(value, bool):
            raise DataIdError(f"{what}: expected a bool, got {value!r}")
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
        raise DataIdError(f"{what}: expected a Timespan or (begin, end), got {value!r}")
    if field_type is FieldType.REGION:
        if not isinstance(value, str):
            raise DataIdError(f"{what}: expected a region encoded as a string, got {value!r}")
        return value
    raise AssertionError(field_type)  # pragma: no cover
