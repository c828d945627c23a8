#!/usr/bin/env python
"""databutler on the peer workload of ``../shared/bench/peer_daf_butler.py``, same phases and JSON keys.

Workload (N = --n, default 2000; V = ceil(N / 10) visits; 10 detectors), on a fresh repo:
 create       ``Butler.create(root)`` (embedded SQLite + POSIX, or ``--db`` for the registry URL).
 dimensions   one ``insert_data_units`` call per element: instrument, physical_filter (band is
              filled in from it), 10 detectors, ceil(V/100) day_obs, V visits.
 dataset_type register "summary" (instrument, visit, detector) -> StructuredDataDict.
 put          N x ``butler.put(dict, "summary", dataId)``.
 get          N x ``butler.get("summary", dataId)``, each checked for equality.
 get_by_ref   N x ``butler.get(ref)``.
 query_where  100 ``registry.query_datasets`` calls with the where expression WHERE (one visit, three
              detectors: 3 datasets each), as the peer's ``queryDatasets(where=...)``.
 query_all    1 x every "summary" dataset of the run.
 ingest_stage N YAML files written outside the repo (untimed by the peer's ``ingest``).
 ingest       register "summary_ingest" and ingest the N files in ONE ``butler.ingest`` call.
 remove       ``butler.remove`` of every second "summary" ref (N // 2), in one call.
 put_many     (extra) N datasets of "summary_many" in one ``butler.put_many`` call.

Beside each file-writing phase (put, ingest, put_many) the raw file-publish rate of the same
filesystem is measured right after it (``bench/file_publish.py``: create, write, rename of as many
files of the same sizes, as many directories deep, with nothing else), and reported as
``raw_publish_files_per_s`` and ``fraction_of_raw`` (phase rate / raw rate).

Prints ONE JSON object (``phases_s``, ``ops``, ``rates_ops_per_s``, ``peak_rss_mib``,
``registry_bytes``, ...). Run side by side with the peer:

    python bench/peer_workload.py --n 2000 --out ours.json
    peer-env/bin/python ../shared/bench/peer_daf_butler.py --n 2000 --out peer.json
    python bench/compare.py peer.json ours.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import yaml
from file_publish import publish_rate

INSTRUMENT = "Cam1"
N_DETECTORS = 10
PHYSICAL_FILTER = "Cam1-r"
BAND = "r"
VISITS_PER_NIGHT = 100
FIRST_NIGHT = datetime.date(2024, 1, 1)
RUN = "bench/run"
DATASET_TYPE = "summary"
INGEST_DATASET_TYPE = "summary_ingest"
MANY_DATASET_TYPE = "summary_many"
STORAGE_CLASS = "StructuredDataDict"
N_WHERE_QUERIES = 100
WHERE = "instrument = 'Cam1' AND visit = :v AND detector IN (:d)"
"""The filtered find of the query_where phase, in the where language."""


def payload(visit: int, detector: int) -> dict[str, Any]:
    """The deterministic ~10-key dict stored for one data ID (identical to the peer's)."""
    seed = visit * N_DETECTORS + detector
    return {
        "visit": visit, "detector": detector, "band": BAND, "n_sources": 1000 + seed % 977,
        "psf_fwhm": 0.5 + (seed % 113) / 100.0, "zero_point": 27.0 + (seed % 37) / 64.0,
        "sky_background": 120.25 + seed % 50, "mean": seed / 8.0, "is_good": seed % 7 != 0,
        "label": f"v{visit}-d{detector}",
    }


def data_ids(n: int) -> list[dict[str, Any]]:
    """The N (instrument, visit, detector) data IDs, visit-major order."""
    return [{"instrument": INSTRUMENT, "visit": 1 + i // N_DETECTORS, "detector": i % N_DETECTORS}
            for i in range(n)]


def day_obs_of(visit: int) -> int:
    """The night of a visit, as YYYYMMDD."""
    night = FIRST_NIGHT + datetime.timedelta(days=(visit - 1) // VISITS_PER_NIGHT)
    return int(night.strftime("%Y%m%d"))


def dir_usage(path: str, exclude: set[str]) -> tuple[int, int]:
    """Total bytes and number of regular files under ``path``."""
    total = files = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            full = os.path.join(dirpath, name)
            if full in exclude or os.path.islink(full):
                continue
            total += os.path.getsize(full)
            files += 1
    return total, files


def raw_publish(registry: Any, refs: Sequence[Any], scratch: str) -> float:
    """The raw file-publish rate for files of the sizes and depth of the artifacts of ``refs``."""
    artifacts = [a for group in registry.get_artifacts([ref.id for ref in refs]).values() for a in group]
    depth = 1 + artifacts[0].uri.count("/")  # the datastore root's own directory, then the template's
    return publish_rate(scratch, [a.size for a in artifacts], depth)


class Timer:
    """Per-phase wall-clock times and operation counts."""

    def __init__(self, verbose: bool) -> None:
        self.phases: dict[str, float] = {}
        self.ops: dict[str, int] = {}
        self.verbose = verbose

    def run(self, name: str, ops: int, fn: Callable[[], Any]) -> Any:
        """Time ``fn`` as phase ``name`` of ``ops`` operations."""
        t0 = time.perf_counter()
        result = fn()
        self.phases[name] = time.perf_counter() - t0
        self.ops[name] = ops
        if self.verbose:
            print(f"[{name}] {ops} ops in {self.phases[name]:.3f} s", file=sys.stderr)
        return result

    def rates(self) -> dict[str, float]:
        """Operations per second of each phase."""
        return {k: (self.ops[k] / v if v > 0 else float("inf")) for k, v in self.phases.items()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (a subset of the peer's, same meaning)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--n", type=int, default=2000, help="number of datasets")
    p.add_argument("--root", default=None, help="repo root (absent or empty dir); default: temp dir")
    p.add_argument("--db", default=None, help="registry database URL (default: SQLite in the repo)")
    p.add_argument("--ingest-transfer", default="copy", help="transfer mode for ingest")
    p.add_argument("--keep", action="store_true", help="keep the repo afterwards")
    p.add_argument("--out", default=None, help="also write the JSON result to this file")
    p.add_argument("--verbose", "-v", action="store_true", help="progress on stderr")
    args = p.parse_args(argv)
    if args.n < 10:
        p.error("--n must be >= 10")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the workload and print the JSON result."""
    args = parse_args(argv)
    n = args.n
    n_visits = math.ceil(n / N_DETECTORS)
    t0 = time.perf_counter()
    import sqlalchemy

    import databutler
    import databutler.config.container  # the adapters; the peer's import_s also covers its whole package
    from databutler import Butler, DatasetType, FileDataset

    import_s = time.perf_counter() - t0
    created_root = args.root is None
    workdir = tempfile.mkdtemp(prefix="databutler_bench_") if created_root else os.path.abspath(args.root)
    if not created_root:
        if os.path.exists(workdir) and os.listdir(workdir):
            sys.exit(f"--root {workdir} exists and is not empty")
        os.makedirs(workdir, exist_ok=True)
    root = os.path.join(workdir, "repo")
    staging = os.path.join(workdir, "staging")
    sqlite_file = os.path.join(root, "registry.sqlite3")
    config = {"registry": {"adapter": "sql", "url": args.db}} if args.db else None
    timer = Timer(args.verbose)
    ids = data_ids(n)
    visits = sorted({d["visit"] for d in ids})
    try:
        butler = timer.run("create", 1, lambda: Butler.create(root, config, run=RUN))
        registry = butler.registry
        nights = sorted({day_obs_of(v) for v in visits})
        records: list[tuple[str, list[dict[str, Any]]]] = [
            ("instrument", [{"name": INSTRUMENT, "visit_max": 10**8, "exposure_max": 10**8,
                             "detector_max": N_DETECTORS, "class_name": "bench.Cam1"}]),
            ("physical_filter", [{"instrument": INSTRUMENT, "name": PHYSICAL_FILTER, "band": BAND}]),
            ("detector", [{"instrument": INSTRUMENT, "id": d, "full_name": f"R00_S{d:02d}", "purpose": "SCIENCE"}
                          for d in range(N_DETECTORS)]),
            ("day_obs", [{"instrument": INSTRUMENT, "id": night} for night in nights]),
            ("visit", [{"instrument": INSTRUMENT, "id": v, "name": f"visit{v}", "physical_filter": PHYSICAL_FILTER,
                        "day_obs": day_obs_of(v), "seq_num": v, "exposure_time": 30.0, "target_name": "field1",
                        "observation_reason": "science", "science_program": "bench"} for v in visits]),
        ]
        n_records = sum(len(r) for _, r in records)
        timer.run("dimensions", n_records,
                  lambda: [registry.insert_data_units(element, recs) for element, recs in records])
        dims = ("instrument", "visit", "detector")
        timer.run("dataset_type", 1,
                  lambda: registry.register_dataset_type(DatasetType(DATASET_TYPE, dims, STORAGE_CLASS)))

        refs = timer.run("put", n, lambda: [butler.put(payload(d["visit"], d["detector"]), DATASET_TYPE, d)
                                            for d in ids])
        raw: dict[str, float] = {"put": raw_publish(registry, refs, os.path.join(workdir, "raw_put"))}

        def get_all() -> None:
            for d in ids:
                if butler.get(DATASET_TYPE, d) != payload(d["visit"], d["detector"]):
                    raise AssertionError(f"get mismatch for {d}")

        timer.run("get", n, get_all)

        def get_all_by_ref() -> None:
            for d, ref in zip(ids, refs, strict=True):
                if butler.get(ref) != payload(d["visit"], d["detector"]):
                    raise AssertionError(f"get(ref) mismatch for {d}")

        timer.run("get_by_ref", n, get_all_by_ref)

        queries = []
        for i in range(N_WHERE_QUERIES):
            visit = visits[(i * 7919) % n_visits]
            dets = sorted({i % N_DETECTORS, (i + 3) % N_DETECTORS, (i + 6) % N_DETECTORS})
            expected = sum(1 for d in ids if d["visit"] == visit and d["detector"] in dets)
            queries.append((visit, dets, expected))

        def query_where() -> int:
            total = 0
            for visit, dets, expected in queries:
                found = registry.query_datasets(DATASET_TYPE, [RUN], where=WHERE, bind={"v": visit, "d": dets})
                got = sum(1 for _ in found)
                if got != expected:
                    raise AssertionError(f"query visit={visit} detectors={dets}: {got} != {expected}")
                total += got
            return total

        where_rows = timer.run("query_where", N_WHERE_QUERIES, query_where)
        all_rows = timer.run("query_all", 1, lambda: len(registry.datasets_in_collection(RUN, DATASET_TYPE)))
        if all_rows != n:
            raise AssertionError(f"query_all returned {all_rows} != {n}")

        def stage_files() -> list[str]:
            os.makedirs(staging)
            paths = []
            for d in ids:
                path = os.path.join(staging, f"summary_{d['visit']}_{d['detector']}.yaml")
                with open(path, "w") as fh:
                    yaml.safe_dump(payload(d["visit"], d["detector"]), fh)
                paths.append(path)
            return paths

        staged = timer.run("ingest_stage", n, stage_files)

        def ingest() -> None:
            registry.register_dataset_type(DatasetType(INGEST_DATASET_TYPE, dims, STORAGE_CLASS))
            butler.ingest([FileDataset(path, INGEST_DATASET_TYPE, d) for d, path in zip(ids, staged, strict=True)],
                          transfer=args.ingest_transfer)

        timer.run("ingest", n, ingest)
        ingested = registry.datasets_in_collection(RUN, INGEST_DATASET_TYPE)
        raw["ingest"] = raw_publish(registry, ingested, os.path.join(workdir, "raw_ingest"))
        if len(ingested) != n:
            raise AssertionError(f"ingested {len(ingested)} != {n}")
        for d in (ids[0], ids[-1]):
            if butler.get(INGEST_DATASET_TYPE, d) != payload(d["visit"], d["detector"]):
                raise AssertionError(f"ingested content mismatch for {d}")

        to_remove = refs[::2]
        removed_uris = [butler.uri(r) for r in (to_remove[0], to_remove[-1])]
        timer.run("remove", len(to_remove), lambda: butler.remove(to_remove))
        remaining = len(registry.datasets_in_collection(RUN, DATASET_TYPE))
        if remaining != n - len(to_remove):
            raise AssertionError(f"{remaining} summary datasets remain, expected {n - len(to_remove)}")
        if any(os.path.exists(u.removeprefix("file://")) for u in removed_uris):
            raise AssertionError("removed dataset files still exist")

        registry.register_dataset_type(DatasetType(MANY_DATASET_TYPE, dims, STORAGE_CLASS))
        many = [(payload(d["visit"], d["detector"]), MANY_DATASET_TYPE, d) for d in ids]
        many_refs = timer.run("put_many", n, lambda: butler.put_many(many))
        raw["put_many"] = raw_publish(registry, many_refs, os.path.join(workdir, "raw_put_many"))
        if butler.get(many_refs[-1]) != payload(ids[-1]["visit"], ids[-1]["detector"]):
            raise AssertionError("put_many content mismatch")

        registry_files = [p for p in (sqlite_file, sqlite_file + "-wal", sqlite_file + "-shm") if os.path.exists(p)]
        registry_bytes = sum(os.path.getsize(p) for p in registry_files)
        datastore_bytes, datastore_files = dir_usage(
            root, exclude={*registry_files, os.path.join(root, "butler.yaml")})
        butler.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = {
            "benchmark": "peer_workload",
            "implementation": "databutler",
            "version": databutler.__version__,
            "sqlalchemy": sqlalchemy.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "timestamp_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "params": {
                "n": n, "visits": n_visits, "detectors": N_DETECTORS, "day_obs": len(nights),
                "dimension_records": n_records, "where_queries": N_WHERE_QUERIES, "where_rows": where_rows,
                "query_where_method": f"registry.query_datasets(where={WHERE!r}, bind={{v, d}})",
                "removed": len(to_remove), "ingest_transfer": args.ingest_transfer,
                "registry": "sqlite" if not args.db else args.db.split(":", 1)[0],
            },
            "import_s": round(import_s, 4),
            "phases_s": {k: round(v, 4) for k, v in timer.phases.items()},
            "total_s": round(sum(timer.phases.values()), 4),
            "ops": timer.ops,
            "rates_ops_per_s": {k: round(v, 1) for k, v in timer.rates().items()},
            "raw_publish_files_per_s": {k: round(v, 1) for k, v in raw.items()},
            "fraction_of_raw": {k: round(timer.rates()[k] / v, 3) for k, v in raw.items()},
            "peak_rss_mib": round(rss / 1024, 1),
            "registry_bytes": int(registry_bytes),
            "datastore_bytes": datastore_bytes,
            "datastore_files": datastore_files,
            "root": workdir if (args.keep or not created_root) else None,
        }
    finally:
        if created_root and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    return result


if __name__ == "__main__":
    main()
