#!/usr/bin/env python
"""What pluggable formatters and read-time conversion cost: repository open, put/get, converted get.

A benchmark, not a test. Creates one repository (SQLite + posix) in a temporary directory and
times, over N repetitions (default 500):

 open            Butler(root) on the existing repository (butler.yaml read, container built)
 put / get       a ~10-key dict as StructuredDataDict
 get_converted   the same get with storage_class="StructuredData" (a registered conversion; only if
                 this databutler has read-time conversion)
 array_get / array_get_as_list   a 1000x100 float64 NumpyArray, read as it is and as
                 storage_class="StructuredDataList" (ndarray.tolist), over N/10 repetitions

Runs unchanged on a databutler without the plug-in work (PYTHONPATH=/path/to/older/checkout), to
compare. Prints ONE JSON object: seconds per operation (median) for each phase.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _median(action: Callable[[], Any], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(n: int) -> dict[str, Any]:
    """Time each phase ``n`` times (arrays ``n // 10``)."""
    import numpy

    from databutler import Butler, DatasetType

    converts = "storage_class" in inspect.signature(Butler.get).parameters
    result: dict[str, Any] = {"n": n, "read_time_conversion": converts}
    with tempfile.TemporaryDirectory() as root:
        butler = Butler.create(root + "/repo", run="r")
        butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
        butler.registry.insert_data_units("detector", [{"instrument": "Cam1", "id": i, "full_name": str(i)}
                                                       for i in range(n)])
        butler.registry.register_dataset_type(DatasetType("meta", ("instrument", "detector"), "StructuredDataDict"))
        butler.registry.register_dataset_type(DatasetType("arr", ("instrument",), "NumpyArray"))
        payload = {f"key{i}": i * 1.5 for i in range(10)}
        detectors = iter(range(n))
        result["put_s"] = _median(lambda: butler.put(payload, "meta", instrument="Cam1", detector=next(detectors)),
                                  n)
        ref = butler.find_dataset("meta", instrument="Cam1", detector=0)
        result["get_s"] = _median(lambda: butler.get(ref), n)
        if converts:
            result["get_converted_s"] = _median(lambda: butler.get(ref, storage_class="StructuredData"), n)
        array_ref = butler.put(numpy.random.default_rng(1).random((1000, 100)), "arr", instrument="Cam1")
        result["array_get_s"] = _median(lambda: butler.get(array_ref), max(n // 10, 1))
        if converts:
            result["array_get_as_list_s"] = _median(
                lambda: butler.get(array_ref, storage_class="StructuredDataList"), max(n // 10, 1))
        butler.close()
        result["open_s"] = _median(lambda: Butler(root + "/repo", collections="r").close(), max(n // 10, 1))
    return result


def main() -> None:
    """Parse arguments, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500)
    print(json.dumps(run(parser.parse_args().n), indent=1))


if __name__ == "__main__":
    main()
