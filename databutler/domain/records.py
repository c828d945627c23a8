"""Pure rules on DataUnit and join-element records: validation, keys, and how a key is named in errors."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import ConflictingDefinitionError, DataIdError
from .region import same_value
from .universe import DataUnitType, FieldSpec, Universe
from .values import INT64_MAX, INT64_MIN, FieldType, KeyValue, Timespan, coerce_key, coerce_value, is_plain_valid

Key = tuple[KeyValue, ...]
"""The values of a record's key fields, in the universe's order."""
Implied = dict[str, KeyValue | None]
"""The implied unit values of one DataUnit record (visit -> physical_filter)."""
_Shape = tuple[dict[str, FieldSpec], tuple[str, ...], frozenset[str]]


def to_naive_utc(value: datetime.datetime | None) -> datetime.datetime | None:
    """Datetimes are kept naive, in UTC: an aware value is converted, a naive one kept as is."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def describe_key(units: Sequence[str], key: Key) -> str:
    """``visit 12 (instrument='Cam1')``: a key of the last of ``units`` with its context."""
    text = f"{units[-1]} {key[-1]!r}"
    if len(units) > 1:
        text += " (" + ", ".join(f"{u}={v!r}" for u, v in zip(units[:-1], key[:-1], strict=True)) + ")"
    return text


def distinct_keys(records: Iterable[Mapping[str, Any]], units: Sequence[str]) -> set[Key]:
    """The distinct keys of ``units`` that ``records`` name (records without all of them are skipped)."""
    keys: set[Key] = set()
    for record in records:
        key = tuple(record.get(u) for u in units)
        if None not in key:
            keys.add(key)  # type: ignore[arg-type]  # None was just ruled out
    return keys


class RecordRules:
    """Checks records of one universe's elements; the shape of each element is worked out once."""

    def __init__(self, universe: Universe) -> None:
        self._universe = universe
        self._shapes: dict[str, _Shape] = {}

    def _shape(self, name: str) -> _Shape:
        shape = self._shapes.get(name)
        if shape is None:
            element = self._universe.element(name)
            shape = self._shapes[name] = (
                {spec.name: spec for spec in self._universe.record_fields(name)}, self._universe.key_fields(name),
                frozenset(element.implies) if isinstance(element, DataUnitType) else frozenset())
        return shape

    def validate(self, name: str, record: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Return ``record`` of element ``name`` with every given field checked and converted.

        ``partial`` records (updates) need only their key fields; a field given as None must be nullable.
        """
        specs, keys, implied = self._shape(name)
        what = f"{name} record"
        if not isinstance(record, Mapping):
            raise DataIdError(f"{what}: expected a mapping of field names to values, got {type(record).__name__}")
        unknown = [f for f in record if f not in specs]
        if unknown:
            raise DataIdError(f"{what} {dict(record)!r}: unknown fields {unknown}; the fields of {name!r} are "
                              f"{list(specs)}")
        result: dict[str, Any] = {}
        for field in keys:
            if field not in record or record[field] is None:
                raise DataIdError(f"{what} {dict(record)!r}: missing the key field {field!r}; "
                                  f"{list(keys)} are required")
        for field, spec in specs.items():
            if field in record:
                value = record[field]
                if field in keys or (field in implied and value is not None):
                    if spec.type is FieldType.INT and type(value) is int and INT64_MIN <= value <= INT64_MAX:
                        result[field] = value
                    else:
                        result[field] = coerce_key(value, spec.type, f"{what} field {field!r}", spec.length)
                elif is_plain_valid(value, spec.type, spec.length):
                    result[field] = value
                else:
                    result[field] = _normalize(coerce_value(value, spec.type, f"{what} field {field!r}",
                                                            spec.length))
            elif not spec.nullable and not partial:
                raise DataIdError(f"{what} {dict(record)!r}: missing the required field {field!r}")
            if partial and not spec.nullable and field in record and record[field] is None:
                raise DataIdError(f"{what} {dict(record)!r}: field {field!r} cannot be empty (None)")
        return result

    def batch(self, name: str, records: Sequence[Mapping[str, Any]], *, partial: bool = False,
              skip_repeats: bool = False) -> dict[Key, dict[str, Any]]:
        """Validate ``records`` of ``name`` by key; a key given twice is refused (or, if identical and
        ``skip_repeats``, kept once)."""
        fields = self._shape(name)[1]
        batch: dict[Key, dict[str, Any]] = {}
        for record in records:
            checked = self.validate(name, record, partial=partial)
            key = tuple(checked[f] for f in fields)
            earlier = batch.get(key)
            if earlier is not None:
                if skip_repeats and earlier.keys() == checked.keys() and all(
                        same_value(earlier[f], checked[f]) for f in checked):
                    continue
                where = "the update; give each record once" if partial else "the batch; insert each record once"
                raise ConflictingDefinitionError(f"{name} record with key {dict(zip(fields, key, strict=True))} "
                                                 f"appears twice in {where}")
            batch[key] = checked
        return batch

    def keys(self, name: str, given: Sequence[Mapping[str, Any]]) -> list[Key]:
        """The coerced primary keys of ``name`` in ``given`` (a DataUnit's name may stand for its last key field)."""
        specs, fields, _ = self._shape(name)
        element = self._universe.element(name)
        alias = {name: fields[-1]} if isinstance(element, DataUnitType) else {}
        wanted: list[Key] = []
        for one in given:
            if not isinstance(one, Mapping):
                raise DataIdError(f"{name} key: expected a mapping, got {type(one).__name__}")
            unknown = [f for f in one if f not in specs and f not in alias]
            if unknown:
                raise DataIdError(f"{name} key {dict(one)!r}: unknown fields {unknown}; the key of "
                                  f"{name!r} is {list(fields)}")
            values = {alias.get(f, f): v for f, v in one.items()}
            missing = [f for f in fields if f not in values]
            if missing:
                raise DataIdError(f"{name} key {dict(one)!r}: missing {missing}; the key of {name!r} is "
                                  f"{list(fields)}")
            wanted.append(tuple(coerce_key(values[f], specs[f].type, f"{name} key field {f!r}", specs[f].length)
                                for f in fields))
        return wanted


def _normalize(value: Any) -> Any:
    """Bring a validated metadata value to its stored form: datetimes naive in UTC."""
    if isinstance(value, Timespan):
        return Timespan(to_naive_utc(value.begin), to_naive_utc(value.end))
    if isinstance(value, datetime.datetime):
        return to_naive_utc(value)
    return value
