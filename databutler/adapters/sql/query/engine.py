"""The query methods any SQL-backed registry shares: validate arguments, prepare constraints, build lazy results.

What differs between registries is where the datasets of one type are: a subclass says it in
``_dataset_sources`` (a Relation per DatasetType, and what turns its rows into DatasetRefs). The SQL
registry reads its ``dataset`` table; the Data Backbone registry DESFILE rows and metadata tables.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa

from ....domain.data_id import DataId
from ....domain.dataset import DatasetRef
from ....domain.errors import QueryError
from ....domain.remedies import Action, Remedy
from ....domain.universe import Universe
from ....domain.values import KeyValue
from ....ports.query_results import QueryExecutor, QueryResults
from ..schema import Schema
from .cache import StatementCache
from .constraints import Constraints, prepare_constraints
from .data_ids import DataIdQuery
from .datasets import ConcatenatedQuery, DatasetQuery, RefBuilder
from .executor import Streamer
from .plan import Relation
from .rechecked import Rechecked
from .records import RecordQuery
from .spatial_where import spatial_matches, spatial_nodes

T = TypeVar("T")
GOVERNOR_SAMPLE = 6
"""How many values of a governor are read to infer it (one) or to list choices (several)."""


class QueryEngine(abc.ABC):
    """Answers query_data_ids, query_datasets and query_data_unit_records over ``schema``'s DataUnit tables."""

    def __init__(self, universe: Universe, schema: Schema, streamer: Streamer) -> None:
        self._universe = universe
        self._schema = schema
        self._streamer = streamer
        self._statements = StatementCache()

    def close(self) -> None:
        """Release the streaming connection."""
        self._streamer.close()

    @abc.abstractmethod
    def _dataset_sources(self, connection: sa.Connection, dataset_types: Sequence[str], collections: Sequence[str],
                         *, find_first: bool, query_units: Sequence[str]) -> list[tuple[RefBuilder, Relation]]:
        """For each DatasetType, the relation of its datasets in ``collections`` and what makes refs of its rows.

        ``query_units`` are the DataUnits the query names besides the DatasetType's (a temporal one
        makes a search of CALIBRATION collections choose by its time, see ``temporal``).
        """

    def _guarded_sources(self, dataset_types: Sequence[str], collections: Sequence[str], *, find_first: bool,
                         query_units: Sequence[str], connection: sa.Connection | None
                         ) -> tuple[list[tuple[RefBuilder, Relation]], Callable[[], bool] | None] | None:
        """``_dataset_sources``, with statements that check the search path still holds and what says it changed.

        See ``rechecked``. The check is None for sources that check nothing (made from the path as read
        now). Without a ``connection`` nothing may be read: None unless the path was resolved before.
        None (the default) when the registry has no such sources: ``_dataset_sources`` makes them.
        """
        return None

    def _governor_values(self, connection: sa.Connection) -> Any:
        def values(governor: str) -> list[KeyValue]:
            table = self._schema.elements[governor]
            key = table.c[self._universe.unit(governor).key.name]
            return list(connection.execute(sa.select(key).order_by(key).limit(GOVERNOR_SAMPLE)).scalars())
        return values

    def _constraints(self, connection: sa.Connection, where: str, bind: Mapping[str, Any] | None,
                     data_id: Mapping[str, Any] | None) -> Constraints:
        constraints = prepare_constraints(self._universe, where, bind, data_id, self._governor_values(connection))
        if not spatial_nodes(constraints.resolved):
            return constraints
        # The matching records depend on what is stored now: the statement is built for this query alone.
        return attrs.evolve(constraints, key=None, spatial=spatial_matches(
            connection, self._universe, self._schema, constraints.resolved))

    def _sources(self, connection: sa.Connection, dataset_types: Sequence[str], collections: Sequence[str] | None,
                 *, find_first: bool, query_units: Sequence[str]) -> list[tuple[RefBuilder, Relation]]:
        if collections is None:
            raise QueryError("a query of datasets needs collections to search",
                             remedy=Remedy(Action.PASS_COLLECTIONS))
        return self._dataset_sources(connection, dataset_types, collections, find_first=find_first,
                                     query_units=query_units)

    def data_ids(self, units: str | Sequence[str], *, where: str, bind: Mapping[str, Any] | None,
                 datasets: str | Sequence[str] | None, collections: Sequence[str] | None,
                 data_id: Mapping[str, Any] | None) -> QueryResults[DataId]:
        """See Registry.query_data_ids."""
        names = names_of(units, "units")
        if not names:
            raise QueryError("query_data_ids needs at least one DataUnit")
        for name in names:
            self._universe.unit(name)
        with self._streamer.reading() as connection:
            constraints = self._constraints(connection, where, bind, data_id)
        types = () if datasets is None else names_of(datasets, "datasets")

        def query(sources: list[tuple[RefBuilder, Relation]]) -> QueryExecutor[DataId]:
            return DataIdQuery(self._streamer, self._universe, self._schema, units=names, constraints=constraints,
                               base=[relation for _, relation in sources], cache=self._statements)

        return QueryResults(self._with_sources(query, types, collections, find_first=False,
                                               query_units=(*names, *constraints.units)))

    def datasets(self, dataset_types: str | Sequence[str], collections: Sequence[str], *, where: str,
                 bind: Mapping[str, Any] | None, data_id: Mapping[str, Any] | None,
                 find_first: bool) -> QueryResults[DatasetRef]:
        """See Registry.query_datasets."""
        names = names_of(dataset_types, "dataset_types")
        with self._streamer.reading() as connection:
            constraints = self._constraints(connection, where, bind, data_id)

        def query(sources: list[tuple[RefBuilder, Relation]]) -> QueryExecutor[DatasetRef]:
            parts = [DatasetQuery(self._streamer, self._universe, self._schema, datasets=refs, source=source,
                                  constraints=constraints, cache=self._statements)
                     for refs, source in sources]
            for part in parts:
                part.check_unambiguous()
            if len(parts) == 1:
                return parts[0]
            return ConcatenatedQuery(parts, ("dataset_type", "run", "id"))

        return QueryResults(self._with_sources(query, names, collections, find_first=find_first,
                                               query_units=constraints.units))

    def _with_sources(self, query: Callable[[list[tuple[RefBuilder, Relation]]], QueryExecutor[T]],
                      dataset_types: Sequence[str], collections: Sequence[str] | None, *, find_first: bool,
                      query_units: Sequence[str]) -> QueryExecutor[T]:
        """``query`` of the dataset sources: guarded and rechecked when it runs (see ``rechecked``), or as read now."""
        def read_now() -> QueryExecutor[T]:
            if not dataset_types:
                return query([])
            with self._streamer.reading() as connection:
                return query(self._sources(connection, dataset_types, collections, find_first=find_first,
                                           query_units=query_units))

        if not dataset_types or collections is None:
            return read_now()
        made = self._guarded_sources(dataset_types, collections, find_first=find_first, query_units=query_units,
                                     connection=None)
        if made is None:  # not resolved before: resolve it now (one read), guarded if it can be
            with self._streamer.reading() as connection:
                made = self._guarded_sources(dataset_types, collections, find_first=find_first,
                                             query_units=query_units, connection=connection)
                if made is None:
                    return query(self._sources(connection, dataset_types, collections, find_first=find_first,
                                               query_units=query_units))
        sources, changed = made
        return query(sources) if changed is None else Rechecked(query(sources), changed, read_now)

    def records(self, element: str, where: str, bind: Mapping[str, Any] | None,
                data_id: Mapping[str, Any] | None) -> QueryResults[dict[str, Any]]:
        """See Registry.query_data_unit_records."""
        self._universe.element(element)
        with self._streamer.reading() as connection:
            constraints = self._constraints(connection, where, bind, data_id)
        return QueryResults(RecordQuery(self._streamer, self._universe, self._schema, element=element,
                                        constraints=constraints, cache=self._statements))


def names_of(value: str | Sequence[str], what: str) -> tuple[str, ...]:
    """``value`` (a name or names) as a tuple of names; QueryError for anything else."""
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise QueryError(f"{what} must be a name or a sequence of names, not {value!r}")
    return tuple(value)
