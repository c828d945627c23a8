#!/usr/bin/env python
"""Put and get throughput, peak memory and bytes read for a 10^6-row, 50-column Parquet table.

A benchmark, not a test. Stores: local disk (/tmp), memory-backed disk (/dev/shm) and moto's
S3-compatible server on 127.0.0.1 (run in this process; each measurement runs in a child
process, so the server's copies do not count in the measured memory). Each measurement is a
fresh child: ``put`` (the table is built before the clock and the memory baseline start),
``get`` of the whole table and ``get`` of 2 of the 50 columns.

    python bench/tables_bench.py                       # 10^6 rows x 50 float64 columns (400 MB)
    python bench/tables_bench.py --rows 200000 --stores tmp
    python bench/tables_bench.py --storage-class DataFrame

Prints ONE JSON object. For each store and phase: seconds, MB/s (of the in-memory table, or of
the columns returned), peak RSS above the child's RSS when the phase began (MiB), bytes read
(local: the read syscalls' byte count; S3: response bytes the server sent for the object).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

MIB = 1 << 20
SLICE = ["c7", "c31"]


def rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def high_water_rss() -> int:
    """This process's peak resident set size (VmHWM: unlike ru_maxrss, not inherited from the forking parent)."""
    with open("/proc/self/status") as stream:
        return next(int(line.split()[1]) * 1024 for line in stream if line.startswith("VmHWM:"))


def syscall_read_bytes() -> int:
    """Bytes this process has read through read syscalls so far (``rchar``)."""
    with open("/proc/self/io") as stream:
        return next(int(line.split()[1]) for line in stream if line.startswith("rchar:"))


def child(args: argparse.Namespace) -> dict[str, Any]:
    """One measured phase in this (fresh) process."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.dataset
    import pyarrow.parquet  # imported before the clock and the memory baseline start

    from databutler import Butler

    if args.storage_class == "DataFrame":
        import pandas  # noqa: F401

    butler = Butler(args.repo, run="bench", collections=["bench"])
    if args.phase == "put":
        rng = np.random.default_rng(1)
        table = pa.table({f"c{i}": rng.random(args.rows) for i in range(args.columns)})
        obj: Any = table.to_pandas() if args.storage_class == "DataFrame" else table
        nbytes = table.nbytes
        del table
    if args.phase != "put":
        butler.get("table", instrument="Cam1", component="rowcount")  # warm-up: lazy imports, registry caches
    start_rss, start_read = rss_bytes(), syscall_read_bytes()
    start = time.perf_counter()
    if args.phase == "put":
        butler.put(obj, "table", instrument="Cam1")
    else:
        parameters = {"columns": SLICE} if args.phase == "get-2-columns" else None
        got = butler.get("table", instrument="Cam1", parameters=parameters)
        nbytes = (got.nbytes if hasattr(got, "schema") else int(got.memory_usage(index=True, deep=True).sum()))
    seconds = time.perf_counter() - start
    peak = high_water_rss()
    return {"seconds": round(seconds, 3), "mb_per_s": round(nbytes / 1e6 / seconds, 1),
            "table_mb": round(nbytes / 1e6, 1), "peak_rss_above_start_mib": round((peak - start_rss) / MIB, 1),
            "syscall_read_mb": round((syscall_read_bytes() - start_read) / 1e6, 2)}


def run_child(repo: str, phase: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", phase, "--repo", repo, "--rows", str(args.rows),
               "--columns", str(args.columns), "--storage-class", args.storage_class]
    out = subprocess.run(command, check=False, capture_output=True, text=True, env={**os.environ})
    if out.returncode:
        raise SystemExit(f"{phase} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def make_repo(where: str, datastore: dict[str, Any], storage_class: str) -> str:
    from databutler import Butler, DatasetType

    repo = tempfile.mkdtemp(prefix="tables-bench-", dir=where if where.startswith("/") else None)
    with Butler.create(os.path.join(repo, "repo"), {"datastore": datastore}, run="bench") as butler:
        butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
        butler.registry.register_dataset_type(DatasetType("table", ("instrument",), storage_class))
    return os.path.join(repo, "repo")


def measure_store(name: str, args: argparse.Namespace) -> dict[str, Any]:
    from databutler import Butler

    server: Any = None
    if name == "s3":
        from databutler.testing.s3 import new_bucket, shared_server

        server = shared_server()
        datastore = {"adapter": "objectstore", "root": f"{new_bucket()}/bench",
                     "storage_options": {"endpoint_url": "${AWS_ENDPOINT_URL}"}}
        repo = make_repo("/tmp", datastore, args.storage_class)
    else:
        base = {"tmp": "/tmp", "shm": "/dev/shm"}[name]
        repo = make_repo(base, {"adapter": "posix", "root": "{root}/datasets"}, args.storage_class)
    results: dict[str, Any] = {}
    try:
        for phase in ("put", "get-whole", "get-2-columns"):
            since = len(server.log) if server else 0
            results[phase] = run_child(repo, phase, args)
            if server:
                with Butler(repo, collections=["bench"]) as butler:
                    uri = butler.uri("table", instrument="Cam1")
                key = uri.removeprefix("s3://").partition("/")[2]
                results[phase]["s3_bytes_fetched_mb"] = round(server.bytes_sent(key, since) / 1e6, 2)
        with Butler(repo, collections=["bench"]) as butler:
            uri = butler.uri("table", instrument="Cam1")
        size = _size(uri)
        results["object_mb"] = round(size / 1e6, 1)
        fetched = results["get-2-columns"].get("s3_bytes_fetched_mb", results["get-2-columns"]["syscall_read_mb"])
        results["two_column_read_fraction"] = round(fetched * 1e6 / size, 4)
    finally:
        if name != "s3":
            shutil.rmtree(os.path.dirname(repo), ignore_errors=True)
    return results


def _size(uri: str) -> int:
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    return int(fs.size(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--stores", default="tmp,shm,s3", help="comma-separated: tmp, shm, s3")
    parser.add_argument("--storage-class", default="ArrowTable", choices=["ArrowTable", "DataFrame"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--repo", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.phase = args.child
        print(json.dumps(child(args)))
        return
    report = {"rows": args.rows, "columns": args.columns, "storage_class": args.storage_class,
              "slice": SLICE, "cpus": os.cpu_count(),
              "stores": {name: measure_store(name, args) for name in args.stores.split(",")}}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
