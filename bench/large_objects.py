#!/usr/bin/env python
"""Throughput (MB/s) and peak RSS of putting and getting one large array through the object-store datastore.

A benchmark, not a test. By default it starts moto's S3-compatible server in a separate process
on 127.0.0.1 (so the server's copy of the object does not count in this process's RSS), with fake
credentials in the environment; ``--root s3://bucket/prefix`` uses an existing store instead.

    python bench/large_objects.py                 # 1 GiB float64 array
    python bench/large_objects.py --size-mib 256  # smaller

Prints ONE JSON object: sizes, seconds and MB/s of put and get, and the peak RSS during each
phase, also as the memory each phase needed beyond the idle process, in units of the array's
size (the issue's budget is ~1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from typing import Any

MIB = 1 << 20


def rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples RSS every few milliseconds in a thread; ``peak`` is the highest seen."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def run(root: str, size_mib: int, block_size_mib: int) -> dict[str, Any]:
    """Put then get one ``size_mib`` array under ``root``; return the measurements."""
    import numpy as np

    from databutler.adapters.formats import default_formatter_set
    from databutler.adapters.objectstore import make_datastore
    from databutler.domain import DataId, DatasetRef, DatasetType, StorageClassRegistry
    from databutler.ports.datastore import ReadRequest

    datastore = make_datastore({"adapter": "objectstore", "root": root, "block_size": block_size_mib * MIB},
                               storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                               create=True, writeable=True)
    ref = DatasetRef(DatasetType("big", ("instrument", "visit"), "NumpyArray"),
                     DataId({"instrument": "Cam", "visit": 1}), run=f"bench/{uuid.uuid4().hex[:8]}")
    idle = rss_bytes()
    array = np.arange(size_mib * MIB // 8, dtype="float64")
    nbytes = array.nbytes
    base = rss_bytes()
    with PeakRss() as put_rss:
        start = time.perf_counter()
        (artifact,) = datastore.put([(array, ref)])
        put_s = time.perf_counter() - start
    del array
    get_base = rss_bytes()
    with PeakRss() as get_rss:
        start = time.perf_counter()
        (got,) = datastore.get([ReadRequest(ref, [artifact])])
        get_s = time.perf_counter() - start
    assert got.nbytes == nbytes and float(got[-1]) == nbytes // 8 - 1
    del got
    datastore.remove([artifact])
    mb = nbytes / 1e6
    return {
        "root": root, "array_bytes": nbytes, "block_size_mib": block_size_mib,
        "put_s": round(put_s, 3), "put_mb_per_s": round(mb / put_s, 1),
        "get_s": round(get_s, 3), "get_mb_per_s": round(mb / get_s, 1),
        "rss_idle_mib": round(idle / MIB, 1), "rss_with_array_mib": round(base / MIB, 1),
        "peak_rss_put_mib": round(put_rss.peak / MIB, 1), "peak_rss_get_mib": round(get_rss.peak / MIB, 1),
        "rss_after_put_without_array_mib": round(get_base / MIB, 1),
        # Memory the put/get needed beyond the process's idle footprint, in units of the array's size:
        "put_peak_over_idle_x_array": round((put_rss.peak - idle) / nbytes, 2),
        "get_peak_over_idle_x_array": round((get_rss.peak - idle) / nbytes, 2),
    }


def main() -> None:
    """Parse options, start the server if needed, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="array size in MiB (default 1024)")
    parser.add_argument("--block-size-mib", type=int, default=16, help="upload part / read block size in MiB")
    parser.add_argument("--root", help="an existing store root (s3://bucket/prefix); default: a local moto server")
    args = parser.parse_args()
    if args.root:
        print(json.dumps(run(args.root, args.size_mib, args.block_size_mib)))
        return
    from databutler.testing.s3 import server_process

    with server_process():
        import s3fs

        s3fs.S3FileSystem().mkdir("bench")
        print(json.dumps(run("s3://bench/large", args.size_mib, args.block_size_mib)))


if __name__ == "__main__":
    main()
