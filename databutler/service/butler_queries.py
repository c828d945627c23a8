"""The Butler's read path: queries over its search path and the URIs of many Datasets at once."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.arguments import check_refs
from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef
from ..ports.query_results import QueryResults
from ..ports.registry import DataIdLike
from .butler_parts import ButlerParts
from .progress import Progress, in_batches


class ButlerQueries:
    """Queries that search the Butler's own collections unless told otherwise (needs ``queries``).

    They take the arguments of the Registry methods of the same names, with ``collections``
    optional, and return the same lazy results. A registry without the ``queries`` capability
    refuses them with CapabilityError.
    """

    def query_datasets(self: ButlerParts, dataset_types: str | Sequence[str],
                       collections: Sequence[str] | str | None = None, *, where: str = "",
                       bind: Mapping[str, Any] | None = None, data_id: DataIdLike | None = None,
                       find_first: bool = False, order_by: Sequence[str] = (),
                       limit: int | None = None) -> QueryResults[DatasetRef]:
        """Datasets of the given types in ``collections`` (default: the Butler's) matching ``where``."""
        return self.registry.query_datasets(dataset_types, self._search_path(collections), where=where, bind=bind,
                                            data_id=data_id, find_first=find_first, order_by=order_by, limit=limit)

    def query_data_ids(self: ButlerParts, units: str | Sequence[str], *, where: str = "",
                       bind: Mapping[str, Any] | None = None, datasets: str | Sequence[str] | None = None,
                       collections: Sequence[str] | str | None = None,
                       data_id: DataIdLike | None = None) -> QueryResults[DataId]:
        """Distinct DataIds of ``units`` matching ``where``; ``datasets`` are looked for in ``collections``

        (default: the Butler's search path)."""
        search = self._search_path(collections) if datasets else (
            (collections,) if isinstance(collections, str) else collections)
        return self.registry.query_data_ids(units, where=where, bind=bind, datasets=datasets,
                                            collections=search, data_id=data_id)

    def query_data_unit_records(self: ButlerParts, element: str, *, where: str = "",
                                bind: Mapping[str, Any] | None = None,
                                data_id: DataIdLike | None = None) -> QueryResults[dict[str, Any]]:
        """Records of DataUnit or join element ``element`` matching ``where``."""
        return self.registry.query_data_unit_records(element, where=where, bind=bind, data_id=data_id)

    def uris(self: ButlerParts, refs: Sequence[DatasetRef], *,
             progress: Progress | None = None) -> dict[uuid.UUID, str]:
        """The absolute URI of each Dataset's (first) artifact, by dataset id; unstored ones are absent.

        One registry round trip per batch of refs, however many there are.
        """
        found: dict[uuid.UUID, str] = {}
        for part in in_batches(check_refs(refs), progress):
            artifacts = self.registry.get_artifacts([ref.id for ref in part])
            found.update((ref.id, self.datastore.uri(artifacts[ref.id][0])) for ref in part if artifacts.get(ref.id))
        return found
