"""The query methods of SqlRegistry: the shared engine over its ``dataset`` table, and select_sql."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from ....domain.universe import Universe
from ....ports.query_results import QueryResults
from ..collections import CollectionManager, as_names
from ..dataset_types import DatasetTypeManager
from ..datasets import DatasetManager
from ..schema import Schema
from ..search_path import SearchPath
from .datasets import RefBuilder
from .engine import QueryEngine
from .executor import Streamer
from .plan import Relation
from .read_only import ReadOnlyConnections
from .select_sql import SqlSelectQuery
from .sources import dataset_relation


class RegistryQueries(QueryEngine):
    """Answers query_data_ids, query_datasets, query_data_unit_records and select_sql for SqlRegistry."""

    def __init__(self, universe: Universe, schema: Schema, streamer: Streamer, *, read_only: ReadOnlyConnections,
                 types: DatasetTypeManager, collections: CollectionManager, datasets: DatasetManager) -> None:
        super().__init__(universe, schema, streamer)
        self._read_only = read_only
        self._types = types
        self._collections = collections
        self._datasets = datasets

    def close(self) -> None:
        """Release the streaming connection and the read-only engine."""
        super().close()
        self._read_only.close()

    def _dataset_sources(self, connection: sa.Connection, dataset_types: Sequence[str], collections: Sequence[str],
                         *, find_first: bool, query_units: Sequence[str]) -> list[tuple[RefBuilder, Relation]]:
        """The ``dataset`` table (or a find-first subquery of it) for each DatasetType."""
        search = self._collections.resolve(connection, as_names(collections))
        return self._relations(connection, dataset_types, search, find_first=find_first, query_units=query_units)

    def _relations(self, connection: sa.Connection | None, dataset_types: Sequence[str], search: SearchPath, *,
                   find_first: bool, query_units: Sequence[str]) -> list[tuple[RefBuilder, Relation]]:
        """The relation of each DatasetType in the resolved ``search`` (no ``connection``: remembered types only)."""
        sources: list[tuple[RefBuilder, Relation]] = []
        for i, name in enumerate(dataset_types):
            known = self._types.get(connection, name) if connection is not None else self._types.cached_with_id(name)
            if known is None:
                return []
            type_id, definition = known
            sources.append((self._datasets, dataset_relation(self._universe, self._schema, type_id, definition.units,
                                                             search, find_first=find_first, name=f"dataset_{i}",
                                                             query_units=query_units)))
        return sources

    def _guarded_sources(self, dataset_types: Sequence[str], collections: Sequence[str], *, find_first: bool,
                         query_units: Sequence[str], connection: sa.Connection | None
                         ) -> tuple[list[tuple[RefBuilder, Relation]], Callable[[], bool] | None] | None:
        """See QueryEngine._guarded_sources: one DatasetType through chains, no CALIBRATION collection, is guarded.

        Several types would be several statements, each checking the path in its own snapshot; a
        calibration search's statement is made for each query anyway; a path without chains cannot change.
        Those are made unguarded from the path resolved here, which is resolved once.
        """
        path = as_names(collections)
        remembered = self._collections.remembered(path)
        if connection is not None:
            search = self._collections.resolve(connection, path)  # remembered from now on, if it has chains
            remembered = self._collections.remembered(path)
        elif remembered is None:
            return None
        else:
            search = remembered[0]
        guardable = remembered is not None and len(dataset_types) == 1 and not search.calibration_ids
        if connection is None and not guardable:  # unguarded, the path must be read as it is now
            return None
        sources = self._relations(connection, dataset_types, search, find_first=find_first, query_units=query_units)
        if not sources:  # a type not remembered (no connection to read it)
            return None
        if not guardable or remembered is None:
            return sources, None
        builder, relation = sources[0]
        guarded = attrs.evolve(relation, conditions=(*relation.conditions, self._collections.version_guard),
                               parameters={**relation.parameters, **remembered[1]})

        def changed() -> bool:
            with self._streamer.reading() as reading:
                return self._collections.resolve(reading, path) is not search

        return [(builder, guarded)], changed

    def select_sql(self, sql: str, bind: Mapping[str, Any] | None, timeout_s: float) -> QueryResults[dict[str, Any]]:
        """See Registry.select_sql."""
        return QueryResults(SqlSelectQuery(self._read_only.connect, sql, bind, timeout_s=timeout_s,
                                           postgresql=self._read_only.postgresql,
                                           buffered=self._read_only.buffered))
