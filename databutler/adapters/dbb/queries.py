"""query_datasets, query_data_ids and query_data_unit_records over the Data Backbone, with ``where``.

The SQL registry's query engine does the work (the ``where`` language, join planning through the
DataUnit tables, streaming, ordering and limits); what differs is the dataset relation: the
datasets of one type are DESFILE rows joined to their metadata table, in the attempts and tags of
the search path (see ``Datasets.search``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.collection import CollectionKind, as_names
from ...domain.dataset import DatasetRef
from ...domain.errors import QueryError
from ...domain.universe import Universe
from ..sql.query.datasets import RefBuilder
from ..sql.query.engine import QueryEngine
from ..sql.query.executor import Streamer
from ..sql.query.plan import Relation
from ..sql.schema import Schema
from .collections import Collections
from .dataset_types import DatasetTypes, TypeRecord
from .datasets import Datasets


class _Refs:
    """Turns rows of one DatasetType's relation into DatasetRefs (what DatasetQuery converts with)."""

    def __init__(self, datasets: Datasets, record: TypeRecord) -> None:
        self._datasets = datasets
        self._record = record

    def refs(self, connection: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[DatasetRef]:
        """DatasetRefs for a batch of rows."""
        return self._datasets.refs(connection, self._record, rows)


class DbbQueries(QueryEngine):
    """The shared query engine over DESFILE and the metadata tables."""

    def __init__(self, universe: Universe, schema: Schema, streamer: Streamer, *, types: DatasetTypes,
                 collections: Collections, datasets: Datasets,
                 resolve: Callable[[Sequence[str]], tuple[str, ...]]) -> None:
        super().__init__(universe, schema, streamer)
        self._types = types
        self._collections = collections
        self._datasets = datasets
        self._resolve = resolve

    def _dataset_sources(self, connection: sa.Connection, dataset_types: Sequence[str], collections: Sequence[str],
                         *, find_first: bool, query_units: Sequence[str]) -> list[tuple[RefBuilder, Relation]]:
        """Each DatasetType's files in the search path (the first found per DataId with ``find_first``)."""
        names = self._resolve(as_names(collections))
        found = self._collections.find(connection, names)
        search = [found[n] for n in names if n in found and found[n].kind is not CollectionKind.CHAINED]
        sources: list[tuple[RefBuilder, Relation]] = []
        for i, name in enumerate(dataset_types):
            record = self._types.find(connection, name)
            if record is None:
                raise QueryError(f"there is no dataset type {name!r}")
            select = (self._datasets.first_found(record, search) if find_first
                      else self._datasets.search(record, search, ranked=False))
            table = select.subquery(f"dataset_{i}")
            units, implied = self._datasets.carried(record)
            relation = Relation(f"dataset_{i}", table, {u: table.c[u] for u in units},
                                {u: table.c[u] for u in implied}, cacheable=False)
            sources.append((_Refs(self._datasets, record), relation))
        return sources


__all__ = ["DbbQueries"]
