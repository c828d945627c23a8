"""Several OS processes putting into one embedded repository at once lose nothing."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from databutler import Butler, DatasetType

INSTRUMENT = "Cam1"
PER_PROCESS = 150


def _writer(root: str, worker: int) -> int:
    butler = Butler(root, run="shared")
    count = 0
    for visit in range(PER_PROCESS):
        butler.put({"worker": worker, "visit": visit}, "summary", instrument=INSTRUMENT, visit=visit,
                   detector=worker)
        count += 1
    butler.close()
    return count


def test_two_processes_putting_concurrently_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    butler = Butler.create(root)
    registry = butler.registry
    registry.insert_data_units("instrument", [{"name": INSTRUMENT}])
    registry.insert_data_units("physical_filter", [{"instrument": INSTRUMENT, "name": "r", "band": "r"}])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": 1}])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in range(4)])
    registry.insert_data_units("visit", [{"instrument": INSTRUMENT, "id": v, "physical_filter": "r", "day_obs": 1}
                                         for v in range(PER_PROCESS)])
    registry.register_dataset_type(DatasetType("summary", ("instrument", "visit", "detector"), "StructuredData"))
    butler.close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        counts = pool.starmap(_writer, [(str(root), 0), (str(root), 1)])
    assert counts == [PER_PROCESS, PER_PROCESS]
    reader = Butler(root, collections="shared")
    refs = reader.registry.datasets_in_collection("shared")
    assert len(refs) == 2 * PER_PROCESS
    assert len({ref.id for ref in refs}) == 2 * PER_PROCESS
    for worker in (0, 1):
        for visit in (0, PER_PROCESS // 2, PER_PROCESS - 1):
            got = reader.get("summary", instrument=INSTRUMENT, visit=visit, detector=worker)
            assert got == {"worker": worker, "visit": visit}
    assert reader.verify(refs) == {}
    reader.close()
