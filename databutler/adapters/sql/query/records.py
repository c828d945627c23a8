"""query_data_unit_records: the records of one DataUnit or join element that match a query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ....domain.universe import Universe
from ....domain.values import FieldType, Timespan
from ..schema import Schema
from .cache import StatementCache
from .constraints import Constraints
from .data_ids import _aggregate, cache_key, constrained_plan, constraint_parameters
from .executor import SqlQuery, Streamer
from .ordering import sort_terms


class RecordQuery(SqlQuery[dict[str, Any]]):
    """Records of ``element``: its table joined to whatever the constraints mention."""

    action = "query DataUnit records"

    def __init__(self, streamer: Streamer, universe: Universe, schema: Schema, *, element: str,
                 constraints: Constraints, cache: StatementCache) -> None:
        super().__init__(streamer)
        self._cache = cache
        self._universe = universe
        self._schema = schema
        self._element = element
        self._constraints = constraints
        self._fields = universe.record_fields(element)

    @property
    def columns(self) -> tuple[str, ...]:
        """The record's fields."""
        return tuple(f.name for f in self._fields)

    def check_order(self, fields: Sequence[str]) -> None:
        """Fields of the element (bare names allowed) or of related units."""
        sort_terms(self._universe, fields, element=self._element)

    def parameters(self) -> dict[str, Any]:
        """Values of the data ID and the expression's literals."""
        return constraint_parameters(self._constraints, [])

    def statement(self, order_by: Sequence[str]) -> sa.Select[Any]:
        """SELECT the element's columns, once per record; sorted by key unless asked otherwise."""
        key = cache_key(self._constraints, [], "records", self._element, tuple(order_by))
        return self._cache.get_or_build(key, lambda: self._build(order_by))

    def _build(self, order_by: Sequence[str]) -> sa.Select[Any]:
        terms = sort_terms(self._universe, order_by, element=self._element)
        plan, conditions = constrained_plan(
            self._universe, self._schema, self._universe.required(self._element), self._constraints, [],
            extra_units=[u for t in terms for u in t.units],
            extra_records=[self._element, *(e for t in terms for e in t.records)])
        table = plan.tables[self._element]
        columns = list(table.c)
        keys = [table.c[k] for k in self._universe.key_fields(self._element)]
        statement = sa.select(*columns).select_from(plan.from_clause).where(*conditions)
        sort = [t.clause(plan) for t in terms]
        if plan.multiplies:
            return statement.group_by(*columns).order_by(*(_aggregate(c) for c in sort), *keys)
        return statement.order_by(*sort, *keys)

    def convert(self, connection: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[dict[str, Any]]:
        """Records as dicts, timespans rebuilt from their two columns."""
        records = []
        for row in rows:
            record: dict[str, Any] = {}
            for spec in self._fields:
                if spec.type is FieldType.TIMESPAN:
                    begin, end = row[f"{spec.name}_begin"], row[f"{spec.name}_end"]
                    record[spec.name] = None if begin is None and end is None else Timespan(begin, end)
                else:
                    record[spec.name] = row[spec.name]
            records.append(record)
        return records
