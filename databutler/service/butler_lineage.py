"""The Butler's lineage: what a Dataset was made from and what used it, found by ref, id or DatasetType and DataId."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..domain.errors import DataIdError, DatasetNotFoundError
from ..domain.lineage import Direction, Lineage, ProvenanceGraph
from ..ports.registry import DataIdLike
from .butler_parts import ButlerParts


class _Finder(ButlerParts, Protocol):
    def find_dataset(self, dataset_type: str | DatasetType, data_id: DataIdLike | None = None, *,
                     collections: Sequence[str] | str | None = None,
                     **data_id_kwargs: Any) -> DatasetRef | None: ...


class ButlerLineage:
    """Lineage over the Butler's search path (needs the registry's ``lineage`` capability)."""

    def lineage(self: _Finder, dataset: DatasetRef | uuid.UUID | str | DatasetType,
                data_id: DataIdLike | None = None, /, *, direction: Direction | str = Direction.UP,
                depth: int | None = None, collections: Sequence[str] | str | None = None,
                **data_id_kwargs: Any) -> Lineage:
        """The ancestors ("up") or descendants ("down") of a Dataset, ``depth`` quanta deep at most (None: all).

        The Dataset is a ref, an id, or a DatasetType and DataId found first in ``collections``
        (default: the Butler's search path); the lineage itself is not limited to those collections.
        """
        if isinstance(dataset, DatasetRef | uuid.UUID):
            if data_id or data_id_kwargs:
                raise DataIdError("a DataId may not be given together with a DatasetRef or dataset id")
            dataset_id = dataset.id if isinstance(dataset, DatasetRef) else dataset
        else:
            found = self.find_dataset(dataset, data_id, collections=collections, **data_id_kwargs)
            if found is None:
                name = dataset.name if isinstance(dataset, DatasetType) else dataset
                shown = {**(data_id or {}), **data_id_kwargs}
                raise DatasetNotFoundError(f"no dataset {name!r} with data ID {shown} in collections "
                                           f"{list(self._search_path(collections))}")
            dataset_id = found.id
        return self.registry.lineage(dataset_id, direction=direction, depth=depth)

    def run_provenance(self: ButlerParts, run: str) -> ProvenanceGraph:
        """Every quantum recorded in RUN ``run`` with the Datasets it read and wrote."""
        return self.registry.run_provenance(run)
