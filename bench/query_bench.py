#!/usr/bin/env python
"""Latency of where-language queries on a registry holding many datasets (SQLite, PostgreSQL).

Content (registry only, no files): one instrument ``Cam1`` with 10 detectors, N / 10 visits
(100 a night), a skymap with 4 tracts of 100 patches, each visit overlapping 2 patches
(``visit_patch_overlap``, stored: the registry is on ``databutler.testing.data.stored_overlap_universe()``),
and N "summary" datasets (instrument, visit, detector) in one RUN.

Timed, each a median and 95th percentile over ``--queries`` runs, rows fetched:
 datasets_filtered  ``query_datasets("summary", [run], where="instrument = 'Cam1' AND visit = :v
                    AND detector IN (:d)")`` with three detectors (3 rows).
 data_ids_overlap   ``query_data_ids(("visit", "patch"), where="instrument = 'Cam1' AND visit = :v")``
                    through the visit<->patch overlap join (2 rows).
 data_ids_patch     ``query_data_ids("visit", where="skymap = 'SkyMap1' AND tract = :t AND patch = :p")``:
                    the visits overlapping one patch, again through the overlap join.

On PostgreSQL the database is ANALYZEd after the inserts (see ``analyze``).

With ``--layered`` the content is put in a release registry and the queries run through a
personal registry layered over it (SQLite: a second file attached read-only; PostgreSQL: a second
schema), so every table they read is a union view.

    python bench/query_bench.py --n 100000                 # SQLite file in a temporary directory
    python bench/query_bench.py --n 100000 --postgres      # also a throwaway PostgreSQL cluster
    python bench/query_bench.py --db postgresql://...      # an existing database
    python bench/query_bench.py --n 100000 --postgres --layered
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

INSTRUMENT = "Cam1"
N_DETECTORS = 10
VISITS_PER_NIGHT = 100
TRACTS = 4
PATCHES = 100
RUN = "bench/run"


def populate(registry: Any, n: int) -> int:
    """Insert the content of the module docstring; return the number of visits."""
    from databutler import DatasetType
    from databutler.domain.collection import CollectionKind

    n_visits = max(1, n // N_DETECTORS)
    registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": N_DETECTORS}])
    registry.insert_data_units("physical_filter", [{"instrument": INSTRUMENT, "name": "Cam1-r", "band": "r"}])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in range(N_DETECTORS)])
    nights = sorted({20240101 + (v - 1) // VISITS_PER_NIGHT for v in range(1, n_visits + 1)})
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": d} for d in nights])
    registry.insert_data_units("visit", [{"instrument": INSTRUMENT, "id": v, "physical_filter": "Cam1-r",
                                          "day_obs": 20240101 + (v - 1) // VISITS_PER_NIGHT, "exposure_time": 30.0}
                                         for v in range(1, n_visits + 1)])
    registry.insert_data_units("skymap", [{"name": "SkyMap1"}])
    registry.insert_data_units("tract", [{"skymap": "SkyMap1", "id": t} for t in range(TRACTS)])
    registry.insert_data_units("patch", [{"skymap": "SkyMap1", "tract": t, "id": p, "cell_x": p % 10, "cell_y": p // 10}
                                         for t in range(TRACTS) for p in range(PATCHES)])
    cells = TRACTS * PATCHES
    registry.insert_data_units("visit_patch_overlap", [
        {"instrument": INSTRUMENT, "visit": v, "skymap": "SkyMap1", "tract": c // PATCHES, "patch": c % PATCHES}
        for v in range(1, n_visits + 1) for c in sorted({v % cells, (v + 1) % cells})])
    registry.register_dataset_type(DatasetType("summary", ("instrument", "visit", "detector"), "StructuredData"))
    registry.register_collection(RUN, CollectionKind.RUN)
    ids = [{"instrument": INSTRUMENT, "visit": 1 + i // N_DETECTORS, "detector": i % N_DETECTORS} for i in range(n)]
    for start in range(0, n, 10_000):
        registry.insert_datasets("summary", RUN, ids[start:start + 10_000])
    return n_visits


def timed(queries: int, make: Callable[[random.Random], Callable[[], int]],
          expect: Callable[[int], bool]) -> dict[str, Any]:
    """Median and p95 latency (ms) of ``queries`` runs of the query ``make`` builds."""
    rng = random.Random(42)
    runs = [make(rng) for _ in range(queries)]
    runs[0]()  # warm caches (dataset type, collections, statement compilation)
    latencies = []
    for run in runs:
        start = time.perf_counter()
        rows = run()
        latencies.append((time.perf_counter() - start) * 1000)
        if not expect(rows):
            raise AssertionError(f"unexpected row count {rows}")
    latencies.sort()
    return {"median_ms": round(statistics.median(latencies), 3),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
            "mean_ms": round(statistics.fmean(latencies), 3), "queries": queries}


def analyze(url: str) -> None:
    """Refresh PostgreSQL's planner statistics, as autovacuum does soon after a bulk insert.

    Right after 100,000 inserts the planner has no statistics and scans the whole run instead of
    using the DataUnit indexes; a long-lived registry never queries in that state for long.
    """
    import sqlalchemy as sa

    if not url.startswith("postgres"):
        return
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def measure(url: str, n: int, queries: int, namespace: str | None = None, *, layered: bool = False) -> dict[str, Any]:
    """Create a registry at ``url``, populate it and time the three queries.

    ``layered``: populate a release registry (beside the SQLite file, or in schema
    ``<namespace>_release``) and query through a personal registry at ``url`` over it.
    """
    from databutler.adapters.sql import Release, SqlRegistry
    from databutler.testing.data import stored_overlap_universe as default_universe  # stored visit_patch_overlap

    release = None
    if layered:
        if url.startswith("sqlite"):
            release_url = url.replace("registry.sqlite3", "release.sqlite3")
            release, release_namespace = Release(url=release_url), None
        else:
            release_url, release_namespace = url, f"{namespace}_release"
            release = Release(namespace=release_namespace)
        registry = SqlRegistry.create(release_url, default_universe(), namespace=release_namespace)
    else:
        registry = SqlRegistry.create(url, default_universe(), namespace=namespace)
    try:
        start = time.perf_counter()
        n_visits = populate(registry, n)
        populate_s = time.perf_counter() - start
        analyze(url)
        if release is not None:
            registry.close()
            registry = SqlRegistry.create(url, default_universe(), namespace=namespace, release=release)

        def filtered(rng: random.Random) -> Callable[[], int]:
            visit = rng.randint(1, n_visits)
            detectors = rng.sample(range(N_DETECTORS), 3)
            return lambda: sum(1 for _ in registry.query_datasets(
                "summary", [RUN], where="instrument = 'Cam1' AND visit = :v AND detector IN (:d)",
                bind={"v": visit, "d": detectors}))

        def overlap(rng: random.Random) -> Callable[[], int]:
            visit = rng.randint(1, n_visits)
            return lambda: sum(1 for _ in registry.query_data_ids(
                ("visit", "patch"), where="instrument = 'Cam1' AND visit = :v", bind={"v": visit}))

        def by_patch(rng: random.Random) -> Callable[[], int]:
            cell = rng.randint(1, min(n_visits, TRACTS * PATCHES - 1))
            return lambda: sum(1 for _ in registry.query_data_ids(
                "visit", where="skymap = 'SkyMap1' AND tract = :t AND patch = :p",
                bind={"t": cell // PATCHES, "p": cell % PATCHES}))

        return {
            "layered": layered, "n_datasets": n, "visits": n_visits, "populate_s": round(populate_s, 2),
            "datasets_filtered": timed(queries, filtered, lambda rows: rows == 3),
            "data_ids_overlap": timed(queries, overlap, lambda rows: rows in (1, 2)),
            "data_ids_patch": timed(queries, by_patch, lambda rows: rows >= 1),
        }
    finally:
        registry.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="number of datasets (default 100000)")
    parser.add_argument("--queries", type=int, default=200, help="timed runs of each query (default 200)")
    parser.add_argument("--db", help="registry URL instead of a temporary SQLite file")
    parser.add_argument("--postgres", action="store_true",
                        help="also run on a throwaway PostgreSQL cluster (needs the server binaries)")
    parser.add_argument("--layered", action="store_true",
                        help="query through a personal registry layered over a release holding the content")
    args = parser.parse_args(argv)
    import sqlalchemy

    import databutler

    result: dict[str, Any] = {"benchmark": "query_bench", "version": databutler.__version__,
                              "sqlalchemy": sqlalchemy.__version__, "cpu_count": os.cpu_count(), "results": {}}
    if args.db:
        result["results"][args.db.split(":", 1)[0]] = measure(args.db, args.n, args.queries, layered=args.layered)
    else:
        with tempfile.TemporaryDirectory(prefix="databutler-query-bench-") as tmp:
            url = f"sqlite:///{os.path.join(tmp, 'registry.sqlite3')}"
            result["results"]["sqlite"] = measure(url, args.n, args.queries, layered=args.layered)
    if args.postgres:
        from databutler.testing.postgres import find_bindir, start_cluster, stop_cluster

        bindir = find_bindir()
        if bindir is None:
            print("no PostgreSQL server binaries found; skipping PostgreSQL", file=sys.stderr)
        else:
            server = start_cluster(bindir)
            try:
                database = server.create_database()
                result["results"]["postgresql"] = measure(server.url(database=database), args.n, args.queries,
                                                          namespace="butler", layered=args.layered)
            finally:
                stop_cluster(server)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
