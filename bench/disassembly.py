"""Composites whole (one .npz) against in parts (.array.npy + .metadata.json): put, get, and one component.

Writes an ArrayWithMetadata of about 64 MB (a float64 array and a small metadata dict) through a
POSIX datastore ``--repeat`` times per layout, on each directory given (default /tmp and /dev/shm),
and prints one JSON object: seconds (median), MB/s, and the bytes read from files (``rchar`` of
/proc/self/io, so page-cache hits count too) for a get of the whole and for a get of the small
``metadata`` component alone.

    PYTHONPATH=. python bench/disassembly.py [--mb 64] [--repeat 5] [--dirs /tmp /dev/shm]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from databutler.adapters.formats import default_formatter_set
from databutler.adapters.posix import make_datastore
from databutler.domain import StorageClassRegistry
from databutler.ports.datastore import ReadRequest
from databutler.testing.datastore_support import make_ref


def bytes_read() -> int:
    """Bytes this process has read through read() calls so far."""
    with open("/proc/self/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("rchar:"))


def timed(action: Callable[[], Any]) -> tuple[float, int, Any]:
    """Seconds, bytes read and result of ``action()``."""
    before, start = bytes_read(), time.perf_counter()
    result = action()
    return time.perf_counter() - start, bytes_read() - before, result


def run(directory: str, disassemble: bool, obj: dict[str, Any], repeat: int) -> dict[str, Any]:
    """Put, get and get-metadata timings of one layout under ``directory``."""
    root = tempfile.mkdtemp(prefix="bench-parts-", dir=directory)
    try:
        store = make_datastore({"adapter": "posix", "root": root, "disassemble": disassemble},
                               storage_classes=StorageClassRegistry(), formatters=default_formatter_set(),
                               create=True, writeable=True)
        puts, gets, components, whole_bytes, component_bytes, files = [], [], [], 0, 0, 0
        for _ in range(repeat):
            ref = make_ref("ArrayWithMetadata")
            seconds, _, artifacts = timed(lambda ref=ref: store.put([(obj, ref)]))
            puts.append(seconds)
            files = len(artifacts)
            seconds, whole_bytes, got = timed(lambda ref=ref, a=artifacts: store.get([ReadRequest(ref, a)])[0])
            assert np.array_equal(got["array"], obj["array"]) and got["metadata"] == obj["metadata"]
            gets.append(seconds)
            seconds, component_bytes, meta = timed(
                lambda ref=ref, a=artifacts: store.get([ReadRequest(ref, a, component="metadata")])[0])
            assert meta == obj["metadata"]
            components.append(seconds)
        size = sum(a.size or 0 for a in artifacts)
        mb = size / 1e6
        return {"files_per_dataset": files, "stored_bytes": size,
                "put_s": statistics.median(puts), "put_MB_s": mb / statistics.median(puts),
                "get_s": statistics.median(gets), "get_MB_s": mb / statistics.median(gets),
                "get_bytes_read": whole_bytes,
                "get_metadata_s": statistics.median(components), "get_metadata_bytes_read": component_bytes}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Run every directory and layout; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=64.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dirs", nargs="+", default=["/tmp", "/dev/shm"])
    args = parser.parse_args()
    rows = int(args.mb * 1e6 / 8 / 1024)
    obj = {"array": np.random.default_rng(1).random((rows, 1024)),
           "metadata": {"exposure_time": 30.0, "filter": "r", "keys": list(range(20))}}
    results = {directory: {("parts" if disassemble else "whole"): run(directory, disassemble, obj, args.repeat)
                           for disassemble in (False, True)} for directory in args.dirs}
    print(json.dumps({"array_bytes": obj["array"].nbytes, "repeat": args.repeat, "results": results}, indent=1))


if __name__ == "__main__":
    main()
