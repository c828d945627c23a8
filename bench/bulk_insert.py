#!/usr/bin/env python
"""Bulk insert rate and single-dataset find latency of SqlRegistry at 100,000 datasets.

For each backend (SQLite file; PostgreSQL: a throwaway local cluster, or ``--pg-url``):
 insert   ``insert_datasets`` of N datasets (V visits x 100 detectors) in batches of --batch,
          from a registry opened afresh (cold caches, so DataIds are validated against the
          database); reported as datasets/s, with the number of SQL statements executed.
 find     --finds single ``find_datasets`` calls for random DataIds in a run holding the N
          datasets, searching a two-run path (the dataset is in the second); median and p95 ms.

With ``--layered`` the same is measured on a personal registry layered over a release registry
(SQLite: a second file attached read-only; PostgreSQL: a second schema): the N datasets searched
are in the release and found through the union views, and the N inserted go to the personal layer.

    python bench/bulk_insert.py                 # N = 100000, SQLite and PostgreSQL
    python bench/bulk_insert.py --n 20000 --backends sqlite
    python bench/bulk_insert.py --layered       # the same through a personal registry over a release

Prints one JSON object per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from typing import Any

import sqlalchemy as sa

from databutler.adapters.sql import Release, SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.testing.bulk import bulk_data_ids, insert_bulk_data_units
from databutler.testing.postgres import find_bindir, start_cluster, stop_cluster

DETECTORS = 100


def measure(url: str, namespace: str | None, n: int, batch: int, finds: int, *,
            release: tuple[str, Release] | None = None) -> dict[str, Any]:
    """Create a registry at ``url``, insert ``n`` datasets and time inserts and single finds.

    With ``release`` (its url and how the personal registry names it), the DataUnits and the ``n``
    datasets searched are put in that release first, and the registry at ``url`` is a personal
    registry over it that inserts ``n`` datasets of its own.
    """
    visits = max(1, n // DETECTORS)
    data_ids = bulk_data_ids(range(visits), range(DETECTORS))[:n]
    if release is not None:
        release_namespace = release[1].namespace
        with SqlRegistry.create(release[0], default_universe(), namespace=release_namespace) as registry:
            insert_bulk_data_units(registry, visits, DETECTORS)
            registry.register_collection("run", CollectionKind.RUN)
            registry.insert_datasets("bulk", "run", data_ids)
        with SqlRegistry.create(url, default_universe(), namespace=namespace, release=release[1]) as registry:
            registry.register_collection("mine", CollectionKind.RUN)
            registry.register_collection("empty", CollectionKind.RUN)
    else:
        with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
            insert_bulk_data_units(registry, visits, DETECTORS)
            registry.register_collection("run", CollectionKind.RUN)
            registry.register_collection("empty", CollectionKind.RUN)
    target = "run" if release is None else "mine"
    with SqlRegistry.open(url, namespace=namespace) as registry:
        statements = [0]
        sa.event.listen(registry._session._engine, "before_cursor_execute",
                        lambda *args: statements.__setitem__(0, statements[0] + 1))
        start = time.perf_counter()
        for offset in range(0, len(data_ids), batch):
            registry.insert_datasets("bulk", target, data_ids[offset:offset + batch])
        insert_s = time.perf_counter() - start
    with SqlRegistry.open(url, namespace=namespace, writeable=False) as registry:
        rng = random.Random(42)
        registry.find_datasets("bulk", [data_ids[0]], ["empty", "run"])  # warm the type and collection caches
        latencies = []
        for data_id in rng.sample(data_ids, min(finds, len(data_ids))):
            start = time.perf_counter()
            (found,) = registry.find_datasets("bulk", [data_id], ["empty", "run"])
            latencies.append(time.perf_counter() - start)
            assert found is not None
    latencies.sort()
    return {"layered": release is not None, "datasets": len(data_ids), "batch": batch, "insert_s": round(insert_s, 3),
            "insert_datasets_per_s": round(len(data_ids) / insert_s), "insert_statements": statements[0],
            "find_median_ms": round(statistics.median(latencies) * 1000, 3),
            "find_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 3), "finds": len(latencies)}


def main() -> None:
    """Run the benchmark on the chosen backends and print one JSON object per backend."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="datasets to insert (default 100000)")
    parser.add_argument("--batch", type=int, default=100_000, help="datasets per insert_datasets call")
    parser.add_argument("--finds", type=int, default=2000, help="single finds to time")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--layered", action="store_true", help="measure a personal registry over a release")
    parser.add_argument("--pg-url", default=os.environ.get("DATABUTLER_BENCH_PG_URL"),
                        help="an existing PostgreSQL server (default: start a throwaway local cluster)")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                release_url = f"sqlite:///{tmp}/release.sqlite3"
                result = measure(f"sqlite:///{tmp}/registry.sqlite3", None, args.n, args.batch, args.finds,
                                 release=(release_url, Release(url=release_url)) if args.layered else None)
        elif backend == "postgresql":
            namespace = f"bench_{os.getpid()}"
            server = None
            url = args.pg_url
            if url is None:
                bindir = find_bindir()
                if bindir is None:
                    raise SystemExit("no PostgreSQL server binaries found; pass --pg-url")
                server = start_cluster(bindir)
                url = server.url()
            try:
                result = measure(url, namespace, args.n, args.batch, args.finds,
                                 release=(url, Release(namespace=f"{namespace}_release")) if args.layered else None)
            finally:
                if server is not None:
                    stop_cluster(server)
        else:
            raise SystemExit(f"unknown backend {backend!r}")
        print(json.dumps({"backend": backend, **result}), flush=True)


if __name__ == "__main__":
    main()
