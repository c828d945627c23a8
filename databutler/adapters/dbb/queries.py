"""query_datasets, query_data_ids and query_data_unit_records over the Data Backbone, with ``where``.

The SQL registry's query engine does the work (the ``where`` language, join planning through the
DataUnit tables, streaming, ordering and limits); what differs is the dataset relation: the
datasets of one type are DESFILE rows joined to their metadata table, in the attempts and tags of
the search path (see ``Datasets.search``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.collection import CollectionKind, as_names
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef
from ...domain.errors import QueryError
from ...domain.remedies import Action, Remedy
from ...domain.universe import Universe
from ...domain.values import KeyValue
from ...ports.query_results import QueryResults
from ..sql.query.cache import StatementCache
from ..sql.query.constraints import Constraints, prepare_constraints
from ..sql.query.data_ids import DataIdQuery
from ..sql.query.datasets import ConcatenatedQuery, DatasetQuery
from ..sql.query.executor import Streamer
from ..sql.query.plan import Relation
from ..sql.query.queries import GOVERNOR_SAMPLE, _names
from ..sql.query.records import RecordQuery
from ..sql.schema import Schema
from .collections import Collections
from .dataset_types import DatasetTypes, TypeRecord
from .datasets import Datasets


class _Refs:
    """Turns rows of one DatasetType's relation into DatasetRefs (what DatasetQuery converts with)."""

    def __init__(self, datasets: Datasets, record: TypeRecord) -> None:
        self._datasets = datasets
        self._record = record

    def refs(self, connection: sa.Connection, rows: Sequence[sa.RowMapping]) -> list[DatasetRef]:
        """DatasetRefs for a batch of rows."""
        return self._datasets.refs(connection, self._record, rows)


class DbbQueries:
    """Answers the query methods of DbbRegistry."""

    def __init__(self, universe: Universe, schema: Schema, streamer: Streamer, *, types: DatasetTypes,
                 collections: Collections, datasets: Datasets, resolve: Any) -> None:
        self._universe = universe
        self._schema = schema
        self._streamer = streamer
        self._types = types
        self._collections = collections
        self._datasets = datasets
        self._resolve = resolve
        self._statements = StatementCache()

    def close(self) -> None:
        """Release the streaming connection."""
        self._streamer.close()

    def _constraints(self, connection: sa.Connection, where: str, bind: Mapping[str, Any] | None,
                     data_id: Mapping[str, Any] | None) -> Constraints:
        def values(governor: str) -> list[KeyValue]:
            table = self._schema.elements[governor]
            key = table.c[self._universe.unit(governor).key.name]
            return list(connection.execute(sa.select(key).order_by(key).limit(GOVERNOR_SAMPLE)).scalars())
        return prepare_constraints(self._universe, where, bind, data_id, values)

    def _relations(self, connection: sa.Connection, dataset_types: Sequence[str], collections: Sequence[str] | None,
                   *, find_first: bool) -> list[tuple[TypeRecord, Relation]]:
        if collections is None:
            raise QueryError("a query of datasets needs collections to search", remedy=Remedy(Action.PASS_COLLECTIONS))
        names = self._resolve(as_names(collections))
        found = self._collections.find(connection, names)
        search = [found[n] for n in names if n in found and found[n].kind is not CollectionKind.CHAINED]
        relations = []
        for i, name in enumerate(dataset_types):
            record = self._types.find(connection, name)
            if record is None:
                raise QueryError(f"there is no dataset type {name!r}")
            select = (self._datasets.first_found(record, search) if find_first
                      else self._datasets.search(record, search, ranked=False))
            table = select.subquery(f"dataset_{i}")
            units, implied = self._datasets.carried(record)
            relations.append((record, Relation(f"dataset_{i}", table, {u: table.c[u] for u in units},
                                               {u: table.c[u] for u in implied}, cacheable=False)))
        return relations

    def data_ids(self, units: str | Sequence[str], *, where: str, bind: Mapping[str, Any] | None,
                 datasets: str | Sequence[str] | None, collections: Sequence[str] | None,
                 data_id: Mapping[str, Any] | None) -> QueryResults[DataId]:
        """See Registry.query_data_ids."""
        names = _names(units, "units")
        if not names:
            raise QueryError("query_data_ids needs at least one DataUnit")
        for name in names:
            self._universe.unit(name)
        with self._streamer.reading() as connection:
            constraints = self._constraints(connection, where, bind, data_id)
            base = [] if datasets is None else [r for _, r in self._relations(
                connection, _names(datasets, "datasets"), collections, find_first=False)]
        return QueryResults(DataIdQuery(self._streamer, self._universe, self._schema, units=names,
                                        constraints=constraints, base=base, cache=self._statements))

    def datasets(self, dataset_types: str | Sequence[str], collections: Sequence[str], *, where: str,
                 bind: Mapping[str, Any] | None, data_id: Mapping[str, Any] | None,
                 find_first: bool) -> QueryResults[DatasetRef]:
        """See Registry.query_datasets."""
        names = _names(dataset_types, "dataset_types")
        with self._streamer.reading() as connection:
            constraints = self._constraints(connection, where, bind, data_id)
            sources = self._relations(connection, names, collections, find_first=find_first)
        parts = [DatasetQuery(self._streamer, self._universe, self._schema, datasets=_Refs(self._datasets, record),
                              source=source, constraints=constraints, cache=self._statements)
                 for record, source in sources]
        if len(parts) == 1:
            return QueryResults(parts[0])
        return QueryResults(ConcatenatedQuery(parts, ("dataset_type", "run", "id")))

    def records(self, element: str, where: str, bind: Mapping[str, Any] | None,
                data_id: Mapping[str, Any] | None) -> QueryResults[dict[str, Any]]:
        """See Registry.query_data_unit_records."""
        self._universe.element(element)
        with self._streamer.reading() as connection:
            constraints = self._constraints(connection, where, bind, data_id)
        return QueryResults(RecordQuery(self._streamer, self._universe, self._schema, element=element,
                                        constraints=constraints, cache=self._statements))
