"""The query methods of SqlRegistry: validate arguments, prepare constraints, build lazy results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ....domain.data_id import DataId
from ....domain.dataset import DatasetRef
from ....domain.errors import QueryError
from ....domain.remedies import Action, Remedy
from ....domain.universe import Universe
from ....domain.values import KeyValue
from ....ports.query_results import QueryResults
from ..collections import CollectionManager, as_names
from ..dataset_types import DatasetTypeManager
from ..datasets import DatasetManager
from ..schema import Schema
from .cache import StatementCache
from .constraints import Constraints, prepare_constraints
from .data_ids import DataIdQuery
from .datasets import ConcatenatedQuery, DatasetQuery
from .executor import Streamer
from .plan import Relation
from .read_only import ReadOnlyConnections
from .records import RecordQuery
from .select_sql import SqlSelectQuery
from .sources import dataset_relation

GOVERNOR_SAMPLE = 6
"""How many values of a governor are read to infer it (one) or to list choices (several)."""


class RegistryQueries:
    """Answers query_data_ids, query_datasets, query_data_unit_records and select_sql."""

    def __init__(self, universe: Universe, schema: Schema, streamer: Streamer, *, read_only: ReadOnlyConnections,
                 types: DatasetTypeManager, collections: CollectionManager, datasets: DatasetManager) -> None:
        self._universe = universe
        self._schema = schema
        self._streamer = streamer
        self._read_only = read_only
        self._types = types
        self._collections = collections
        self._datasets = datasets
        self._statements = StatementCache()

    def close(self) -> None:
        """Release the streaming connection and the read-only engine."""
        self._streamer.close()
        self._read_only.close()

    def _governor_values(self, connection: sa.Connection) -> Any:
        def values(governor: str) -> list[KeyValue]:
            table = self._schema.elements[governor]
            key = table.c[self._universe.unit(governor).key.name]
            return list(connection.execute(sa.select(key).order_by(key).limit(GOVERNOR_SAMPLE)).scalars())
        return values

    def _constraints(self, connection: sa.Connection, where: str, bind: Mapping[str, Any] | None,
                     data_id: Mapping[str, Any] | None) -> Constraints:
        return prepare_constraints(self._universe, where, bind, data_id, self._governor_values(connection))

    def _dataset_relations(self, connection: sa.Connection, dataset_types: Sequence[str],
                           collections: Sequence[str] | None, *, find_first: bool) -> list[Relation]:
        if collections is None:
            raise QueryError("a query of datasets needs collections to search",
                             remedy=Remedy(Action.PASS_COLLECTIONS))
        search = self._collections.resolve(connection, as_names(collections))
        relations = []
        for i, name in enumerate(dataset_types):
            type_id, definition = self._types.get(connection, name)
            relations.append(dataset_relation(self._universe, self._schema, type_id, definition.units, search,
                                              find_first=find_first, name=f"dataset_{i}"))
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
            base = [] if datasets is None else self._dataset_relations(
                connection, _names(datasets, "datasets"), collections, find_first=False)
        return QueryResults(DataIdQuery(self._streamer, self._universe, self._schema, units=names,
                                        constraints=constraints, base=base, cache=self._statements))

    def datasets(self, dataset_types: str | Sequence[str], collections: Sequence[str], *, where: str,
                 bind: Mapping[str, Any] | None, data_id: Mapping[str, Any] | None,
                 find_first: bool) -> QueryResults[DatasetRef]:
        """See Registry.query_datasets."""
        names = _names(dataset_types, "dataset_types")
        with self._streamer.reading() as connection:
            constraints = self._constraints(connection, where, bind, data_id)
            sources = self._dataset_relations(connection, names, collections, find_first=find_first)
        parts = [DatasetQuery(self._streamer, self._universe, self._schema, datasets=self._datasets,
                              source=source, constraints=constraints, cache=self._statements)
                 for source in sources]
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

    def select_sql(self, sql: str, bind: Mapping[str, Any] | None, timeout_s: float) -> QueryResults[dict[str, Any]]:
        """See Registry.select_sql."""
        return QueryResults(SqlSelectQuery(self._read_only.connect, sql, bind, timeout_s=timeout_s,
                                           postgresql=self._read_only.postgresql,
                                           buffered=self._read_only.buffered))


def _names(value: str | Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise QueryError(f"{what} must be a name or a sequence of names, not {value!r}")
    return tuple(value)
