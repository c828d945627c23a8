#!/usr/bin/env python
"""Find-by-DataId latency of the DBB registry (over DESDM tables) against the SQL registry, SQLite and PostgreSQL.

A benchmark, not a test. For each database (a SQLite file under ``--directory``, and a schema of a
throwaway PostgreSQL cluster unless ``--no-postgres``) it builds:

- ``dbb``: a DESDM catalog filled by ``databutler.testing.desdm`` (``--exposures`` x ``--ccds``
  finalcut CCDs, each with a ``red_bkg`` and a ``psfex_model`` file: ~10^5 DESFILE rows at the
  defaults), a DBB registry created over it (DataUnit records adopted from the metadata columns)
  and the two file types registered as DatasetTypes;
- ``sql``: a SQL registry with the same content: the DBB registry's DataUnit records, the same
  two DatasetTypes, one RUN per attempt holding the same datasets (same ids and DataIds), and a
  TAGGED collection ``Y2A1_FINALCUT`` holding what the PROCTAG tag of that name holds.

Then it times, on each registry, with the same seeded random DataIds:

 run     ``find_datasets`` of one ``red_bkg`` DataId in its own RUN (median and p95 over ``--calls``);
 tag     the same through the TAGGED collection ``Y2A1_FINALCUT``;
 path3   the same through a search path of three RUNs, the dataset in the last;
 batch   ``find_datasets`` of ``--batch`` DataIds in one call through the tag (cost per DataId);
 where   ``query_datasets`` through the tag with ``where="instrument = 'D' AND exposure = :e"``: one
         exposure's CCDs (median and p95 over ``--queries``).

Every measurement stops early once it has run ``--budget`` seconds (the count in parentheses says
how many calls it timed), so the whole run stays within a few minutes. PostgreSQL is ANALYZEd after
building, as its autovacuum soon would be; SQLite is not, as nothing ANALYZEs a SQLite file in use.

    python bench/dbb_find.py                        # 800 exposures x 62 CCDs, SQLite and PostgreSQL
    python bench/dbb_find.py --exposures 80 --no-postgres
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import attrs
import sqlalchemy as sa

from databutler import DatasetType
from databutler.adapters import dbb, sql
from databutler.config.universe import default_universe
from databutler.domain.collection import CollectionKind
from databutler.domain.dataset import DatasetRef
from databutler.ports.registry import Registry
from databutler.testing.desdm import create_desdm, desdm_engine, fill_desdm
from databutler.testing.desdm.fixtures import with_search_path
from databutler.testing.postgres import PostgresServer, find_bindir, start_cluster, stop_cluster

UNITS = {"CAMSYM": "instrument", "EXPNUM": "exposure", "CCDNUM": "detector", "BAND": "band", "NITE": "day_obs"}
DATASET_TYPES = (DatasetType("red_bkg", ("instrument", "exposure", "detector"), "Bytes"),
                 DatasetType("psfex_model", ("instrument", "exposure", "detector"), "Bytes"))
FOUND = "red_bkg"
"""The DatasetType every measurement finds."""
TAG = "Y2A1_FINALCUT"
"""The PROCTAG tag holding every good finalcut attempt's files (a TAGGED collection on both sides)."""
DESDM_SCHEMA = "desdm"
SQL_SCHEMA = "butler"
MEASUREMENTS = ("run", "tag", "path3", "batch", "where")


@attrs.frozen
class Timing:
    """Latencies of one measurement, in milliseconds (per DataId for a batch)."""

    median_ms: float
    p95_ms: float
    calls: int


@attrs.frozen
class Database:
    """Where one side's tables go: the DESDM URL (search path set on PostgreSQL), its schema, the SQL registry's."""

    name: str
    desdm_url: str
    desdm_schema: str | None
    sql_url: str
    sql_schema: str | None
    archive: str


@attrs.frozen
class Workload:
    """What every registry is asked, drawn once from the DBB registry's datasets with a seeded RNG."""

    singles: list[DatasetRef]
    paths: list[tuple[str, str, str]]
    batches: list[list[DatasetRef]]
    exposures: list[int]


# -- building ---------------------------------------------------------------------------------------


def build_dbb(database: Database, exposures: int, ccds: int, *, indexes: bool = True) -> tuple[
        Registry, dict[str, float]]:
    """Fill the DESDM catalog and create the DBB registry over it (and the operators' indexes); seconds of each step."""
    engine = desdm_engine(database.desdm_url)
    try:
        started = time.perf_counter()
        fill_desdm(engine, create_desdm(engine, database.desdm_schema), database.archive, exposures=exposures,
                   ccds=ccds)
        filled = time.perf_counter()
    finally:
        engine.dispose()
    registry = dbb.make_registry({"adapter": "dbb", "url": database.desdm_url, "namespace": database.desdm_schema,
                                  "units": UNITS}, universe=default_universe(), create=True, writeable=True)
    for dataset_type in DATASET_TYPES:
        registry.register_dataset_type(dataset_type)
    created = time.perf_counter()
    if indexes:  # what an operator runs once: DbbRegistry.index_statements()
        assert isinstance(registry, dbb.DbbRegistry)
        engine = desdm_engine(database.desdm_url)
        try:
            with engine.begin() as connection:
                for statement in registry.index_statements():
                    connection.exec_driver_sql(statement)
        finally:
            engine.dispose()
    return registry, {"desdm fill (files included)": filled - started,
                      "dbb registry create (adoption)": created - filled,
                      "operators' indexes": time.perf_counter() - created}


def production_datasets(registry: Registry) -> dict[str, list[DatasetRef]]:
    """Every dataset of the registered types in the tag (every good finalcut attempt's files), by type."""
    return {t.name: list(registry.query_datasets(t.name, [TAG])) for t in DATASET_TYPES}


def build_sql(database: Database, source: Registry, datasets: Mapping[str, list[DatasetRef]]) -> tuple[
        Registry, dict[str, float]]:
    """A SQL registry holding what ``source`` holds (records, types, runs, datasets, the tag); seconds to build."""
    started = time.perf_counter()
    registry = sql.make_registry({"adapter": "sql", "url": database.sql_url, "namespace": database.sql_schema},
                                 universe=default_universe(), create=True, writeable=True)
    for element in registry.universe.elements:
        records = source.fetch_data_unit_records(element.name)
        if records:
            registry.insert_data_units(element.name, records)
    for dataset_type in DATASET_TYPES:
        registry.register_dataset_type(dataset_type)
    for collection in source.query_collections(kinds=[CollectionKind.RUN]):
        registry.register_collection(collection.name, CollectionKind.RUN)
    registry.register_collection(TAG, CollectionKind.TAGGED)
    for name, refs in datasets.items():
        by_run: dict[str, list[DatasetRef]] = {}
        for ref in refs:
            by_run.setdefault(ref.run, []).append(ref)
        inserted = []
        for run, group in by_run.items():
            inserted.extend(registry.insert_datasets(name, run, [dict(ref.data_id) for ref in group],
                                                     ids=[ref.id for ref in group]))
        registry.associate(TAG, inserted)
    return registry, {"sql registry build (copy)": time.perf_counter() - started}


def analyze(url: str) -> None:
    """Refresh PostgreSQL's planner statistics after the bulk inserts, as autovacuum soon would."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


# -- measuring --------------------------------------------------------------------------------------


def draw(datasets: Mapping[str, list[DatasetRef]], *, calls: int, batch: int, batches: int, queries: int,
         seed: int) -> Workload:
    """The seeded random DataIds, search paths and exposures every registry is asked about."""
    rng = random.Random(seed)
    refs = datasets[FOUND]
    runs = sorted({ref.run for ref in refs})
    singles = [rng.choice(refs) for _ in range(calls)]
    if len(runs) < 3:
        raise SystemExit("a search path of three runs needs at least three exposures")
    paths = []
    for ref in singles:
        first, second = [run for run in rng.sample(runs, 3) if run != ref.run][:2]
        paths.append((first, second, ref.run))
    exposures = sorted({int(ref.data_id["exposure"]) for ref in refs})
    return Workload(singles=singles, paths=paths,
                    batches=[rng.sample(refs, min(batch, len(refs))) for _ in range(batches)],
                    exposures=[rng.choice(exposures) for _ in range(queries)])


def timed(calls: Sequence[Callable[[], None]], budget_s: float, per: int = 1) -> Timing:
    """Median and p95 of ``calls`` (one untimed warm-up first), stopping once ``budget_s`` is spent."""
    calls[0]()
    latencies: list[float] = []
    deadline = time.perf_counter() + budget_s
    for call in calls:
        started = time.perf_counter()
        call()
        ended = time.perf_counter()
        latencies.append((ended - started) * 1e3 / per)
        if ended > deadline:
            break
    latencies.sort()
    return Timing(statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))], len(latencies))


def finder(registry: Registry, refs: Sequence[DatasetRef], collections: Sequence[str]) -> Callable[[], None]:
    """One find_datasets call for ``refs`` that checks it found exactly them."""
    data_ids = [dict(ref.data_id) for ref in refs]
    expected = [ref.id for ref in refs]

    def find() -> None:
        found = registry.find_datasets(FOUND, data_ids, collections)
        if [None if ref is None else ref.id for ref in found] != expected:
            raise AssertionError(f"{registry!r} found {found[:3]}... in {collections}, not {refs[:3]}...")
    return find


def selector(registry: Registry, exposure: int, ccds: int) -> Callable[[], None]:
    """One query_datasets call for the CCDs of ``exposure`` through the tag, checking it gets all of them."""
    def select() -> None:
        count = sum(1 for _ in registry.query_datasets(FOUND, [TAG], where="instrument = 'D' AND exposure = :e",
                                                       bind={"e": exposure}))
        if count != ccds:
            raise AssertionError(f"{registry!r} found {count} {FOUND} datasets of exposure {exposure}, not {ccds}")
    return select


def measure(registry: Registry, workload: Workload, ccds: int, budget_s: float) -> dict[str, Timing]:
    """Every measurement of the module docstring on ``registry``."""
    size = len(workload.batches[0])
    return {
        "run": timed([finder(registry, [ref], [ref.run]) for ref in workload.singles], budget_s),
        "tag": timed([finder(registry, [ref], [TAG]) for ref in workload.singles], budget_s),
        "path3": timed([finder(registry, [ref], path) for ref, path in zip(workload.singles, workload.paths,
                                                                           strict=True)], budget_s),
        "batch": timed([finder(registry, refs, [TAG]) for refs in workload.batches], budget_s, per=size),
        "where": timed([selector(registry, exposure, ccds) for exposure in workload.exposures], budget_s),
    }


# -- one database -----------------------------------------------------------------------------------


def run_database(database: Database, args: argparse.Namespace, analyze_url: str | None) -> tuple[
        dict[str, dict[str, Timing]], dict[str, float], int]:
    """Build both sides in ``database``, measure them; the timings by side, build seconds, datasets found."""
    source, build = build_dbb(database, args.exposures, args.ccds, indexes=not args.no_indexes)
    try:
        datasets = production_datasets(source)
        target, sql_build = build_sql(database, source, datasets)
        build.update(sql_build)
        try:
            if analyze_url is not None:
                analyze(analyze_url)
            workload = draw(datasets, calls=args.calls, batch=args.batch, batches=args.batches, queries=args.queries,
                            seed=args.seed)
            results = {"dbb": measure(source, workload, args.ccds, args.budget),
                       "sql": measure(target, workload, args.ccds, args.budget)}
        finally:
            target.close()
    finally:
        source.close()
    return results, build, sum(len(refs) for refs in datasets.values())


@contextmanager
def postgres() -> Iterator[PostgresServer]:
    """A throwaway cluster, stopped and deleted afterwards."""
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries found; run with --no-postgres")
    server = start_cluster(bindir)
    try:
        yield server
    finally:
        stop_cluster(server)


def print_table(results: Mapping[str, Mapping[str, Mapping[str, Timing]]], batch: int) -> None:
    """One line per measurement, one column per (side, database): median / p95 ms (n calls)."""
    columns = [(side, place) for place in results for side in ("dbb", "sql")]
    print(f"\n{'ms':<14}" + "".join(f"{side + '/' + place:>28}" for side, place in columns))
    for name in MEASUREMENTS:
        label = f"{name} /DataId" if name == "batch" else name
        cells = []
        for side, place in columns:
            t = results[place][side][name]
            calls = f"{t.calls}x{batch}" if name == "batch" else str(t.calls)
            cells.append(f"{t.median_ms:9.3f} / {t.p95_ms:8.3f} ({calls:>7})")
        print(f"{label:<14}" + "".join(f"{c:>28}" for c in cells))
    print("(median / p95 in milliseconds, calls timed in parentheses)")


def main() -> None:
    """Parse the command line, build and measure each database, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exposures", type=int, default=800, help="finalcut exposures (default 800: ~10^5 files)")
    parser.add_argument("--ccds", type=int, default=62, help="CCDs per exposure (default 62)")
    parser.add_argument("--calls", type=int, default=2000, help="single finds timed per measurement (default 2000)")
    parser.add_argument("--batch", type=int, default=1000, help="DataIds per batch find (default 1000)")
    parser.add_argument("--batches", type=int, default=20, help="batch finds timed (default 20)")
    parser.add_argument("--queries", type=int, default=200, help="where queries timed (default 200)")
    parser.add_argument("--budget", type=float, default=8.0,
                        help="seconds after which a measurement stops early (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random DataIds (default 1)")
    parser.add_argument("--directory", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                        help="where the archives and SQLite files go (default /dev/shm)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-indexes", action="store_true",
                        help="leave out the indexes DbbRegistry.index_statements() gives operators")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dbb-find-", dir=args.directory)
    results: dict[str, dict[str, dict[str, Timing]]] = {}
    try:
        sqlite = Database("sqlite", f"sqlite:///{work}/desdm.sqlite3", None, f"sqlite:///{work}/registry.sqlite3",
                          None, os.path.join(work, "sqlite-archive"))
        results[sqlite.name] = report(sqlite, args, None)
        if not args.no_postgres:
            with postgres() as server:
                server.execute(f'CREATE SCHEMA "{DESDM_SCHEMA}"')
                database = Database("postgresql", with_search_path(server.url(), DESDM_SCHEMA), DESDM_SCHEMA,
                                    server.url(), SQL_SCHEMA, os.path.join(work, "postgresql-archive"))
                results[database.name] = report(database, args, server.url())
        print_table(results, args.batch)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(database: Database, args: argparse.Namespace, analyze_url: str | None) -> dict[str, dict[str, Timing]]:
    """Build and measure one database; print how long building took."""
    results, build, count = run_database(database, args, analyze_url)
    for step, seconds in build.items():
        print(f"{database.name:<11} {step:<32} {seconds:8.2f} s", flush=True)
    print(f"{database.name:<11} {'datasets (both types, per side)':<32} {count:8d}", flush=True)
    return results


if __name__ == "__main__":
    main()
