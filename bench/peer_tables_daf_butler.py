#!/usr/bin/env python
"""The reference system's ArrowTable formatter on the table of ``tables_bench.py``, for a side-by-side.

Runs in a separate venv with lsst-daf-butler (it is not a databutler dependency)::

    python3.11 -m venv /work/peer-venv && /work/peer-venv/bin/pip install lsst-daf-butler pyarrow pandas
    /work/peer-venv/bin/python bench/peer_tables_daf_butler.py            # /tmp and /dev/shm

Same phases, same child-process measurement and same JSON keys as ``bench/tables_bench.py``
(S3 is left out: the reference reaches S3 through lsst-resources and boto3, not set up here).
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
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def high_water_rss() -> int:
    """This process's peak resident set size (VmHWM: unlike ru_maxrss, not inherited from the forking parent)."""
    with open("/proc/self/status") as stream:
        return next(int(line.split()[1]) * 1024 for line in stream if line.startswith("VmHWM:"))


def syscall_read_bytes() -> int:
    with open("/proc/self/io") as stream:
        return next(int(line.split()[1]) for line in stream if line.startswith("rchar:"))


def child(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet
    from lsst.daf.butler import Butler

    butler = Butler.from_config(args.repo, writeable=args.phase == "put", run="bench" if args.phase == "put" else None,
                                collections=["bench"])
    if args.phase == "put":
        rng = np.random.default_rng(1)
        table = pa.table({f"c{i}": rng.random(args.rows) for i in range(args.columns)})
        nbytes = table.nbytes
    if args.phase != "put":
        butler.get("table", instrument="Cam1", parameters={"columns": ["c0"]})  # warm-up (rowcount failed here)
    start_rss, start_read = rss_bytes(), syscall_read_bytes()
    start = time.perf_counter()
    if args.phase == "put":
        butler.put(table, "table", instrument="Cam1")
    else:
        parameters = {"columns": SLICE} if args.phase == "get-2-columns" else None
        got = butler.get("table", instrument="Cam1", parameters=parameters)
        nbytes = got.nbytes
    seconds = time.perf_counter() - start
    peak = high_water_rss()
    return {"seconds": round(seconds, 3), "mb_per_s": round(nbytes / 1e6 / seconds, 1),
            "table_mb": round(nbytes / 1e6, 1), "peak_rss_above_start_mib": round((peak - start_rss) / MIB, 1),
            "syscall_read_mb": round((syscall_read_bytes() - start_read) / 1e6, 2)}


def measure_store(base: str, args: argparse.Namespace) -> dict[str, Any]:
    from lsst.daf.butler import Butler, DatasetType

    top = tempfile.mkdtemp(prefix="peer-tables-", dir=base)
    repo = os.path.join(top, "repo")
    Butler.makeRepo(repo)
    butler = Butler.from_config(repo, writeable=True, run="bench")
    butler.registry.insertDimensionData("instrument", {"name": "Cam1"})
    butler.registry.registerDatasetType(DatasetType("table", ["instrument"], "ArrowTable",
                                                    universe=butler.dimensions))
    results: dict[str, Any] = {}
    try:
        for phase in ("put", "get-whole", "get-2-columns"):
            command = [sys.executable, __file__, "--child", phase, "--repo", repo, "--rows", str(args.rows),
                       "--columns", str(args.columns)]
            out = subprocess.run(command, check=False, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"{phase} failed:\n{out.stderr[-3000:]}")
            results[phase] = json.loads(out.stdout.strip().splitlines()[-1])
        path = butler.getURI("table", instrument="Cam1", collections="bench").ospath
        size = os.path.getsize(path)
        results["object_mb"] = round(size / 1e6, 1)
        results["two_column_read_fraction"] = round(results["get-2-columns"]["syscall_read_mb"] * 1e6 / size, 4)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--stores", default="tmp,shm")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--repo", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.phase = args.child
        print(json.dumps(child(args)))
        return
    stores = {"tmp": "/tmp", "shm": "/dev/shm"}
    print(json.dumps({"system": "lsst-daf-butler", "rows": args.rows, "columns": args.columns, "slice": SLICE,
                      "stores": {s: measure_store(stores[s], args) for s in args.stores.split(",")}}, indent=1))


if __name__ == "__main__":
    main()
