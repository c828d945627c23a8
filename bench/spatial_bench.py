#!/usr/bin/env python
"""Cost of computed spatial overlaps (SQLite): inserting spatial records, and querying through the overlaps.

Content: a skymap of ``--tracts`` tracts of 10 x 10 patches (1 degree patches on a band of sky),
one instrument with ``--visits`` visits (1.5-degree boxes at random places on the band) and
``--detectors`` detector regions per visit. Every insert writes the htm7 index and the computed
overlap pairs in its transaction.

Timed (seconds; queries as median over 20 runs):
 insert_patches / insert_visits / insert_detectors  the batched inserts, index and overlaps included;
 visit_patch_one      ``query_data_ids(("visit", "patch"), where="instrument = 'Cam1' AND visit = :v")``;
 visit_patch_all      every (visit, patch) pair (rows reported);
 visit_point          ``query_data_ids("visit", where="visit.region OVERLAPS POINT(ra, dec)")``.

    python bench/spatial_bench.py --visits 1000 --detectors 10 --tracts 4
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from lsst import sphgeom

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe


def _box(ra: float, dec: float, half: float) -> sphgeom.Box:
    return sphgeom.Box.fromDegrees(ra - half, dec - half, ra + half, dec + half)


def main() -> None:
    """Run the workload and print one JSON object of timings."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--detectors", type=int, default=10)
    parser.add_argument("--tracts", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(42)
    width = 10.0 * args.tracts  # degrees of right ascension the tracts cover, declinations -5..5
    out: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        registry = SqlRegistry.create(f"sqlite:///{Path(tmp) / 'registry.sqlite3'}", default_universe())
        registry.insert_data_units("skymap", [{"name": "sky"}])
        registry.insert_data_units("tract", [{"skymap": "sky", "id": t,
                                              "region": sphgeom.Box.fromDegrees(10 * t, -5, 10 * t + 10, 5)}
                                             for t in range(args.tracts)])
        started = time.perf_counter()
        registry.insert_data_units("patch", [
            {"skymap": "sky", "tract": t, "id": 10 * y + x,
             "region": sphgeom.Box.fromDegrees(10 * t + x, -5 + y, 10 * t + x + 1, -4 + y)}
            for t in range(args.tracts) for y in range(10) for x in range(10)])
        out["insert_patches"] = time.perf_counter() - started
        registry.insert_data_units("instrument", [{"name": "Cam1"}])
        registry.insert_data_units("detector", [{"instrument": "Cam1", "id": d} for d in range(args.detectors)])
        centres = [(rng.uniform(1, width - 1), rng.uniform(-4, 4)) for _ in range(args.visits)]
        started = time.perf_counter()
        registry.insert_data_units("visit", [{"instrument": "Cam1", "id": v, "region": _box(ra, dec, 0.75)}
                                             for v, (ra, dec) in enumerate(centres)])
        out["insert_visits"] = time.perf_counter() - started
        started = time.perf_counter()
        registry.insert_data_units("visit_detector_region", [
            {"instrument": "Cam1", "visit": v, "detector": d,
             "region": _box(ra - 0.75 + 1.5 * (d + 0.5) / args.detectors, dec, 0.7 / args.detectors)}
            for v, (ra, dec) in enumerate(centres) for d in range(args.detectors)])
        out["insert_detectors"] = time.perf_counter() - started

        def median(run: object) -> float:
            times = []
            for _ in range(20):
                started = time.perf_counter()
                run()  # type: ignore[operator]
                times.append(time.perf_counter() - started)
            return statistics.median(times)

        out["visit_patch_one"] = median(lambda: list(registry.query_data_ids(
            ("visit", "patch"), where="instrument = 'Cam1' AND visit = :v", bind={"v": rng.randrange(args.visits)})))
        started = time.perf_counter()
        out["visit_patch_all_rows"] = registry.query_data_ids(("visit", "patch")).count()
        out["visit_patch_all"] = time.perf_counter() - started
        out["visit_point"] = median(lambda: list(registry.query_data_ids(
            "visit", where=f"visit.region OVERLAPS POINT({rng.uniform(1, width - 1)}, {rng.uniform(-4, 4)})")))
        registry.close()
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}))


if __name__ == "__main__":
    main()
