#!/usr/bin/env python
"""Listing and removal at scale, the same workload on databutler or on the reference (lsst-daf-butler).

Workload (registry only: datasets inserted in bulk, no files): one instrument with 100
detectors and N / 100 visits, N "summary" datasets (instrument, visit, detector) in RUN
``bench/run`` and N in RUN ``bench/doomed``, then:
 list_all     every dataset of ``bench/run`` (databutler: ``Butler.query_datasets`` streamed and
              ``registry.datasets_in_collection``; reference: ``butler.query_datasets(limit=None)``).
 remove       ``Butler.remove`` of every second dataset of ``bench/run`` (reference: ``pruneDatasets``
              with purge).
 remove_runs  the whole ``bench/doomed`` run (reference: ``removeRuns``).
On databutler it then measures the database's own speed on the same file (``list_raw``, ``remove_raw``:
sqlite3 alone, see ``database_floor``) and reports each phase's ``fraction_of_raw``.

Run with the interpreter of the implementation measured; the script finds out which it has:

    python bench/peer_listing.py --n 100000                          # databutler
    /work/peer-venv/bin/python bench/peer_listing.py --n 100000      # lsst-daf-butler

Prints one JSON object with seconds and rows/s per phase.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import warnings
from typing import Any

RUN, DOOMED, TYPE, INSTRUMENT, DETECTORS = "bench/run", "bench/doomed", "summary", "Cam1", 100


def records(n: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """The DataUnit records of the workload, in insertion order."""
    visits = range(1, n // DETECTORS + 1)
    return [
        ("instrument", [{"name": INSTRUMENT, "visit_max": 10**8, "exposure_max": 10**8,
                         "detector_max": DETECTORS, "class_name": "bench.Cam1"}]),
        ("physical_filter", [{"instrument": INSTRUMENT, "name": "Cam1-r", "band": "r"}]),
        ("detector", [{"instrument": INSTRUMENT, "id": d, "full_name": f"D{d}", "purpose": "SCIENCE"}
                      for d in range(DETECTORS)]),
        ("day_obs", [{"instrument": INSTRUMENT, "id": 20240101}]),
        ("visit", [{"instrument": INSTRUMENT, "id": v, "name": f"v{v}", "physical_filter": "Cam1-r",
                    "day_obs": 20240101, "seq_num": v, "exposure_time": 30.0, "target_name": "f",
                    "observation_reason": "science", "science_program": "bench"} for v in visits]),
    ]


def data_ids(n: int) -> list[dict[str, Any]]:
    """The N data IDs."""
    return [{"instrument": INSTRUMENT, "visit": 1 + i // DETECTORS, "detector": i % DETECTORS} for i in range(n)]


def timed(phases: dict[str, float], name: str, fn: Any) -> Any:
    """Run ``fn`` as phase ``name``."""
    start = time.perf_counter()
    result = fn()
    phases[name] = time.perf_counter() - start
    return result


def ours(root: str, n: int) -> dict[str, Any]:
    """The workload on databutler."""
    from databutler import Butler, DatasetType
    from databutler.domain.collection import CollectionKind

    butler = Butler.create(root, run=RUN)
    registry = butler.registry
    for element, recs in records(n):
        registry.insert_data_units(element, recs)
    registry.register_dataset_type(DatasetType(TYPE, ("instrument", "visit", "detector"), "StructuredData"))
    registry.register_collection(DOOMED, CollectionKind.RUN)
    phases: dict[str, float] = {}
    ids = data_ids(n)
    timed(phases, "insert", lambda: [registry.insert_datasets(TYPE, run, ids[i:i + 10_000])
                                     for run in (RUN, DOOMED) for i in range(0, n, 10_000)])
    counted = timed(phases, "list_all", lambda: sum(1 for _ in butler.query_datasets(TYPE, [RUN])))
    refs = timed(phases, "list_all_as_list", lambda: registry.datasets_in_collection(RUN, TYPE))
    assert counted == len(refs) == n, (counted, len(refs))
    timed(phases, "remove", lambda: butler.remove(refs[::2]))
    assert len(registry.datasets_in_collection(RUN, TYPE)) == n - len(refs[::2])
    timed(phases, "remove_runs", lambda: butler.remove_runs([DOOMED]))
    butler.close()
    database_floor(os.path.join(root, "registry.sqlite3"), [ref.id.hex for ref in refs[1::2]], phases)
    return {"implementation": "databutler", "phases_s": phases}


def database_floor(path: str, remaining: list[str], phases: dict[str, float]) -> None:
    """The database's own speed on the same file, for the ``fraction_of_raw`` of listing and removal.

    ``list_raw``: sqlite3 alone fetching the columns databutler's listing reads (id, run, the units and
    those they imply), as tuples. ``remove_raw``: sqlite3 alone deleting the run's other half by id,
    foreign keys on (what ``remove`` must at least do).
    """
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        (run_id,) = connection.execute("SELECT id FROM collection WHERE name = ?", (RUN,)).fetchone()
        columns = "id, run_id, instrument, visit, detector, band, day_obs, physical_filter"
        start = time.perf_counter()
        rows = connection.execute(f"SELECT {columns} FROM dataset WHERE run_id = ? ORDER BY data_id_key",
                                  (run_id,)).fetchall()
        phases["list_raw"] = time.perf_counter() - start
        assert len(rows) == len(remaining), (len(rows), len(remaining))
        start = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany("DELETE FROM dataset WHERE id = ?", [(i,) for i in remaining])
        connection.execute("COMMIT")
        phases["remove_raw"] = time.perf_counter() - start
    finally:
        connection.close()


def peer(root: str, n: int) -> dict[str, Any]:
    """The workload on lsst-daf-butler."""
    from lsst.daf.butler import Butler, DatasetType
    from lsst.daf.butler.registry import CollectionType

    Butler.makeRepo(root)
    butler = Butler.from_config(root, writeable=True, run=RUN)
    registry = butler.registry
    for element, recs in records(n):
        registry.insertDimensionData(element, *recs)
    registry.registerDatasetType(DatasetType(TYPE, ["instrument", "visit", "detector"], "StructuredDataDict",
                                             universe=butler.dimensions))
    registry.registerCollection(DOOMED, CollectionType.RUN)
    phases: dict[str, float] = {}
    ids = data_ids(n)
    timed(phases, "insert", lambda: [registry.insertDatasets(TYPE, ids[i:i + 10_000], run=run)
                                     for run in (RUN, DOOMED) for i in range(0, n, 10_000)])
    refs = timed(phases, "list_all", lambda: butler.query_datasets(TYPE, collections=RUN, limit=None))
    assert len(refs) == n
    timed(phases, "remove", lambda: butler.pruneDatasets(refs[::2], disassociate=True, unstore=True, purge=True))
    assert len(butler.query_datasets(TYPE, collections=RUN, limit=None)) == n - len(refs[::2])
    timed(phases, "remove_runs", lambda: butler.removeRuns([DOOMED], unstore=True))
    return {"implementation": "lsst-daf-butler", "phases_s": phases}


def main() -> None:
    """Run the workload on whichever implementation this interpreter has and print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dir", default=None, help="where the repository goes (default: a temporary directory)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    workdir = tempfile.mkdtemp(prefix="peer-listing-", dir=args.dir)
    try:
        try:
            import databutler  # noqa: F401
            result = ours(os.path.join(workdir, "repo"), args.n)
        except ImportError:
            result = peer(os.path.join(workdir, "repo"), args.n)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ops = {"insert": 2 * args.n, "list_all": args.n, "list_all_as_list": args.n, "remove": (args.n + 1) // 2,
           "remove_runs": args.n, "list_raw": args.n // 2, "remove_raw": args.n // 2}
    result["n"] = args.n
    rates = {k: ops[k] / v for k, v in result["phases_s"].items() if v > 0}
    result["phases_s"] = {k: round(v, 3) for k, v in result["phases_s"].items()}
    result["rates_per_s"] = {k: round(v, 1) for k, v in rates.items()}
    if "list_raw" in rates:  # databutler on SQLite: how close each phase came to the database's own speed
        result["fraction_of_raw"] = {
            "list_all": round(rates["list_all"] / rates["list_raw"], 3),
            "list_all_as_list": round(rates["list_all_as_list"] / rates["list_raw"], 3),
            "remove": round(rates["remove"] / rates["remove_raw"], 3),
            "remove_runs": round(rates["remove_runs"] / rates["remove_raw"], 3)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
