"""The raw file-publish rate of a filesystem: what a disk-bound phase (put, ingest) is measured against.

Each file is published the way any careful writer publishes one: create a temporary name
exclusively, write the bytes, close, rename onto the final name. Nothing else: no checksum, no
formatter, no database. The directory depth and file sizes are the phase's own, so the ratio
phase rate / raw rate says how much of what the filesystem can do the phase reaches.

    python bench/file_publish.py --dir /dev/shm/x --n 2000 --size 300 --depth 4
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Sequence

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def publish_rate(scratch: str, sizes: Sequence[int], depth: int, *, fsync: bool = False) -> float:
    """Files/s publishing one file per size under ``scratch``, ``depth`` directories deep; ``scratch`` is removed."""
    directory = os.path.join(scratch, *(f"level{i}" for i in range(depth)))
    payloads = {size: b"x" * size for size in set(sizes)}
    start = time.perf_counter()
    os.makedirs(directory)
    for index, size in enumerate(sizes):
        final = os.path.join(directory, f"instrument=Cam1_detector={index % 10}_visit={index}.json")
        temp = final + ".tmp"
        fd = os.open(temp, _CREATE, 0o644)
        try:
            os.write(fd, payloads[size])
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temp, final)
    elapsed = time.perf_counter() - start
    shutil.rmtree(scratch)
    return len(sizes) / elapsed if elapsed > 0 else float("inf")


def main() -> None:
    """Print the raw rate for ``--n`` files of ``--size`` bytes in ``--dir``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", required=True, help="scratch directory (must not exist; removed afterwards)")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--fsync", action="store_true")
    args = parser.parse_args()
    rate = publish_rate(args.dir, [args.size] * args.n, args.depth, fsync=args.fsync)
    print(json.dumps({"files": args.n, "size": args.size, "depth": args.depth, "files_per_s": round(rate, 1)}))


if __name__ == "__main__":
    main()
