#!/usr/bin/env python
"""The registry at production scale: 10^5, 10^6 (and, on PostgreSQL, 10^7) datasets, SQLite and PostgreSQL.

Content (registry only: bulk ``insert_datasets``, no files), for a size N:
 DataUnits   3 instruments (CamA, CamB, CamC) of 200 detectors and 2 physical filters each,
             10^4 visits in all (100 a night), one skymap of 20 tracts x 100 patches, every
             visit overlapping 4 patches (``visit_patch_overlap``, stored: the repository is on
             ``databutler.testing.data.stored_overlap_universe()``, which declares it and no spatial
             topology; ``bench/spatial_bench.py`` measures overlaps computed from regions).
 datasets    per-detector types (calexp, src, icSrc, postISRCCD, srcMatch: instrument, visit,
             detector) in RUNs of 2,000 datasets (10 visits x 200 detectors), filled block by
             block, instrument by instrument, type by type until N; a coadd type (band, skymap,
             tract, patch) in one RUN; each instrument's RUNs in a CHAINED ``<instrument>/all``
             and those three in ``all``. Two more RUNs of calexp hold min(10^5, N / 5) datasets
             each: ``big/listing`` (listed) and ``big/remove`` (removed at the end); they count in N.

Timed (latencies: median and p95 over --queries runs, random arguments, rows fetched):
 insert            bulk insert rate of the N datasets (datasets/s; batches of 10^4).
 find              ``find_datasets("calexp", [data_id], ["<instrument>/all"])``: one DataId through a chain.
 query_filtered    ``query_datasets("calexp", ["all"], where="instrument = :i AND visit = :v AND detector IN (:d)")``.
 query_patch_join  ``query_datasets("calexp", ["all"], where="instrument = :i AND skymap = 'Sky1' AND
                   tract = :t AND patch = :p AND detector = :d")``: through the visit <-> patch overlap join.
 data_ids_overlap  ``query_data_ids(("visit", "patch"), where="instrument = :i AND visit = :v")``.
 data_ids_datasets ``query_data_ids("visit", where="skymap = 'Sky1' AND tract = :t AND patch = :p",
                   datasets="calexp", collections=["all"])``.
 list_run          ``datasets_in_collection("big/listing", "calexp")`` and streaming ``query_datasets`` over
                   it: rows/s, and the peak of Python allocations (tracemalloc, separate pass) of each.
 remove_runs       ``Butler.remove_runs(["big/remove"])``: datasets/s.
 vacuum_s          PostgreSQL: ``VACUUM (ANALYZE)`` of the registry's tables after the build, as autovacuum would
                   do it (here, before the latencies rather than beside them).
 db_bytes          database size per dataset (SQLite file + WAL; PostgreSQL: the schema's relations).
 server_round_trip_ms  PostgreSQL: median of ``SELECT 1`` on the bare driver before and after the latencies,
                   the floor of any statement (on this kind of VM it has moved between 0.015 and 0.09 ms).

    python bench/scale.py                                  # 10^5 and 10^6 on SQLite and PostgreSQL
    python bench/scale.py --sizes 100000 --backends sqlite
    python bench/scale.py --sizes 10000000 --backends postgresql     # 10^7: not for CI, takes long
    python bench/scale.py --sizes 1000000 --pin 0          # this process and the server on CPU 0

``--pin`` puts the benchmark and the throwaway server on one CPU. On a VM the round trip between
two virtual CPUs is mostly the cost of waking an idle one (0.08 ms here, against 0.013 ms on one
CPU): pinned, the latencies compare the software of the two backends rather than the VM's wake-ups.

PostgreSQL runs on a throwaway local cluster (``databutler.testing.postgres``) with the cache a
dedicated server is given (``--shared-buffers``, by default a quarter of memory, at most 8GB; the
test clusters' 64MB held a tenth of the 10^6 repository, and a find then read its pages from the
operating system's cache); ``--pg-url`` uses an existing database instead. Prints one JSON object (also to ``--out``).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

INSTRUMENTS = ("CamA", "CamB", "CamC")
DETECTORS = 200
VISITS = 10_000
VISITS_PER_NIGHT = 100
TRACTS, PATCHES = 20, 100
OVERLAPS_PER_VISIT = 4
DETECTOR_TYPES = ("calexp", "src", "icSrc", "postISRCCD", "srcMatch")
RUN_VISITS = 10
"""Visits per RUN: 10 x 200 detectors = 2,000 datasets."""
BATCH = 10_000
BIG_RUN = 100_000
SKYMAP = "Sky1"


def visits_of(instrument_index: int) -> range:
    """The visit ids of one instrument (10^4 visits in all, split evenly)."""
    per = VISITS // len(INSTRUMENTS)
    return range(1 + instrument_index * per, 1 + (instrument_index + 1) * per)


def populate_units(registry: Any) -> None:
    """The DataUnits of the module docstring."""
    for index, instrument in enumerate(INSTRUMENTS):
        registry.insert_data_units("instrument", [{"name": instrument, "detector_max": DETECTORS,
                                                   "visit_max": 10**8, "exposure_max": 10**8}])
        registry.insert_data_units("physical_filter", [{"instrument": instrument, "name": f"{instrument}-{b}",
                                                        "band": b} for b in ("g", "r")])
        registry.insert_data_units("detector", [{"instrument": instrument, "id": d} for d in range(DETECTORS)])
        visits = visits_of(index)
        nights = sorted({night_of(v) for v in visits})
        registry.insert_data_units("day_obs", [{"instrument": instrument, "id": n} for n in nights])
        registry.insert_data_units("visit", [{"instrument": instrument, "id": v, "physical_filter":
                                              f"{instrument}-{'gr'[v % 2]}", "day_obs": night_of(v),
                                              "exposure_time": 30.0} for v in visits])
    registry.insert_data_units("skymap", [{"name": SKYMAP, "tract_max": TRACTS, "patch_nx_max": 10,
                                           "patch_ny_max": 10}])
    registry.insert_data_units("tract", [{"skymap": SKYMAP, "id": t} for t in range(TRACTS)])
    registry.insert_data_units("patch", [{"skymap": SKYMAP, "tract": t, "id": p, "cell_x": p % 10, "cell_y": p // 10}
                                         for t in range(TRACTS) for p in range(PATCHES)])
    cells = TRACTS * PATCHES
    overlaps = []
    for index, instrument in enumerate(INSTRUMENTS):
        for v in visits_of(index):
            for c in sorted({(v * 7 + k) % cells for k in range(OVERLAPS_PER_VISIT)}):
                overlaps.append({"instrument": instrument, "visit": v, "skymap": SKYMAP, "tract": c // PATCHES,
                                 "patch": c % PATCHES})
    registry.insert_data_units("visit_patch_overlap", overlaps)


def night_of(visit: int) -> int:
    """The day_obs of a visit, as YYYYMMDD."""
    night = datetime.date(2024, 1, 1) + datetime.timedelta(days=(visit - 1) // VISITS_PER_NIGHT)
    return int(night.strftime("%Y%m%d"))


def detector_runs() -> Iterator[tuple[str, str, str, list[dict[str, Any]]]]:
    """(run, dataset type, instrument, data IDs) of every detector-type RUN, in filling order."""
    per = VISITS // len(INSTRUMENTS)
    for block in range(per // RUN_VISITS):
        for index, instrument in enumerate(INSTRUMENTS):
            visits = visits_of(index)[block * RUN_VISITS:(block + 1) * RUN_VISITS]
            ids = [{"instrument": instrument, "visit": v, "detector": d} for v in visits for d in range(DETECTORS)]
            for dataset_type in DETECTOR_TYPES:
                yield f"{instrument}/{dataset_type}/block{block}", dataset_type, instrument, ids


def populate_datasets(registry: Any, n: int) -> dict[str, Any]:
    """Insert N datasets as the module docstring says; return the counts and the insert time."""
    from databutler import DatasetType
    from databutler.domain.collection import CollectionKind

    dims = ("instrument", "visit", "detector")
    for name in DETECTOR_TYPES:
        registry.register_dataset_type(DatasetType(name, dims, "StructuredData"))
    registry.register_dataset_type(DatasetType("deepCoadd", ("band", "skymap", "tract", "patch"), "StructuredData"))
    big = min(BIG_RUN, n // 5)
    chains: dict[str, list[str]] = {i: [] for i in INSTRUMENTS}
    inserted = 0
    start = time.perf_counter()

    def insert(run: str, dataset_type: str, ids: list[dict[str, Any]]) -> None:
        nonlocal inserted
        registry.register_collection(run, CollectionKind.RUN)
        for first in range(0, len(ids), BATCH):
            registry.insert_datasets(dataset_type, run, ids[first:first + BATCH])
        inserted += len(ids)

    coadds = [{"band": b, "skymap": SKYMAP, "tract": t, "patch": p}
              for b in ("g", "r") for t in range(TRACTS) for p in range(PATCHES)]
    insert("coadd/run", "deepCoadd", coadds)
    # The two big runs: CamC's last visits, so they do not repeat the detector runs' first blocks.
    last = visits_of(len(INSTRUMENTS) - 1)
    big_ids = [{"instrument": INSTRUMENTS[-1], "visit": v, "detector": d}
               for v in last[::-1] for d in range(DETECTORS)]
    insert("big/listing", "calexp", big_ids[:big])
    insert("big/remove", "src", big_ids[:big])
    for run, dataset_type, instrument, ids in detector_runs():
        if inserted >= n:
            break
        insert(run, dataset_type, ids[:n - inserted])
        chains[instrument].append(run)
    insert_s = time.perf_counter() - start
    for instrument, runs in chains.items():
        registry.register_collection(f"{instrument}/all", CollectionKind.CHAINED)
        registry.set_chain(f"{instrument}/all", runs + (["big/listing"] if instrument == INSTRUMENTS[-1] else []))
    registry.register_collection("all", CollectionKind.CHAINED)
    registry.set_chain("all", [f"{i}/all" for i in INSTRUMENTS] + ["coadd/run"])
    run_count = sum(len(r) for r in chains.values()) + 3
    return {"datasets": inserted, "runs": run_count, "big_run": big, "insert_s": round(insert_s, 2),
            "insert_per_s": round(inserted / insert_s, 1), "chained_runs": {i: len(r) for i, r in chains.items()}}


def timed(queries: int, make: Callable[[random.Random], Callable[[], int]],
          expect: Callable[[int], bool]) -> dict[str, Any]:
    """Median and p95 latency (ms) of ``queries`` runs of what ``make`` builds; each run's row count is checked."""
    rng = random.Random(7)
    runs = [make(rng) for _ in range(queries)]
    runs[0]()  # warm: statement caches, dataset types, collections
    latencies = []
    for run in runs:
        start = time.perf_counter()
        rows = run()
        latencies.append((time.perf_counter() - start) * 1000)
        if not expect(rows):
            raise AssertionError(f"unexpected row count {rows}")
    latencies.sort()
    return {"median_ms": round(statistics.median(latencies), 3),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 3), "queries": queries}


def filled_visits(chained: dict[str, int], big: int = 0) -> dict[str, list[int]]:
    """The visits each instrument has calexp datasets for in its chain (the first of its blocks), once.

    The last instrument's last visits also have calexps in ``big/listing`` (``big`` datasets, in its
    chain): at 10^7 its blocks reach them, so they are left out (a filtered query would find both).
    """
    result = {}
    for index, instrument in enumerate(INSTRUMENTS):
        # calexp is each block's first type; the last block's is complete if a later type followed it.
        full, rest = divmod(chained[instrument], len(DETECTOR_TYPES))
        blocks = full + (1 if rest >= 2 else 0)
        visits = list(visits_of(index)[:blocks * RUN_VISITS])
        if index == len(INSTRUMENTS) - 1 and big:
            doubled = set(visits_of(index)[::-1][:-(-big // DETECTORS)])
            visits = [v for v in visits if v not in doubled]
        result[instrument] = visits
    return result


def measure_queries(registry: Any, counts: dict[str, Any], queries: int) -> dict[str, Any]:
    """The latency section of the module docstring."""
    filled = {i: v for i, v in filled_visits(counts["chained_runs"], counts["big_run"]).items() if v}
    instruments = sorted(filled)
    cells = TRACTS * PATCHES

    def pick(rng: random.Random) -> tuple[str, int]:
        instrument = rng.choice(instruments)
        return instrument, rng.choice(filled[instrument])

    def find(rng: random.Random) -> Callable[[], int]:
        instrument, visit = pick(rng)
        data_id = {"instrument": instrument, "visit": visit, "detector": rng.randrange(DETECTORS)}
        return lambda: sum(r is not None for r in registry.find_datasets("calexp", [data_id], [f"{instrument}/all"]))

    def filtered(rng: random.Random) -> Callable[[], int]:
        instrument, visit = pick(rng)
        detectors = rng.sample(range(DETECTORS), 3)
        return lambda: sum(1 for _ in registry.query_datasets(
            "calexp", ["all"], where="instrument = :i AND visit = :v AND detector IN (:d)",
            bind={"i": instrument, "v": visit, "d": detectors}))

    def patch_join(rng: random.Random) -> Callable[[], int]:
        cell = rng.randrange(cells)
        instrument, detector = rng.choice(instruments), rng.randrange(DETECTORS)
        return lambda: sum(1 for _ in registry.query_datasets(
            "calexp", ["all"], where="instrument = :i AND skymap = 'Sky1' AND tract = :t AND patch = :p AND "
            "detector = :d", bind={"i": instrument, "t": cell // PATCHES, "p": cell % PATCHES, "d": detector}))

    def overlap(rng: random.Random) -> Callable[[], int]:
        instrument, visit = pick(rng)
        return lambda: sum(1 for _ in registry.query_data_ids(
            ("visit", "patch"), where="instrument = :i AND visit = :v", bind={"i": instrument, "v": visit}))

    def data_ids_datasets(rng: random.Random) -> Callable[[], int]:
        cell = rng.randrange(cells)
        return lambda: sum(1 for _ in registry.query_data_ids(
            "visit", where="skymap = 'Sky1' AND tract = :t AND patch = :p",
            bind={"t": cell // PATCHES, "p": cell % PATCHES}, datasets="calexp", collections=["all"]))

    return {
        "find": timed(queries, find, lambda rows: rows == 1),
        "query_filtered": timed(queries, filtered, lambda rows: rows == 3),
        "query_patch_join": timed(queries, patch_join, lambda rows: rows >= 0),
        "data_ids_overlap": timed(queries, overlap, lambda rows: 1 <= rows <= OVERLAPS_PER_VISIT),
        "data_ids_datasets": timed(queries, data_ids_datasets, lambda rows: rows >= 0),
    }


def measure_listing(registry: Any, run: str, expected: int) -> dict[str, Any]:
    """Rows/s of listing ``run`` as a list and as a stream, then each one's peak Python allocations."""
    def as_list() -> int:
        return len(registry.datasets_in_collection(run, "calexp"))

    def as_stream() -> int:
        return sum(1 for _ in registry.query_datasets("calexp", [run]))

    result: dict[str, Any] = {"rows": expected}
    for name, fn in (("datasets_in_collection", as_list), ("query_datasets_stream", as_stream)):
        gc.collect()
        start = time.perf_counter()
        rows = fn()
        elapsed = time.perf_counter() - start
        if rows != expected:
            raise AssertionError(f"{name} listed {rows} of {expected}")
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result[name] = {"rows_per_s": round(rows / elapsed, 1), "s": round(elapsed, 3),
                        "peak_alloc_mib": round(peak / 2**20, 1)}
    return result


def database_bytes(url: str, namespace: str | None) -> int:
    """The size of the registry's database: the SQLite file and its WAL, or the schema's relations."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"),
                {"s": namespace or "public"}).scalar_one())
    finally:
        engine.dispose()


def round_trip_ms(url: str) -> float | None:
    """Median ms of ``SELECT 1`` on the bare driver (PostgreSQL; None for SQLite): no statement takes less."""
    if not url.startswith("postgresql"):
        return None
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        times = []
        for _ in range(2000):
            start = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            times.append(time.perf_counter() - start)
        return round(statistics.median(times[200:]) * 1000, 4)
    finally:
        connection.close()
        engine.dispose()


def vacuum(url: str, namespace: str | None) -> float | None:
    """PostgreSQL: seconds of ``VACUUM (ANALYZE)`` of the registry's tables after the build (None for SQLite).

    Autovacuum does it within a minute of a bulk load; left to it, it ran beside the first
    latencies measured, on their CPU when pinned (a find: 0.084 ms instead of 0.075).
    """
    if not url.startswith("postgresql"):
        return None
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        start = time.perf_counter()
        with engine.connect() as connection:
            tables = connection.exec_driver_sql(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables "
                "WHERE schemaname = %(schema)s", {"schema": namespace or "public"}).scalars().all()
            for table in tables:
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        return round(time.perf_counter() - start, 2)
    finally:
        engine.dispose()


def measure(url: str, namespace: str | None, n: int, queries: int, workdir: str) -> dict[str, Any]:
    """Build a repository of ``n`` datasets at ``url`` and measure it."""
    import sqlalchemy as sa

    from databutler import Butler

    parsed = sa.make_url(url)
    configured = url
    if parsed.password:  # a repository refuses a literal password: hand it over by variable
        os.environ["DATABUTLER_SCALE_PASSWORD"] = str(parsed.password)
        host = f"{parsed.host}:{parsed.port}" if parsed.port else str(parsed.host)
        configured = (f"{parsed.drivername}://{parsed.username}:${{DATABUTLER_SCALE_PASSWORD}}@{host}/"
                      f"{parsed.database}")
    from databutler.testing.data import stored_overlap_universe

    universe = stored_overlap_universe().to_mapping()
    config: dict[str, Any] = {"registry": {"adapter": "sql", "url": configured}, "universe": universe}
    if namespace:
        config["registry"]["namespace"] = namespace
    butler = Butler.create(os.path.join(workdir, f"repo-{n}-{url.split(':', 1)[0]}"), config)
    registry = butler.registry
    try:
        start = time.perf_counter()
        populate_units(registry)
        units_s = time.perf_counter() - start
        counts = populate_datasets(registry, n)
        result: dict[str, Any] = {"n_datasets": counts["datasets"], "units_s": round(units_s, 2), **counts}
        vacuum_s = vacuum(url, namespace)
        if vacuum_s is not None:
            result["vacuum_s"] = vacuum_s
        before = round_trip_ms(url)
        result["latency"] = measure_queries(registry, counts, queries)
        if before is not None:  # the floor of every statement, before and after the latencies (it drifts)
            result["server_round_trip_ms"] = [before, round_trip_ms(url)]
        result["list_run"] = measure_listing(registry, "big/listing", counts["big_run"])
        size = database_bytes(url, namespace)
        result["db_bytes"] = size
        result["db_bytes_per_dataset"] = round(size / counts["datasets"], 1)
        start = time.perf_counter()
        butler.remove_runs(["big/remove"])
        elapsed = time.perf_counter() - start
        result["remove_runs"] = {"datasets": counts["big_run"], "s": round(elapsed, 3),
                                 "datasets_per_s": round(counts["big_run"] / elapsed, 1)}
        return result
    finally:
        butler.close()


def default_shared_buffers() -> str:
    """PostgreSQL's advice for a dedicated server, a quarter of memory, capped at 8GB."""
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return f"{max(128, min(memory_mb // 4, 8192))}MB"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every size on every backend asked for and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--queries", type=int, default=200, help="timed runs of each query")
    parser.add_argument("--pg-url", help="an existing PostgreSQL database instead of a throwaway cluster")
    parser.add_argument("--dir", default=None, help="where the SQLite files go (default: a temporary directory)")
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument("--pin", type=int, default=None, help="run this process and the throwaway server on this CPU")
    parser.add_argument("--shared-buffers", default=default_shared_buffers(),
                        help="the throwaway server's cache (default: a quarter of memory, at most 8GB)")
    args = parser.parse_args(argv)
    if args.pin is not None:
        os.sched_setaffinity(0, {args.pin})
    import sqlalchemy

    import databutler

    result: dict[str, Any] = {"benchmark": "scale", "version": databutler.__version__,
                              "sqlalchemy": sqlalchemy.__version__, "cpu_count": os.cpu_count(), "pinned_cpu": args.pin,
                              "shared_buffers": None if args.pg_url else args.shared_buffers, "results": []}
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="databutler-scale-", dir=args.dir) as workdir:
            for backend in args.backends:
                for n in args.sizes:
                    if backend == "sqlite":
                        url, namespace = f"sqlite:///{os.path.join(workdir, f'registry-{n}.sqlite3')}", None
                    else:
                        if args.pg_url is None and server is None:
                            from databutler.testing.postgres import find_bindir, start_cluster

                            bindir = find_bindir()
                            if bindir is None:
                                sys.exit("no PostgreSQL server binaries found (initdb, pg_ctl)")
                            server = start_cluster(bindir, shared_buffers=args.shared_buffers)
                            if args.pin is not None:  # the postmaster's CPUs are its backends'
                                with open(os.path.join(server.directory, "data", "postmaster.pid")) as fh:
                                    os.sched_setaffinity(int(fh.readline()), {args.pin})
                        url = args.pg_url or server.url(database=server.create_database())  # type: ignore[union-attr]
                        namespace = f"scale{n}"
                    print(f"[{backend} {n}] building", file=sys.stderr)
                    entry = {"backend": backend, "size": n, **measure(url, namespace, n, args.queries, workdir)}
                    print(json.dumps(entry), file=sys.stderr)
                    result["results"].append(entry)
    finally:
        if server is not None:
            from databutler.testing.postgres import stop_cluster

            stop_cluster(server)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    return result


if __name__ == "__main__":
    main()
