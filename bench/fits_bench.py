#!/usr/bin/env python
"""Put and get of a 4k x 4k FITS Exposure through the Butler, whole and cut to 100 x 100: MB/s, peak RSS, bytes fetched.

A benchmark, not a test. For each store (POSIX under /tmp, POSIX under /dev/shm, the object-store
datastore on moto's S3 server started in a separate process on 127.0.0.1) it puts one Exposure
(float32 image, int32 mask, float32 variance: 192 MiB of pixels), then gets it whole, cut by
``parameters={"bbox": ...}`` to 100 x 100, and one header component (``metadata``).

    python bench/fits_bench.py                      # 4096 x 4096, all stores
    python bench/fits_bench.py --size 1024 --stores tmp s3

Prints ONE JSON object. ``peak_rss_mib`` is the process's highest RSS during a phase less its RSS
just before it (sampled every 5 ms); ``fetched_bytes`` is what the S3 client fetched from the
server during a phase (response bodies counted in aiobotocore), against ``object_bytes``, the stored file's size.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

MIB = 1 << 20
CUT = 100


def rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples RSS every 5 ms in a thread; ``above`` is the peak less the RSS at the start."""

    def __init__(self) -> None:
        self.start = rss_bytes()
        self.peak = self.start
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

    @property
    def above_mib(self) -> float:
        """Peak RSS above the start, MiB."""
        return round((self.peak - self.start) / MIB, 1)


class FetchCounter:
    """Counts the bytes of S3 response bodies: what the client fetched from the server."""

    def __init__(self) -> None:
        self.bytes = 0

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Count while inside: every S3 response body read (ranged or whole) passes through here."""
        from aiobotocore.response import StreamingBody

        read = StreamingBody.read

        async def counted(body: Any, *args: Any, **kwargs: Any) -> bytes:
            data = await read(body, *args, **kwargs)
            self.bytes += len(data)
            return data  # type: ignore[no-any-return]

        StreamingBody.read = counted
        try:
            yield
        finally:
            StreamingBody.read = read


def exposure(size: int) -> Any:
    """A ``size`` x ``size`` Exposure with a TAN WCS."""
    import numpy as np
    from astropy.wcs import WCS

    from databutler.adapters.formats import Exposure

    rng = np.random.default_rng(1)
    image = rng.normal(1000.0, 30.0, (size, size)).astype("float32")
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = [size / 2, size / 2]
    wcs.wcs.crval = [150.0, 2.0]
    wcs.wcs.cdelt = [-5.5e-5, 5.5e-5]
    return Exposure(image, (image > 1050).astype("int32"), image / 4, wcs=wcs,
                    metadata={"EXPTIME": 30.0, "FILTER": "r", "VISIT": 903334})


def measure(root: str, config: dict[str, Any], size: int, counter: FetchCounter | None) -> dict[str, Any]:
    """Put one Exposure to a new repository at ``root``, get it whole, cut and by component; the figures."""
    from databutler import Butler, DatasetType

    butler = Butler.create(root, config or None, run="bench") if config else Butler.create(root, run="bench")
    butler.registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": 4}])
    butler.registry.insert_data_units("detector", [{"instrument": "Cam", "id": 1}])
    butler.registry.register_dataset_type(DatasetType("calexp", ("instrument", "detector"), "Exposure"))
    data_id = {"instrument": "Cam", "detector": 1}
    whole = exposure(size)
    pixels = sum(getattr(whole, p).nbytes for p in ("image", "mask", "variance"))
    figures: dict[str, Any] = {"pixel_bytes": pixels}
    gc.collect()
    with PeakRss() as rss:
        start = time.perf_counter()
        ref = butler.put(whole, "calexp", data_id)
        seconds = time.perf_counter() - start
    figures["put"] = {"s": round(seconds, 3), "MB_per_s": round(pixels / 1e6 / seconds, 1),
                      "peak_rss_mib": rss.above_mib}
    del whole
    gc.collect()
    x0 = y0 = size // 3
    phases = {"get_whole": {}, "get_cut": {"parameters": {"bbox": (x0, y0, x0 + CUT, y0 + CUT)}},
              "get_metadata": {"component": "metadata"}}
    for phase, options in phases.items():
        fetched = FetchCounter() if counter is not None else None
        with contextlib.ExitStack() as stack:
            if fetched is not None:
                stack.enter_context(fetched.installed())
            with PeakRss() as rss:
                start = time.perf_counter()
                got = butler.get("calexp", data_id, **options)
                seconds = time.perf_counter() - start
        read_bytes = pixels if phase == "get_whole" else (CUT * CUT * 12 if phase == "get_cut" else 0)
        figures[phase] = {"s": round(seconds, 4), "peak_rss_mib": rss.above_mib}
        if read_bytes:
            figures[phase]["MB_per_s_of_pixels_returned"] = round(read_bytes / 1e6 / seconds, 2)
        if fetched is not None:
            figures[phase]["fetched_bytes"] = fetched.bytes
        del got
        gc.collect()
    figures["object_bytes"] = _size(butler, ref)
    butler.close()
    return figures


def _size(butler: Any, ref: Any) -> int:
    import fsspec

    uri = butler.uri(ref)
    fs, path = fsspec.core.url_to_fs(uri)
    return int(fs.size(path))


def main() -> None:
    """Run the stores asked for and print the figures as one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="image side in pixels")
    parser.add_argument("--stores", nargs="+", default=["tmp", "shm", "s3"], choices=["tmp", "shm", "s3"])
    args = parser.parse_args()
    results: dict[str, Any] = {"size": args.size, "cut": CUT}
    for store in args.stores:
        base = tempfile.mkdtemp(prefix="fits-bench-", dir="/dev/shm" if store == "shm" else "/tmp")
        try:
            if store == "s3":
                from databutler.testing.s3 import server_process

                with server_process():
                    import s3fs

                    bucket = f"bench-{uuid.uuid4().hex[:12]}"
                    s3fs.S3FileSystem().call_s3("create_bucket", Bucket=bucket)
                    config = {"datastore": {"adapter": "objectstore", "root": f"s3://{bucket}/repo"}}
                    results[store] = measure(os.path.join(base, "repo"), config, args.size, FetchCounter())
            else:
                results[store] = measure(os.path.join(base, "repo"), {}, args.size, None)
        finally:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
