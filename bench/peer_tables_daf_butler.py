#!/usr/bin/env python
"""The reference system's ArrowTable formatter on the table of ``tables_bench.py``, for a side-by-side.

Runs in a separate venv with lsst-daf-butler (it is not a databutler dependency)::

    python3.11 -m venv /work/peer-venv && /work/peer-venv/bin/pip install lsst-daf-butler pyarrow pandas
    /work/peer-venv/bin/pip install 'lsst-resources[s3]' s3fs        # for the S3 stores
    /work/peer-venv/bin/python bench/peer_tables_daf_butler.py            # /tmp, /dev/shm and S3
    /work/peer-venv/bin/python bench/peer_tables_daf_butler.py --stores s3,s3-download --local-dir /dev/shm

Same phases, same child-process measurement and same JSON keys as ``bench/tables_bench.py``.

S3: moto's S3-compatible server on 127.0.0.1, the one ``bench/tables_bench.py`` uses
(``databutler.testing.s3``, which logs the body bytes sent per request), run in a helper process
under databutler's venv (``--moto-python``), since moto is not in the reference's venv. The
reference reaches it through lsst-resources (boto3), with ``S3_ENDPOINT_URL`` and fake credentials
in the environment; its registry (SQLite) stays in a local directory (``--local-dir``), only the
datastore root is ``s3://<bucket>/bench``. Two stores, because the reference's ArrowTable reader
takes one of two paths: ``s3`` -- s3fs importable, the formatter reads the Parquet file through
fsspec (byte ranges); ``s3-download`` -- s3fs hidden from the child, as in an install without it,
the object is downloaded whole to a local temporary file (under ``--local-dir``) and read there.
``s3_bytes_fetched_mb`` is the GET response bytes the server sent for the object during the phase,
``s3_get_requests`` the number of GETs; a get phase's warm-up read (column c0) is not counted (the
child sends the server a marker request after it), unlike ``tables_bench.py``, which counts its
small warm-up (a ``rowcount`` read). The reference's local file cache is disabled in the S3 children
(``DAF_BUTLER_CACHE_EXPIRATION_MODE=disabled``): with it, the s3-download path's measured get would
be served from the copy its warm-up downloaded, and fetch nothing from S3.
"""

from __future__ import annotations

import argparse
import contextlib
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
MARK_KEY = "peer-bench-phase-start"


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


def mark_s3_log() -> None:
    """A request for MARK_KEY, so the server's log shows where this phase's own requests begin."""
    import urllib.error
    import urllib.request

    with contextlib.suppress(urllib.error.HTTPError):  # an error response is still logged
        urllib.request.urlopen(f"{os.environ['S3_ENDPOINT_URL']}/{MARK_KEY}", timeout=10).close()


def child(args: argparse.Namespace) -> dict[str, Any]:
    if args.hide_s3fs:
        sys.modules["s3fs"] = None  # type: ignore[assignment]  # lsst-resources then sees no s3fs
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
    if args.phase != "put" and "S3_ENDPOINT_URL" in os.environ:
        mark_s3_log()  # the warm-up's requests are not counted
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


class MotoHelper:
    """moto's logging S3 server (``databutler.testing.s3``) in a helper process under databutler's venv.

    Line protocol on its stdin/stdout: ``bucket`` -> a fresh bucket's name, ``mark`` -> the request
    log's length, ``bytes <since> <key>`` -> GET body bytes and GET count for ``key`` from entry ``since``.
    """

    def __init__(self, python: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
        self.process = subprocess.Popen([python, __file__, "--serve-s3"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env)
        self.env = json.loads(self.ask("env"))

    def ask(self, line: str) -> str:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if not answer:
            raise SystemExit(f"moto helper died answering {line!r}")
        return answer

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def serve_s3() -> None:
    """The helper's side (runs under databutler's venv): answer the line protocol until stdin closes."""
    from databutler.testing.s3 import new_bucket, shared_server

    server = shared_server()
    for line in sys.stdin:
        command, *rest = line.split()
        if command == "env":
            answer = json.dumps({"S3_ENDPOINT_URL": server.endpoint_url, "AWS_REGION": os.environ["AWS_DEFAULT_REGION"],
                                 **{k: os.environ[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                               "AWS_DEFAULT_REGION", "NO_PROXY")}})
        elif command == "bucket":
            answer = new_bucket().removeprefix("s3://")
        elif command == "mark":
            answer = str(len(server.log))
        else:  # bytes <since> <key>
            since, key = int(rest[0]), rest[1]
            with server._log_lock:
                log = server.log[since:]
            marks = [i for i, r in enumerate(log) if r.path.endswith(MARK_KEY)]
            gets = [r for r in log[marks[-1] + 1 if marks else 0:] if r.method == "GET" and r.path.endswith(key)]
            answer = json.dumps([sum(r.bytes_sent for r in gets), len(gets)])
        print(answer, flush=True)


def measure_store(name: str, args: argparse.Namespace, moto: MotoHelper | None) -> dict[str, Any]:
    from lsst.daf.butler import Butler, Config, DatasetType

    s3 = name.startswith("s3")
    base = args.local_dir if s3 else {"tmp": "/tmp", "shm": "/dev/shm"}[name]
    top = tempfile.mkdtemp(prefix="peer-tables-", dir=base)
    repo = os.path.join(top, "repo")
    env = {**os.environ}
    if s3:
        assert moto is not None
        Butler.makeRepo(repo, config=Config({"datastore": {"root": f"s3://{moto.ask('bucket')}/bench/"}}),
                        forceConfigRoot=False)
        env["TMPDIR"] = top  # where the s3-download path puts its local copy
        env["DAF_BUTLER_CACHE_EXPIRATION_MODE"] = "disabled"  # else the warm-up's download serves the get
    else:
        Butler.makeRepo(repo)
    butler = Butler.from_config(repo, writeable=True, run="bench")
    butler.registry.insertDimensionData("instrument", {"name": "Cam1"})
    butler.registry.registerDatasetType(DatasetType("table", ["instrument"], "ArrowTable",
                                                    universe=butler.dimensions))
    results: dict[str, Any] = {}
    try:
        for phase in ("put", "get-whole", "get-2-columns"):
            command = [sys.executable, __file__, "--child", phase, "--repo", repo, "--rows", str(args.rows),
                       "--columns", str(args.columns)] + (["--hide-s3fs"] if name == "s3-download" else [])
            since = int(moto.ask("mark")) if s3 and moto else 0
            out = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
            if out.returncode:
                raise SystemExit(f"{name} {phase} failed:\n{out.stderr[-3000:]}")
            results[phase] = json.loads(out.stdout.strip().splitlines()[-1])
            if s3 and moto:
                uri = butler.getURI("table", instrument="Cam1", collections="bench")
                key = uri.relativeToPathRoot
                fetched, gets = json.loads(moto.ask(f"bytes {since} {key}"))
                results[phase]["s3_bytes_fetched_mb"] = round(fetched / 1e6, 2)
                results[phase]["s3_get_requests"] = gets
        size = butler.getURI("table", instrument="Cam1", collections="bench").size()
        results["object_mb"] = round(size / 1e6, 1)
        fetched_mb = results["get-2-columns"].get("s3_bytes_fetched_mb", results["get-2-columns"]["syscall_read_mb"])
        results["two_column_read_fraction"] = round(fetched_mb * 1e6 / size, 4)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--stores", default="tmp,shm,s3,s3-download",
                        help="comma-separated: tmp, shm, s3 (s3fs byte ranges), s3-download (no s3fs: whole object)")
    parser.add_argument("--local-dir", default="/tmp",
                        help="for the S3 stores: the registry and the s3-download path's temporary copy")
    parser.add_argument("--moto-python", default="/work/main/.venv/bin/python",
                        help="a Python with databutler's test extras (moto), to run the S3 server")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--repo", help=argparse.SUPPRESS)
    parser.add_argument("--hide-s3fs", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-s3", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_s3:
        serve_s3()
        return
    if args.child:
        args.phase = args.child
        print(json.dumps(child(args)))
        return
    names = args.stores.split(",")
    moto = MotoHelper(args.moto_python) if any(n.startswith("s3") for n in names) else None
    try:
        if moto:
            os.environ.update(moto.env)
        stores = {name: measure_store(name, args, moto) for name in names}
    finally:
        if moto:
            moto.close()
    print(json.dumps({"system": "lsst-daf-butler", "rows": args.rows, "columns": args.columns, "slice": SLICE,
                      "cpus": os.cpu_count(), "stores": stores}, indent=1))


if __name__ == "__main__":
    main()
