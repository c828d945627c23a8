"""DataUnit and join-element records in SQL tables: rows, cached key lookups, inserts and updates.

The rules (validation, governor inference, DataId expansion) are RegistryBase's; this is storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.errors import ConflictingDefinitionError
from ...domain.records import Implied, Key
from ...domain.universe import DataUnitType, Universe
from ...domain.values import FieldType, Timespan
from . import driver
from .dialect import chunks, insert_ignoring_conflicts
from .layout import Layout
from .spatial import SpatialIndex

_CACHE_LIMIT = 200_000
"""Entries kept per unit in the positive existence cache before it is emptied and refilled."""


class DataUnitManager:
    """Reads and writes the tables of DataUnits and join elements for one universe.

    Every key found in the database is remembered (with the implied values of its record); a key
    not found is always looked up again. Updates relink the remembered implied values.
    """

    def __init__(self, universe: Universe, layout: Layout) -> None:
        self._universe = universe
        self._layout = layout
        self._schema = layout.reads
        self._writes = layout.writes
        self._known: dict[str, dict[Key, Implied]] = {u.name: {} for u in universe.units}
        self._lookup_one: dict[str, sa.Select[Any]] = {}
        """Per unit, the kept lookup of one key (the common miss: a put naming a new visit)."""
        self._fields = {e.name: universe.record_fields(e.name) for e in universe.elements}
        self._timespans = {name: any(s.type is FieldType.TIMESPAN for s in specs)
                           for name, specs in self._fields.items()}
        self._spatial = SpatialIndex(universe, layout)

    def clear_cache(self) -> None:
        """Forget every remembered key (after a rollback, the remembered rows may be gone)."""
        for cache in self._known.values():
            cache.clear()

    def cached(self, unit: str, keys: Sequence[Key]) -> dict[Key, Implied] | None:
        """The remembered implied values of all ``keys`` of ``unit``, or None if one is not remembered."""
        cache = self._known[unit]
        found = {}
        for key in keys:
            hit = cache.get(key)
            if hit is None:
                return None
            found[key] = hit
        return found

    # -- records <-> rows ---------------------------------------------------------------------

    def _to_row(self, name: str, record: Mapping[str, Any]) -> dict[str, Any]:
        specs = self._fields[name]
        if not self._timespans[name]:  # one column per field
            return {spec.name: record.get(spec.name) for spec in specs}
        row: dict[str, Any] = {}
        for spec in specs:
            value = record.get(spec.name)
            if spec.type is FieldType.TIMESPAN:
                row[f"{spec.name}_begin"] = None if value is None else value.begin
                row[f"{spec.name}_end"] = None if value is None else value.end
            else:
                row[spec.name] = value
        return row

    def _from_row(self, name: str, row: sa.RowMapping) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for spec in self._fields[name]:
            if spec.type is FieldType.TIMESPAN:
                begin, end = row[f"{spec.name}_begin"], row[f"{spec.name}_end"]
                record[spec.name] = None if begin is None and end is None else Timespan(begin, end)
            else:
                record[spec.name] = row[spec.name]
        return record

    # -- lookups ------------------------------------------------------------------------------

    def _key_where(self, table: sa.Table, fields: Sequence[str], keys: Sequence[Key]) -> sa.ColumnElement[bool]:
        """Rows with one of ``keys``: the last key field IN a list for each value of the others.

        Not ``(instrument, id) IN (VALUES ...)``: SQLite searches that by the first column alone,
        reading every visit of the instrument to keep a few.
        """
        last = table.c[fields[-1]]
        if len(fields) == 1:
            return last.in_([k[0] for k in keys])
        groups: dict[Key, list[Any]] = {}
        for key in keys:
            groups.setdefault(tuple(key[:-1]), []).append(key[-1])
        return sa.or_(*(sa.and_(*(table.c[f] == v for f, v in zip(fields[:-1], prefix, strict=True)), last.in_(values))
                        for prefix, values in groups.items()))

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
            if len(part) == 1:
                statement = self._lookup_one.get(unit)
                if statement is None:
                    statement = self._lookup_one[unit] = sa.select(*columns).where(
                        *(table.c[f] == sa.bindparam(f"key{i}") for i, f in enumerate(fields)))
                rows = driver.rows(connection, statement, {f"key{i}": v for i, v in enumerate(part[0])})
            else:
                rows = list(connection.execute(sa.select(*columns).where(self._key_where(table, fields, part))))
            for row in rows:
                key = tuple(row[:len(fields)])
                implied = dict(zip(implies, row[len(fields):], strict=True))
                cache[key] = implied
                found[key] = implied
        return found

    def fetch(self, connection: sa.Connection, name: str, keys: Sequence[Key] | None) -> list[dict[str, Any]]:
        """Records of element ``name`` with these distinct keys, in that order (all records, by key, if None)."""
        table = self._schema.elements[name]
        fields = self._universe.key_fields(name)
        if keys is None:
            query = sa.select(table).order_by(*(table.c[f] for f in fields))
            return [self._from_row(name, row) for row in connection.execute(query).mappings()]
        by_key: dict[Key, dict[str, Any]] = {}
        for part in chunks(list(keys)):
            for row in connection.execute(sa.select(table).where(self._key_where(table, fields, part))).mappings():
                by_key[tuple(row[f] for f in fields)] = self._from_row(name, row)
        return [by_key[k] for k in keys if k in by_key]

    # -- writes -------------------------------------------------------------------------------

    def written_table(self, name: str) -> sa.Table:
        """The table the records of element ``name`` are written to."""
        return self._writes.elements[name]

    def insert(self, connection: sa.Connection, name: str, records: Sequence[Mapping[str, Any]], *,
               ignore_conflicts: bool) -> None:
        """Insert validated new records of element ``name`` (skipping keys stored meanwhile if ``ignore_conflicts``)."""
        rows = [self._to_row(name, r) for r in records]
        if self._layout.layered:
            self._check_alternate_keys(connection, name, records)
        if ignore_conflicts:
            insert_ignoring_conflicts(connection, self._writes.elements[name], rows)
            self._spatial.write(connection, name, records, replacing=False)
            return
        connection.execute(self._writes.elements[name].insert(), rows)
        self._spatial.write(connection, name, records, replacing=False)
        element = self._universe.element(name)
        if isinstance(element, DataUnitType):
            cache = self._known[name]
            fields = self._universe.key_fields(name)
            for record in records:
                cache[tuple(record[f] for f in fields)] = {i: record.get(i) for i in element.implies}

    def _check_alternate_keys(self, connection: sa.Connection, name: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Refuse records whose alternate key a release record holds (the tables' UNIQUE sees only this layer)."""
        table = self._schema.elements[name]
        keys = self._universe.key_fields(name)
        for fields in self._universe.unique_fields(name):
            wanted = {tuple(r[f] for f in fields): tuple(r[k] for k in keys) for r in records
                      if r.get(fields[-1]) is not None}
            for part in chunks(list(wanted)):
                query = sa.select(*(table.c[f] for f in (*fields, *keys))).where(self._key_where(table, fields, part))
                for row in connection.execute(query):
                    value, key = tuple(row[:len(fields)]), tuple(row[len(fields):])
                    if wanted[value] != key:
                        raise ConflictingDefinitionError(
                            f"{name} record {dict(zip(keys, wanted[value], strict=True))}: its {fields[-1]} "
                            f"{value[-1]!r} is already the alternate key of {dict(zip(keys, key, strict=True))}")

    def update(self, connection: sa.Connection, name: str, records: Mapping[Key, dict[str, Any]]) -> None:
        """Replace the records of ``name`` with these keys by these records; remember their new implied values."""
        fields = self._universe.key_fields(name)
        table = self._writes.elements[name]
        for key, record in records.items():
            row = {c: v for c, v in self._to_row(name, record).items() if c not in fields}
            match = sa.and_(*(table.c[f] == v for f, v in zip(fields, key, strict=True)))
            connection.execute(table.update().where(match).values(**row))
        self._spatial.write(connection, name, list(records.values()), replacing=True)
        element = self._universe.element(name)
        if isinstance(element, DataUnitType):
            self._known[name].update({k: {u: r.get(u) for u in element.implies} for k, r in records.items()})

    def in_use(self, connection: sa.Connection, name: str, key: Key) -> bool:
        """Whether any dataset is labelled with the record of ``name`` with ``key``."""
        required = self._universe.required(name)
        dataset = self._schema.dataset
        match = sa.and_(*(dataset.c[u] == v for u, v in zip(required, key, strict=True)))
        return connection.execute(sa.select(dataset.c.id).where(match).limit(1)).first() is not None
