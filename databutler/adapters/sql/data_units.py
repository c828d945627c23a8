"""DataUnit and join-element records: validation, insertion, lookup and DataId expansion."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.data_id import DataId, normalize_data_id
from ...domain.errors import ConflictingDefinitionError, DataIdError
from ...domain.remedies import Action, Remedy
from ...domain.universe import DataUnitType, FieldSpec, Universe
from ...domain.values import (
    INT64_MAX,
    INT64_MIN,
    FieldType,
    KeyValue,
    Timespan,
    coerce_key,
    coerce_value,
    is_plain_valid,
)
from .dialect import chunks, insert_ignoring_conflicts
from .layout import Layout
from .schema import to_db_datetime

Key = tuple[KeyValue, ...]
Implied = dict[str, KeyValue | None]
_Shape = tuple[dict[str, FieldSpec], tuple[str, ...], frozenset[str], bool]

_CACHE_LIMIT = 200_000
"""Entries kept per unit in the positive existence cache before it is emptied and refilled."""


def describe_key(units: Sequence[str], key: Key) -> str:
    """``visit 12 (instrument='Cam1')``: a key of the last of ``units`` with its context."""
    text = f"{units[-1]} {key[-1]!r}"
    if len(units) > 1:
        text += " (" + ", ".join(f"{u}={v!r}" for u, v in zip(units[:-1], key[:-1], strict=True)) + ")"
    return text


class DataUnitManager:
    """Reads and writes the tables of DataUnits and join elements for one universe.

    Records are insert-only, so every key found in the database is remembered (with the implied
    values of its record); a key not found is always looked up again.
    """

    def __init__(self, universe: Universe, layout: Layout) -> None:
        self._universe = universe
        self._schema = layout.reads
        self._writes = layout.writes
        self._known: dict[str, dict[Key, Implied]] = {u.name: {} for u in universe.units}
        self._expanded: dict[tuple[Any, ...], Mapping[str, KeyValue]] = {}
        self._order = {e.name: i for i, e in enumerate(universe.elements)}
        self._shapes: dict[str, _Shape] = {}
        self._plans: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...],
                                                 tuple[tuple[str, tuple[str, ...]], ...]]] = {}

    def clear_cache(self) -> None:
        """Forget every remembered key (after a rollback, the remembered rows may be gone)."""
        for cache in self._known.values():
            cache.clear()
        self._expanded.clear()

    # -- records <-> rows ---------------------------------------------------------------------

    def _specs(self, name: str) -> dict[str, FieldSpec]:
        return self._shape(name)[0]

    def _shape(self, name: str) -> _Shape:
        """Element ``name``'s field specs, key fields, implied units and whether any field is a Timespan (cached)."""
        shape = self._shapes.get(name)
        if shape is None:
            element = self._universe.element(name)
            specs = {spec.name: spec for spec in self._universe.record_fields(name)}
            shape = self._shapes[name] = (
                specs, self._universe.key_fields(name),
                frozenset(element.implies) if isinstance(element, DataUnitType) else frozenset(),
                any(spec.type is FieldType.TIMESPAN for spec in specs.values()))
        return shape

    def validate_record(self, name: str, record: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Return ``record`` of element ``name`` with every given field checked and converted.

        ``partial`` records (updates) need only their key fields; a field given as None must be nullable.
        """
        specs, keys, implied, _ = self._shape(name)
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

    def relink(self, name: str, implied: Mapping[Key, Implied]) -> None:
        """Remember new implied values for these keys of unit ``name``; forget every expanded DataId."""
        if name in self._known:
            self._known[name].update(implied)
        self._expanded.clear()

    def to_row(self, name: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """The table row of a validated record of element ``name``."""
        return self._to_row(name, record)

    def _to_row(self, name: str, record: Mapping[str, Any]) -> dict[str, Any]:
        specs, _, _, has_timespan = self._shape(name)
        if not has_timespan:  # one column per field
            return {field: record.get(field) for field in specs}
        row: dict[str, Any] = {}
        for spec in specs.values():
            value = record.get(spec.name)
            if spec.type is FieldType.TIMESPAN:
                row[f"{spec.name}_begin"] = None if value is None else value.begin
                row[f"{spec.name}_end"] = None if value is None else value.end
            else:
                row[spec.name] = value
        return row

    def _from_row(self, name: str, row: sa.RowMapping) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for spec in self._universe.record_fields(name):
            if spec.type is FieldType.TIMESPAN:
                begin, end = row[f"{spec.name}_begin"], row[f"{spec.name}_end"]
                record[spec.name] = None if begin is None and end is None else Timespan(begin, end)
            else:
                record[spec.name] = row[spec.name]
        return record

    # -- lookups ------------------------------------------------------------------------------

    def _key_where(self, table: sa.Table, fields: Sequence[str], keys: Sequence[Key]) -> sa.ColumnElement[bool]:
        if len(fields) == 1:
            return table.c[fields[0]].in_([k[0] for k in keys])
        return sa.tuple_(*(table.c[f] for f in fields)).in_(keys)

    def lookup(self, connection: sa.Connection, unit: str, keys: Iterable[Key]) -> dict[Key, Implied]:
        """The implied values of the records of ``unit`` with these keys; unknown keys are absent."""
        cache = self._known[unit]
        found: dict[Key, Implied] = {}
        missing: list[Key] = []
        for key in keys:
            hit = cache.get(key)
            if hit is None:
                missing.append(key)
            else:
                found[key] = hit
        if not missing:
            return found
        table = self._schema.elements[unit]
        fields = self._universe.key_fields(unit)
        implies = self._universe.unit(unit).implies
        columns = [table.c[f] for f in (*fields, *implies)]
        if len(cache) + len(missing) > _CACHE_LIMIT:
            cache.clear()
        for part in chunks(missing):
            for row in connection.execute(sa.select(*columns).where(self._key_where(table, fields, part))):
                key = tuple(row[:len(fields)])
                implied = dict(zip(implies, row[len(fields):], strict=True))
                cache[key] = implied
                found[key] = implied
        return found

    def fetch(self, connection: sa.Connection, name: str,
              keys: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
        """Records of element ``name`` with the given keys, in key order (all records if None)."""
        element = self._universe.element(name)
        table = self._schema.elements[name]
        fields = self._universe.key_fields(name)
        if keys is None:
            query = sa.select(table).order_by(*(table.c[f] for f in fields))
            return [self._from_row(name, row) for row in connection.execute(query).mappings()]
        specs = self._specs(name)
        wanted: list[Key] = []
        for given in keys:
            if not isinstance(given, Mapping):
                raise DataIdError(f"{name} key: expected a mapping, got {type(given).__name__}")
            alias = {name: fields[-1]} if isinstance(element, DataUnitType) else {}
            unknown = [f for f in given if f not in specs and f not in alias]
            if unknown:
                raise DataIdError(f"{name} key {dict(given)!r}: unknown fields {unknown}; the key of "
                                  f"{name!r} is {list(fields)}")
            values = {alias.get(f, f): v for f, v in given.items()}
            missing = [f for f in fields if f not in values]
            if missing:
                raise DataIdError(f"{name} key {dict(given)!r}: missing {missing}; the key of {name!r} is "
                                  f"{list(fields)}")
            wanted.append(tuple(coerce_key(values[f], specs[f].type, f"{name} key field {f!r}", specs[f].length)
                                for f in fields))
        by_key: dict[Key, dict[str, Any]] = {}
        unique = list(dict.fromkeys(wanted))
        for part in chunks(unique):
            for row in connection.execute(sa.select(table).where(self._key_where(table, fields, part))).mappings():
                by_key[tuple(row[f] for f in fields)] = self._from_row(name, row)
        return [by_key[k] for k in unique if k in by_key]

    # -- inserts ------------------------------------------------------------------------------

    def insert(self, connection: sa.Connection, name: str, records: Sequence[Mapping[str, Any]],
               skip_existing: bool) -> int:
        """Insert records of element ``name``; return how many were new (see Registry.insert_data_units)."""
        element = self._universe.element(name)
        fields = self._universe.key_fields(name)
        batch: dict[Key, dict[str, Any]] = {}
        for record in records:
            checked = self.validate_record(name, record)
            key = tuple(checked[f] for f in fields)
            earlier = batch.get(key)
            if earlier is not None:
                if skip_existing and earlier == checked:
                    continue
                raise ConflictingDefinitionError(f"{name} record with key {dict(zip(fields, key, strict=True))} "
                                                 "appears twice in the batch; insert each record once")
            batch[key] = checked
        if not batch:
            return 0
        self.populate(connection, name, batch.values())
        self.check_parents(connection, name, batch.values())
        maybe_present = list(batch)
        if isinstance(element, DataUnitType):  # a cheap key probe first; full records only for those found
            known = self.lookup(connection, name, maybe_present)
            maybe_present = [k for k in maybe_present if k in known]
        existing = {tuple(r[f] for f in fields): r for r in self.fetch(
            connection, name, [dict(zip(fields, k, strict=True)) for k in maybe_present])} if maybe_present else {}
        new: list[dict[str, Any]] = []
        for key, record in batch.items():
            old = existing.get(key)
            if old is None:
                new.append(record)
                continue
            different = {f: (old.get(f), v) for f, v in record.items() if old.get(f) != v}
            if skip_existing and not different:
                continue
            detail = f"with different values (existing, given): {different}" if different else "already"
            raise ConflictingDefinitionError(f"{name} record with key {dict(zip(fields, key, strict=True))} "
                                             f"exists {detail}",
                                             remedy=None if different else Remedy(Action.SKIP_EXISTING))
        if new:
            connection.execute(self._writes.elements[name].insert(), [self._to_row(name, r) for r in new])
            if isinstance(element, DataUnitType):
                cache = self._known[name]
                for record in new:
                    cache[tuple(record[f] for f in fields)] = {i: record.get(i) for i in element.implies}
        return len(new)

    def populate(self, connection: sa.Connection, name: str, records: Iterable[dict[str, Any]]) -> None:
        """Insert the records of units ``populated_by`` element ``name`` that its records name."""
        for unit in self._universe.units:
            if unit.populated_by != name:
                continue
            required = self._universe.required(unit.name)
            keys = _keys(records, required)
            # Looked up first: a key may be held by rows this registry reads but does not write (a release).
            found = self.lookup(connection, unit.name, [k for k in keys if k not in self._known[unit.name]])
            new = [k for k in keys if k not in self._known[unit.name] and k not in found]
            fields = self._universe.key_fields(unit.name)
            insert_ignoring_conflicts(connection, self._writes.elements[unit.name],
                                      [dict(zip(fields, k, strict=True)) for k in new])
            self.lookup(connection, unit.name, new)

    def check_parents(self, connection: sa.Connection, name: str, records: Iterable[dict[str, Any]]) -> None:
        element = self._universe.element(name)
        parents = ([*element.requires, *element.implies] if isinstance(element, DataUnitType)
                   else list(element.joins))
        records = list(records)
        for parent in parents:
            required = self._universe.required(parent)
            keys = _keys(records, required)
            found = self.lookup(connection, parent, keys)
            for key in sorted(keys - set(found), key=repr):
                raise DataIdError(f"{name} record refers to {describe_key(required, key)}, which is not in the "
                                  f"registry; insert the {parent} record first")

    # -- DataIds ------------------------------------------------------------------------------

    def _plan(self, units: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...],
                                                     tuple[tuple[str, tuple[str, ...]], ...]]:
        """The closure of ``units``, the units it implies, and the order to check them in."""
        plan = self._plans.get(units)
        if plan is None:
            closure = self._universe.closure(units)
            implied = self._universe.implied(closure)
            # Reverse universe order: a unit comes after every unit it implies, so a record's implied
            # values are known before the implied unit itself is checked.
            order = sorted({*closure, *implied}, key=self._order.__getitem__, reverse=True)
            plan = self._plans[units] = (closure, implied, tuple((u, self._universe.required(u)) for u in order))
        return plan

    def expand(self, connection: sa.Connection, units: Sequence[str],
               data_ids: Sequence[Mapping[str, Any]]) -> list[DataId]:
        """Validate ``data_ids`` for ``units`` against the records and fill in implied values."""
        closure, implied_names, steps = self._plan(tuple(units))
        given = [normalize_data_id(self._universe, closure, d) for d in data_ids]
        if not any(d.implied for d in given):  # the common case: every DataId expanded before
            remembered = [self._expanded.get((closure, *d.values())) for d in given]
            if None not in remembered:
                return [d.with_implied(implied) for d, implied in zip(given, remembered, strict=True)
                        if implied is not None]
        full: list[dict[str, KeyValue]] = [d.full for d in given]  # fresh dicts, filled in below
        for unit, required in steps:
            cache = self._known[unit]
            keys: list[tuple[int, Key]] = []
            found: dict[Key, Implied] = {}
            missing: list[Key] = []
            getter = operator.itemgetter(*required)
            single = len(required) == 1
            for i, values in enumerate(full):
                try:
                    key = (getter(values),) if single else getter(values)
                except KeyError:  # an implied unit whose value is not known: nothing to check
                    continue
                keys.append((i, key))
                if key not in found:
                    hit = cache.get(key)
                    if hit is None:
                        missing.append(key)
                    else:
                        found[key] = hit
            if missing:  # each distinct key once: a bulk insert names few units many times
                found.update(self.lookup(connection, unit, list(dict.fromkeys(missing))))
            known: dict[Key, list[tuple[str, KeyValue]]] = {}  # each key's non-NULL implied values
            for i, key in keys:
                pairs = known.get(key)
                if pairs is None:
                    implied = found.get(key)
                    if implied is None:
                        raise DataIdError(f"data ID {dict(given[i])}: {describe_key(required, key)} is not in the "
                                          "registry")
                    pairs = known[key] = [(u, v) for u, v in implied.items() if v is not None]
                for implied_unit, value in pairs:
                    current = full[i].get(implied_unit)
                    if current is not None and current != value:
                        raise DataIdError(f"data ID {given[i].full}: {implied_unit}={current!r} contradicts the "
                                          f"registry, where {describe_key(required, key)} has "
                                          f"{implied_unit}={value!r}")
                    full[i][implied_unit] = value
        expanded = [d.with_implied({u: values[u] for u in implied_names if u in values})
                    for d, values in zip(given, full, strict=True)]
        if len(self._expanded) + len(expanded) > _CACHE_LIMIT:
            self._expanded.clear()
        for data_id in expanded:
            self._expanded[(closure, *data_id.values())] = data_id.implied
        return expanded


def _keys(records: Iterable[Mapping[str, Any]], units: Sequence[str]) -> set[Key]:
    """The distinct keys of ``units`` that ``records`` name (records without all of them are skipped)."""
    keys: set[Key] = set()
    for record in records:
        key = tuple(record.get(u) for u in units)
        if None not in key:
            keys.add(key)  # type: ignore[arg-type]  # None was just ruled out
    return keys


def _normalize(value: Any) -> Any:
    """Bring a validated metadata value to the form it has after a round trip through the database."""
    if isinstance(value, Timespan):
        return Timespan(to_db_datetime(value.begin), to_db_datetime(value.end))
    if isinstance(value, datetime.datetime):
        return to_db_datetime(value)
    return value
