"""Many DataUnit records and data IDs, for concurrency tests and bulk-insert benchmarks."""

from __future__ import annotations

from typing import Any

from ..domain.dataset_type import DatasetType
from ..ports.registry import Registry

INSTRUMENT = "BulkCam"
BULK_TYPE = DatasetType("bulk", ("instrument", "visit", "detector"), "StructuredData")
"""A dataset type labelled by visit and detector: ``visits * detectors`` distinct data IDs."""


def insert_bulk_data_units(registry: Registry, visits: int, detectors: int) -> None:
    """Insert instrument ``BulkCam`` with ``visits`` visits and ``detectors`` detectors, and BULK_TYPE."""
    registry.insert_data_units("instrument", [{"name": INSTRUMENT}])
    registry.insert_data_units("physical_filter", [{"instrument": INSTRUMENT, "name": "BulkCam-r", "band": "r"}])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": 20240101}])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in range(detectors)])
    registry.insert_data_units("visit", [{"instrument": INSTRUMENT, "id": v, "physical_filter": "BulkCam-r",
                                          "day_obs": 20240101} for v in range(visits)])
    registry.register_dataset_type(BULK_TYPE)


def bulk_data_ids(visits: range, detectors: range) -> list[dict[str, Any]]:
    """The data IDs of BULK_TYPE for every visit and detector given."""
    return [{"instrument": INSTRUMENT, "visit": v, "detector": d} for v in visits for d in detectors]
