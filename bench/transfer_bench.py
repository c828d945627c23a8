#!/usr/bin/env python
"""Moving 10^4 datasets between repositories: databutler beside the reference (lsst-daf-butler).

On a scratch directory it builds a source repository (SQLite + local files) of N datasets
(``summary``: instrument, visit, detector -> a small StructuredDataDict, 100 detectors, a
visit_detector_region record for each), then times:

 transfer_sqlite    ``target.transfer_from(source, refs)`` into a new SQLite repository.
 transfer_postgres  the same into a repository whose registry is a schema of a throwaway PostgreSQL
                    cluster (skipped without the server binaries, or with --no-postgres).
 export             ``source.export(file, refs, transfer="copy")``.
 import             ``butler.import_(file, transfer="copy")`` into a new SQLite repository.

For each transfer it counts the SQL statements the target's engine ran, in all and per batch
(``--batch``). Then it runs ``bench/peer_transfer_daf_butler.py`` with the reference's Python
(``--peer``, default /work/peer-venv/bin/python when present) on the export file databutler wrote,
which times the reference's import, export and transfer_from of the same datasets, and prints the
ratios (databutler datasets/s over the reference's).

    python bench/transfer_bench.py --n 10000
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import tempfile
import time
from typing import Any

import sqlalchemy as sa

from databutler import Butler, DatasetType, Timespan
from databutler.service.butler_transfer import TRANSFER_BATCH

DETECTORS = 100
DATASET_TYPE = DatasetType("summary", ("instrument", "visit", "detector"), "StructuredDataDict")
PEER_PYTHON = "/work/peer-venv/bin/python"


def build_source(root: str, n: int) -> Butler:
    """A repository with N ``summary`` datasets over ceil(N / 100) visits x 100 detectors."""
    butler = Butler.create(root, run="bench/run")
    registry = butler.registry
    visits = -(-n // DETECTORS)
    night = datetime.datetime(2024, 1, 1, 12)
    registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": DETECTORS, "visit_max": visits + 1,
                                               "exposure_max": visits + 1, "class_name": "bench.Cam1"}])
    registry.insert_data_units("physical_filter", [{"instrument": "Cam1", "name": "Cam1-r", "band": "r"}])
    registry.insert_data_units("detector", [{"instrument": "Cam1", "id": d, "full_name": f"D{d:03d}",
                                             "purpose": "SCIENCE"} for d in range(DETECTORS)])
    registry.insert_data_units("day_obs", [{"instrument": "Cam1", "id": 20240101,
                                            "timespan": Timespan(night, night + datetime.timedelta(days=1))}])
    registry.insert_data_units("visit", [{"instrument": "Cam1", "id": v, "physical_filter": "Cam1-r",
                                          "day_obs": 20240101, "exposure_time": 30.0,
                                          "timespan": Timespan(night + datetime.timedelta(minutes=v),
                                                               night + datetime.timedelta(minutes=v, seconds=30))}
                                         for v in range(visits)])
    # The reference's expanded DataIds (its export needs them) want a visit_detector_region record for each.
    registry.insert_data_units("visit_detector_region", [{"instrument": "Cam1", "visit": v, "detector": d}
                                                         for v in range(visits) for d in range(DETECTORS)])
    registry.register_dataset_type(DATASET_TYPE)
    items = [({"visit": i // DETECTORS, "detector": i % DETECTORS, "values": list(range(8))}, "summary",
              {"instrument": "Cam1", "visit": i // DETECTORS, "detector": i % DETECTORS}) for i in range(n)]
    for start in range(0, n, 2000):
        butler.put_many(items[start:start + 2000])
    return butler


def count_statements(butler: Butler) -> list[int]:
    """A one-item list counting the statements ``butler``'s registry engine runs from now on."""
    counter = [0]
    engine = butler.registry._session._engine  # type: ignore[attr-defined]

    def seen(*_: Any) -> None:
        counter[0] += 1

    sa.event.listen(engine, "before_cursor_execute", seen)
    return counter


def timed_transfer(source: Butler, target: Butler, refs: list[Any], batch: int) -> dict[str, Any]:
    counter = count_statements(target)
    start = time.perf_counter()
    moved = target.transfer_from(source, refs, batch_size=batch)
    elapsed = time.perf_counter() - start
    assert len(moved) == len(refs)
    batches = -(-len(refs) // batch)
    return {"seconds": elapsed, "datasets_per_s": len(refs) / elapsed, "statements": counter[0],
            "batches": batches, "statements_per_batch": counter[0] / batches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=TRANSFER_BATCH)
    parser.add_argument("--scratch", default=None)
    parser.add_argument("--peer", default=PEER_PYTHON if os.access(PEER_PYTHON, os.X_OK) else None)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    scratch = args.scratch or tempfile.mkdtemp(prefix="transfer-bench-")
    result: dict[str, Any] = {"n": args.n, "batch": args.batch, "scratch": scratch}

    start = time.perf_counter()
    source = build_source(os.path.join(scratch, "source"), args.n)
    result["setup_s"] = time.perf_counter() - start
    refs = source.registry.datasets_in_collection("bench/run")
    ours: dict[str, Any] = {}

    ours["transfer_sqlite"] = timed_transfer(source, Butler.create(os.path.join(scratch, "target-sqlite")),
                                             refs, args.batch)
    # The flatness check: one batch of a tenth of the datasets against one batch of all of them.
    small = refs[: max(1, len(refs) // 10)]
    ours["statements_one_batch"] = {
        len(small): timed_transfer(source, Butler.create(os.path.join(scratch, "flat-small")), small,
                                   len(small))["statements"],
        len(refs): timed_transfer(source, Butler.create(os.path.join(scratch, "flat-all")), refs,
                                  len(refs))["statements"]}

    server = None
    if not args.no_postgres:
        from databutler.testing.postgres import find_bindir, start_cluster
        bindir = find_bindir()
        if bindir is None:
            ours["transfer_postgres"] = "skipped: no PostgreSQL server binaries"
        else:
            server = start_cluster(bindir)
            ours["transfer_postgres"] = transfer_to_postgres(server, source, refs, scratch, args.batch)

    export_dir = os.path.join(scratch, "export")
    export_file = os.path.join(export_dir, "export.yaml")
    start = time.perf_counter()
    source.export(export_file, refs, transfer="copy")
    elapsed = time.perf_counter() - start
    ours["export"] = {"seconds": elapsed, "datasets_per_s": len(refs) / elapsed,
                      "bytes": os.path.getsize(export_file)}
    imported = Butler.create(os.path.join(scratch, "imported"))
    start = time.perf_counter()
    assert len(imported.import_(export_file, transfer="copy")) == len(refs)
    elapsed = time.perf_counter() - start
    ours["import"] = {"seconds": elapsed, "datasets_per_s": len(refs) / elapsed}
    result["databutler"] = ours

    if args.peer:
        # The reference's PostgreSQL target: the same throwaway cluster, its own database (psycopg2 in its venv).
        peer_pg = ([] if server is None else
                   ["--pg-url", server.url(database=server.create_database()).replace("+psycopg", "+psycopg2")])
        done = subprocess.run([args.peer, os.path.join(os.path.dirname(__file__), "peer_transfer_daf_butler.py"),
                               export_file, "--scratch", scratch, *peer_pg], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            result["reference_error"] = done.stderr[-2000:]
        else:
            peer = json.loads(done.stdout.strip().splitlines()[-1])
            result["reference"] = peer
            rates = peer["rates_datasets_per_s"]
            result["ratios_databutler_over_reference"] = {
                "transfer_sqlite": ours["transfer_sqlite"]["datasets_per_s"] / rates["transfer_from"],
                "export": ours["export"]["datasets_per_s"] / rates["export"],
                "import": ours["import"]["datasets_per_s"] / rates["import"],
                "target_statements_transfer_sqlite": ours["transfer_sqlite"]["statements"] / max(
                    1, peer["target_statements"]),
            }
            if "transfer_from_postgres" in rates and isinstance(ours.get("transfer_postgres"), dict):
                result["ratios_databutler_over_reference"]["transfer_postgres"] = (
                    ours["transfer_postgres"]["datasets_per_s"] / rates["transfer_from_postgres"])
    if server is not None:
        from databutler.testing.postgres import stop_cluster
        stop_cluster(server)
    print(json.dumps(result, indent=1))


def transfer_to_postgres(server: Any, source: Butler, refs: list[Any], scratch: str, batch: int) -> dict[str, Any]:
    """``timed_transfer`` into a new repository whose registry is a schema of ``server``'s database."""
    os.environ["TRANSFER_BENCH_PGPASSWORD"] = server.password
    url = f"postgresql://{server.user}:${{TRANSFER_BENCH_PGPASSWORD}}@{server.host}:{server.port}/{server.database}"
    config = {"registry": {"adapter": "sql", "url": url, "namespace": "bench_transfer"}}
    with Butler.create(os.path.join(scratch, "target-postgres"), config) as target:
        return timed_transfer(source, target, refs, batch)


if __name__ == "__main__":
    main()
