"""FileDataset: an existing file to ingest, with the DatasetType and DataId it will have."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class FileDataset:
    """A file to ingest as one Dataset of ``dataset_type`` labelled by ``data_id``."""

    path: str
    dataset_type: str
    data_id: Mapping[str, Any] = attrs.field(converter=dict)
    formatter: str | None = None
