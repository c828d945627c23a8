"""The Registry's query methods for a registry answering them with a ``QueryEngine`` (``self._queries``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ....domain.data_id import DataId
from ....domain.dataset import DatasetRef
from ....ports.query_results import QueryResults
from ....ports.registry import DataIdLike
from ..errors import translating
from .engine import QueryEngine


class QueryEntryPoints:
    """query_datasets, query_data_ids and query_data_unit_records, forwarded to ``self._queries``."""

    _queries: QueryEngine

    @translating("query datasets")
    def query_datasets(self, dataset_types: str | Sequence[str], collections: Sequence[str], *,
                       where: str = "", bind: Mapping[str, Any] | None = None,
                       data_id: DataIdLike | None = None, find_first: bool = False,
                       order_by: Sequence[str] = (), limit: int | None = None) -> QueryResults[DatasetRef]:
        """Datasets of the given types in ``collections`` matching ``where``.

        With ``find_first``, a DataId whose first collection is a CALIBRATION one holding several matches for
        it (validity ranges, or times of the query's exposures) raises CalibrationLookupError, as the reference.
        """
        results = self._queries.datasets(dataset_types, collections, where=where, bind=bind, data_id=data_id,
                                         find_first=find_first)
        if order_by:
            results = results.order_by(*order_by)
        return results if limit is None else results.limit(limit)

    @translating("query data IDs")
    def query_data_ids(self, units: str | Sequence[str], *, where: str = "", bind: Mapping[str, Any] | None = None,
                       datasets: str | Sequence[str] | None = None, collections: Sequence[str] | None = None,
                       data_id: DataIdLike | None = None) -> QueryResults[DataId]:
        """Distinct DataIds of ``units`` related through the universe, matching ``where``."""
        return self._queries.data_ids(units, where=where, bind=bind, datasets=datasets, collections=collections,
                                      data_id=data_id)

    @translating("query DataUnit records")
    def query_data_unit_records(self, element: str, *, where: str = "", bind: Mapping[str, Any] | None = None,
                                data_id: DataIdLike | None = None) -> QueryResults[dict[str, Any]]:
        """Records of DataUnit or join element ``element`` matching ``where``."""
        return self._queries.records(element, where, bind, data_id)
