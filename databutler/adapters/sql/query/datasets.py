"""query_datasets: datasets of one or more types in a search path whose data IDs match."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa

from ....domain.calibration import ambiguous_query
from ....domain.dataset import DatasetRef
from ....domain.universe import Universe
from ....ports.query_results import QueryExecutor, QueryShape
from ..dialect import uuid_column
from ..schema import Schema
from .cache import StatementCache
from .constraints import Constraints
from .data_ids import _aggregate, cache_key, constrained_plan, constraint_parameters
from .executor import SqlQuery, Streamer
from .ordering import sort_terms
from .plan import JoinPlan, Relation
from .temporal import EXTRA_COLUMNS, RANK, VALIDITY_BEGIN, CalibrationSearch, keys, temporal_element

T = TypeVar("T")
DATASET_COLUMNS = ("dataset_type", "run", "id")
ROW_COLUMNS = ("id", "dataset_type_id", "run_id", "data_id_key")
"""The ``dataset`` columns besides its DataUnits that a query reads (``RefBuilder.refs`` and find-first need them)."""
MATCHES = "matches"


class RefBuilder(Protocol):
    """What turns a batch of dataset rows into DatasetRefs (the SQL registry's DatasetManager, or another backend's)."""

    def refs(self, connection: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[DatasetRef]:
        """DatasetRefs for ``rows``."""


class DatasetQuery(SqlQuery[DatasetRef]):
    """Datasets of one type: the dataset relation joined to whatever the constraints mention."""

    action = "query datasets"

    def __init__(self, streamer: Streamer, universe: Universe, schema: Schema, *, datasets: RefBuilder,
                 source: Relation, constraints: Constraints, cache: StatementCache) -> None:
        super().__init__(streamer)
        self._cache = cache
        self._universe = universe
        self._schema = schema
        self._datasets = datasets
        self._source = source
        self._constraints = constraints

    @property
    def columns(self) -> tuple[str, ...]:
        """DatasetType, run, id, then the DataId."""
        return (*DATASET_COLUMNS, *self._source.required)

    def check_order(self, fields: Sequence[str]) -> None:
        """Fields must be DataUnits or their fields."""
        sort_terms(self._universe, fields)

    def parameters(self) -> dict[str, Any]:
        """Values of the dataset type, runs, data ID and the expression's literals."""
        return constraint_parameters(self._constraints, [self._source])

    def statement(self, order_by: Sequence[str]) -> sa.Select[Any]:
        """SELECT the dataset columns of matching datasets (reused when already built)."""
        key = cache_key(self._constraints, [self._source], "datasets", tuple(order_by))
        return self._cache.get_or_build(key, lambda: self._build(order_by))

    def _build(self, order_by: Sequence[str]) -> sa.Select[Any]:
        terms = sort_terms(self._universe, order_by)
        plan, conditions = constrained_plan(
            self._universe, self._schema, tuple(self._source.required), self._constraints, [self._source],
            extra_units=[u for t in terms for u in t.units], extra_records=[e for t in terms for e in t.records])
        columns = self._columns(self._source.table)
        sort = [t.clause(plan) for t in terms]
        search = self._source.calibration
        if search is not None and search.find_first:
            return self._first_after_join(search, plan, conditions, columns, sort)
        statement = sa.select(*columns).select_from(plan.from_clause).where(*conditions)
        if plan.multiplies:  # a many-to-many join may repeat a dataset: list it once
            if sort:
                return statement.group_by(*columns).order_by(*(_aggregate(c) for c in sort))
            return statement.distinct()
        return statement.order_by(*sort) if sort else statement

    def _columns(self, table: sa.FromClause) -> list[sa.ColumnElement[Any]]:
        """The columns of ``table`` that make refs: for the ``dataset`` table, only those ``ROW_COLUMNS`` and the
        type's units (the other unit columns, NULL, cost a third of a listing's fetch), the id as stored."""
        if not all(name in table.c for name in ROW_COLUMNS) or not isinstance(table.c.id.type, sa.Uuid):
            return [c for c in table.c if c.name not in EXTRA_COLUMNS]  # another layout (the DBB's): all of it
        wanted = {*ROW_COLUMNS, *self._source.required, *self._source.optional}
        return [uuid_column(c).label("id") if c.name == "id" else c for c in table.c if c.name in wanted]

    def _first_after_join(self, search: CalibrationSearch, plan: JoinPlan, conditions: Sequence[sa.ColumnElement[bool]],
                          columns: Sequence[sa.ColumnElement[Any]], sort: Sequence[sa.ColumnElement[Any]]
                          ) -> sa.Select[Any]:
        """Find-first through CALIBRATION collections, after the join that chose by time.

        The distinct matches (dataset, rank, validity range, the temporal unit's value) are ranked per
        DataId; the rows of the first collection holding one are kept with how many there are
        (``matches``: more than one is ambiguous, see ``check_unambiguous``).
        """
        plain = [getattr(c, "element", c) for c in sort]
        matched = sa.select(
            *columns, search.rank.label(RANK), search.validity[0].label(VALIDITY_BEGIN),
            *(plan.unit(u).label(f"t_{u}") for u in keys(self._universe, plan.temporal)),
            *(c.label(f"sort_{i}") for i, c in enumerate(plain))
        ).select_from(plan.from_clause).where(*conditions).distinct().subquery("matched")
        names = [c.name for c in columns]
        key = matched.c.data_id_key
        ranked = sa.select(
            *(matched.c[n] for n in names), matched.c[RANK], *(matched.c[f"sort_{i}"] for i in range(len(plain))),
            sa.func.min(matched.c[RANK]).over(partition_by=key).label("best"),
            sa.func.count().over(partition_by=(key, matched.c[RANK])).label(MATCHES)).subquery("ranked")
        order = [ranked.c[f"sort_{i}"].desc() if getattr(c, "modifier", None) is sa.sql.operators.desc_op
                 else ranked.c[f"sort_{i}"].asc() for i, c in enumerate(sort)]
        return (sa.select(*(ranked.c[n] for n in names), ranked.c[RANK], ranked.c[MATCHES])
                .where(ranked.c[RANK] == ranked.c.best).order_by(*order))

    def check_unambiguous(self) -> None:
        """For a find-first query through CALIBRATION collections: CalibrationLookupError if a DataId has several
        matches in the first collection holding it (as the reference; see ``domain.calibration.ambiguous_query``)."""
        search = self._source.calibration
        if search is None or not search.find_first:
            return
        found = self.statement(()).subquery("found")
        query = sa.select(found).where(found.c[MATCHES] > 1).limit(1)
        with self._streamer.reading() as connection:
            row = connection.execute(query, self.parameters()).mappings().first()
            if row is None:
                return
            (ref,) = self._datasets.refs(connection, [row])
        temporal = temporal_element(self._universe, [*self._source.required, *self._constraints.units])
        raise ambiguous_query(ref.dataset_type.name, ref.data_id, search.collections[row[RANK]], row[MATCHES],
                              temporal)

    def convert(self, connection: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[DatasetRef]:
        """DatasetRefs for a batch of dataset rows."""
        return self._datasets.refs(connection, rows)


class ConcatenatedQuery(QueryExecutor[T]):
    """Several queries answered one after the other (one per DatasetType); sorting is per part."""

    def __init__(self, parts: Sequence[QueryExecutor[T]], columns: tuple[str, ...] = ()) -> None:
        self._parts = list(parts)
        self._columns = columns

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns given at construction (or those of the first part)."""
        return self._columns or (self._parts[0].columns if self._parts else ())

    def check_order(self, fields: Sequence[str]) -> None:
        """Every part must accept the fields."""
        for part in self._parts:
            part.check_order(fields)

    def rows(self, shape: QueryShape) -> Iterator[T]:
        """Each part's rows in turn, then the limit over all of them."""
        inner = QueryShape(order_by=shape.order_by)
        chained = itertools.chain.from_iterable(_LazyRows(part, inner) for part in self._parts)
        stop = None if shape.limit is None else shape.offset + shape.limit
        return itertools.islice(chained, shape.offset, stop)

    def count(self, shape: QueryShape) -> int:
        """The sum of the parts' counts, limited."""
        total = max(0, sum(part.count(QueryShape()) for part in self._parts) - shape.offset)
        return total if shape.limit is None else min(total, shape.limit)

    def any(self, shape: QueryShape) -> bool:
        """Whether the count is positive."""
        if shape.offset == 0 and shape.limit != 0:
            return any(part.any(QueryShape()) for part in self._parts)
        return self.count(shape) > 0


class _LazyRows(Iterator[T]):
    """Starts a part's query only when its first row is wanted."""

    def __init__(self, part: QueryExecutor[T], shape: QueryShape) -> None:
        self._part = part
        self._shape = shape
        self._rows: Iterator[T] | None = None

    def __next__(self) -> T:
        if self._rows is None:
            self._rows = self._part.rows(self._shape)
        return next(self._rows)
