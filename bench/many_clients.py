#!/usr/bin/env python
"""Many client processes against one registry, PostgreSQL and SQLite: throughput and latency at 1, 8, 32 and 64 clients.

Content: one instrument, 100 detectors, 1,000 visits, 10^5 "bulk" datasets in RUN ``base``
(``databutler.testing.bulk``), registry only. Each client process opens its own registry (or
Butler) and, for --seconds, runs a mix in turn:

 --level registry (default)  ``find_datasets`` of a random DataId in ``base``, a filtered
                   ``query_datasets`` (one visit, three detectors), and an ``insert_datasets`` of
                   one dataset into a RUN of its own.
 --level butler    a Butler on one repository (files in a local directory, --dir): ``get`` of
                   one of 1,000 stored datasets (RUN ``stored``: a find and a file read), the same
                   filtered query, and a ``put`` of a small dict into a RUN of its own (a registry
                   transaction around the file's publication: on SQLite it holds the write lock).
                   With --payload-kib K the datasets are K KiB of bytes (storage class Bytes), not dicts.

Reported per client count: operations/s over all clients, median and p99 latency of each kind,
connections the server saw at the peak, and any refusals (a client that cannot connect reports
the registry's error instead of a number).

    python bench/many_clients.py                              # throwaway cluster, max_connections 200
    python bench/many_clients.py --level butler               # puts, gets and queries through Butlers
    python bench/many_clients.py --level butler --payload-kib 1024   # files of 1 MiB
    python bench/many_clients.py --max-connections 60         # 64 clients x 2 connections: refusals
    python bench/many_clients.py --backends postgresql        # PostgreSQL only (the default adds one SQLite file)
    python bench/many_clients.py --client-cpus 0 --server-cpus 1   # the server on a CPU of its own

With ``--client-cpus 0 --server-cpus 1`` the clients of both backends get one CPU and the
PostgreSQL server the other, as a database host of its own would take the server's work off the
clients' machine; SQLite, which has no server, leaves that CPU idle.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

VISITS, DETECTORS = 1000, 100
STORED_VISITS = 10
"""Visits of RUN ``stored`` (x 100 detectors: 1,000 datasets with files), read by the Butler mix's gets."""
LEVELS = {"registry": ("find", "query", "insert"), "butler": ("get", "query", "put")}


Target = tuple[str, str, str | None, int]
"""What a client opens: (level, registry url or repository root, namespace, payload KiB)."""


def payload(visit: int, detector: int, kib: int = 0) -> Any:
    """What a Butler client puts (and the filler stores): a small dict, or ``kib`` KiB of bytes."""
    if kib:
        return (visit * DETECTORS + detector).to_bytes(8, "little") * (kib * 128)
    return {"visit": visit, "detector": detector, "values": [visit * detector + k for k in range(8)]}


def dataset_type(kib: int) -> str:
    """The dataset type a Butler client puts and gets."""
    return "blob" if kib else "bulk"


def client(target: Target, index: int, start: tuple[float, Any], out: Any) -> None:
    """One client process: open the registry or Butler, wait until every client has, run the mix, send its latencies.

    ``start`` is the seconds to run and the barrier every client and the parent wait at.
    """
    from databutler import Butler
    from databutler.adapters.sql import SqlRegistry
    from databutler.domain import CollectionKind
    from databutler.domain.errors import DataButlerError
    from databutler.testing.bulk import INSTRUMENT

    level, where, namespace, kib = target
    seconds, ready = start
    kinds = LEVELS[level]
    latencies: dict[str, list[float]] = {k: [] for k in kinds}
    butler = None
    try:
        if level == "butler":
            butler = Butler(where, writeable=True)
            registry: Any = butler.registry
        else:
            registry = SqlRegistry.open(where, namespace=namespace)
        run = f"client{index}/{os.getpid()}"
        registry.register_collection(run, CollectionKind.RUN)
    except DataButlerError as err:
        out.put({"error": str(err)})
        ready.wait()
        return
    rng = random.Random(index)
    next_visit = 0
    ready.wait()  # every process imported and connected (on 2 cores, 64 imports take half a minute)
    deadline = time.perf_counter() + seconds
    step = 0
    try:
        while time.perf_counter() < deadline:
            kind = kinds[step % len(kinds)]
            step += 1
            visit = rng.randrange(VISITS)
            begin = time.perf_counter()
            if kind == "get":
                assert butler is not None
                stored = visit % STORED_VISITS, rng.randrange(DETECTORS)
                got = butler.get(dataset_type(kib), {"instrument": INSTRUMENT, "visit": stored[0],
                                                     "detector": stored[1]}, collections="stored")
                assert got == payload(*stored, kib)
            elif kind == "put":
                assert butler is not None
                data_id = next_visit % VISITS, next_visit // VISITS
                butler.put(payload(*data_id, kib), dataset_type(kib),
                           {"instrument": INSTRUMENT, "visit": data_id[0], "detector": data_id[1]}, run=run)
                next_visit += 1
            elif kind == "find":
                found = registry.find_datasets("bulk", [{"instrument": INSTRUMENT, "visit": visit,
                                                         "detector": rng.randrange(DETECTORS)}], ["base"])
                assert found[0] is not None
            elif kind == "query":
                rows = sum(1 for _ in registry.query_datasets(
                    "bulk", ["base"], where="instrument = :i AND visit = :v AND detector IN (:d)",
                    bind={"i": INSTRUMENT, "v": visit, "d": [1, 2, 3]}))
                assert rows == 3
            else:
                registry.insert_datasets("bulk", run, [{"instrument": INSTRUMENT, "visit": next_visit % VISITS,
                                                        "detector": next_visit // VISITS}])
                next_visit += 1
            latencies[kind].append((time.perf_counter() - begin) * 1000)
    except DataButlerError as err:
        out.put({"error": str(err)})
        return
    finally:
        (butler or registry).close()
    out.put({"latencies": latencies})


def connections(url: str) -> int:
    """Client connections the server has now."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'").scalar_one()) - 1
    finally:
        engine.dispose()


def round_of(target: Target, url: str, clients: int, seconds: float) -> dict[str, Any]:
    """Run ``clients`` processes at once on ``target`` (see ``client``) and summarise what they measured."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    ready = context.Barrier(clients + 1)
    processes = [context.Process(target=client, args=(target, i, (seconds, ready), out))
                 for i in range(clients)]
    for process in processes:
        process.start()
    ready.wait(timeout=600)
    time.sleep(seconds / 2)
    peak = connections(url) if url.startswith("postgresql") else None
    results = [out.get(timeout=120 + seconds) for _ in processes]
    for process in processes:
        process.join()
    errors = [r["error"] for r in results if "error" in r]
    merged: dict[str, list[float]] = {k: [] for k in LEVELS[target[0]]}
    for result in results:
        for kind, values in result.get("latencies", {}).items():
            merged[kind].extend(values)
    total = sum(len(v) for v in merged.values())
    summary: dict[str, Any] = {"clients": clients, "ops": total, "ops_per_s": round(total / seconds, 1),
                               "server_connections_mid_run": peak, "refused": len(errors)}
    if errors:
        summary["first_error"] = errors[0]
    for kind, values in merged.items():
        if values:
            values.sort()
            summary[kind] = {"median_ms": round(statistics.median(values), 2),
                             "p99_ms": round(values[int(0.99 * (len(values) - 1))], 2), "ops": len(values)}
    all_values = sorted(v for values in merged.values() for v in values)
    if all_values:
        summary["p99_ms"] = round(all_values[int(0.99 * (len(all_values) - 1))], 2)
    return summary


def fill(url: str, namespace: str | None, level: str, directory: str, kib: int) -> Target:
    """The content every round reads: 10^5 datasets in RUN ``base`` (and, for Butlers, RUN ``stored``).

    Returns what a client opens (see ``client``).
    """
    from databutler import Butler, DatasetType
    from databutler.adapters.sql import SqlRegistry
    from databutler.config.universe import default_universe
    from databutler.domain import CollectionKind
    from databutler.testing.bulk import INSTRUMENT, bulk_data_ids, insert_bulk_data_units

    def content(registry: Any) -> None:
        insert_bulk_data_units(registry, VISITS, DETECTORS)
        registry.register_collection("base", CollectionKind.RUN)
        registry.insert_datasets("bulk", "base", bulk_data_ids(range(VISITS), range(DETECTORS)))

    if level == "registry":
        with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
            content(registry)
        return level, url, namespace, kib
    root = os.path.join(directory, f"repo-{url.split(':', 1)[0]}")
    registry_config: dict[str, Any] = {"adapter": "sql", "url": placeholder_url(url)}
    if namespace:
        registry_config["namespace"] = namespace
    with Butler.create(root, {"registry": registry_config}) as butler:
        content(butler.registry)
        if kib:
            butler.registry.register_dataset_type(DatasetType("blob", ("instrument", "visit", "detector"), "Bytes"))
        butler.put_many([(payload(v, d, kib), dataset_type(kib), {"instrument": INSTRUMENT, "visit": v, "detector": d})
                         for v in range(STORED_VISITS) for d in range(DETECTORS)], run="stored")
    return level, root, None, kib


def placeholder_url(url: str) -> str:
    """``url`` with its password handed over by variable (a repository refuses a literal one in butler.yaml)."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if not parsed.password:
        return url
    os.environ["MANY_CLIENTS_PASSWORD"] = str(parsed.password)  # the spawned clients inherit it
    host = f"{parsed.host}:{parsed.port}" if parsed.port else str(parsed.host)
    return f"{parsed.drivername}://{parsed.username}:${{MANY_CLIENTS_PASSWORD}}@{host}/{parsed.database}"


def pin_server(directory: str, cpus: set[int]) -> None:
    """Put the throwaway server's processes on ``cpus`` (the backends it starts later inherit it)."""
    with open(os.path.join(directory, "data", "postmaster.pid")) as stream:
        postmaster = int(stream.readline())
    with open(f"/proc/{postmaster}/task/{postmaster}/children") as stream:
        children = [int(pid) for pid in stream.read().split()]
    for pid in (postmaster, *children):
        os.sched_setaffinity(pid, cpus)


@contextlib.contextmanager
def clients_on(cpus: list[int] | None) -> Iterator[None]:
    """Inside the block, this process and the clients it starts run on ``cpus`` (all CPUs if None)."""
    if not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(cpus))
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def main() -> None:
    """Fill each backend, run each client count, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-connections", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"])
    parser.add_argument("--level", choices=sorted(LEVELS), default="registry", help="what each client opens and runs")
    parser.add_argument("--payload-kib", type=int, default=0, help="Butler level: put and get KiB of bytes")
    parser.add_argument("--dir", default=None, help="where the repositories' files go (default: a temporary directory)")
    parser.add_argument("--client-cpus", type=int, nargs="+", default=None,
                        help="run every client process on these CPUs only")
    parser.add_argument("--server-cpus", type=int, nargs="+", default=None,
                        help="run the PostgreSQL server on these CPUs only (a database host of its own)")
    args = parser.parse_args()
    from databutler.testing.postgres import find_bindir, start_cluster, stop_cluster

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="many-clients-", dir=args.dir) as directory:
        if "postgresql" in args.backends:
            bindir = find_bindir()
            if bindir is None:
                sys.exit("no PostgreSQL server binaries found (initdb, pg_ctl)")
            server = start_cluster(bindir, max_connections=args.max_connections)
            try:
                if args.server_cpus:
                    pin_server(server.directory, set(args.server_cpus))
                url = server.url(database=server.create_database())
                target = fill(url, "many", args.level, directory, args.payload_kib)
                with clients_on(args.client_cpus):
                    results["postgresql"] = [round_of(target, url, n, args.seconds) for n in args.clients]
            finally:
                stop_cluster(server)
        if "sqlite" in args.backends:  # the same mix on one SQLite file (WAL): its writers take turns
            url = f"sqlite:///{directory}/registry.sqlite3"
            target = fill(url, None, args.level, directory, args.payload_kib)
            with clients_on(args.client_cpus):
                results["sqlite"] = [round_of(target, url, n, args.seconds) for n in args.clients]
    print(json.dumps({"benchmark": "many_clients", "level": args.level, "payload_kib": args.payload_kib,
                      "cpu_count": os.cpu_count(), "client_cpus": args.client_cpus,
                      "server_cpus": args.server_cpus, "seconds": args.seconds,
                      "max_connections": args.max_connections, "backends": results}, indent=2))


if __name__ == "__main__":
    main()
