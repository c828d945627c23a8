#!/usr/bin/env python
"""Ingest throughput (files/s) of the DBB datastore against the POSIX datastore, through ``Butler.ingest``.

A benchmark, not a test. For each base directory (a temporary one on the default filesystem, and
``/dev/shm`` where it exists), it builds a DESDM database on SQLite with its archives there, stages
N small JSON files there, and ingests them by copy in ONE ``Butler.ingest`` call into fresh
repositories that differ only in the datastore, each with a SQL registry (SQLite) in the same place:

- ``posix``: the POSIX datastore as configured by default (blake2b checksum while copying);
- ``posix_md5``: the same with ``checksum: md5`` (DESDM's algorithm), to separate the hash's cost;
- ``dbb``: the DBB datastore in an OPS_ARCHIVE archive: one DESFILE look-up per batch for duplicate
  names, each file md5-summed and sized before the copy, hashed while copied, and read back and
  summed again after it.

    python bench/dbb_ingest.py                    # N=2000, 3 rounds, median reported
    python bench/dbb_ingest.py -n 500 --rounds 1 --base /tmp

Prints one line per (place, datastore) and ONE JSON object at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from databutler import Butler, DatasetType
from databutler.service.file_dataset import FileDataset
from databutler.testing.desdm import BACKUP_ARCHIVE, build_desdm_sqlite

INSTRUMENT = "DECam"


def datastore_sections(base: Path, desdm_url: str) -> dict[str, dict[str, Any]]:
    """The datastore section of each variant."""
    return {
        "posix": {"adapter": "posix", "root": "{root}/datasets"},
        "posix_md5": {"adapter": "posix", "root": "{root}/datasets", "checksum": "md5"},
        "dbb": {"adapter": "dbb", "url": desdm_url, "archive": BACKUP_ARCHIVE},
    }


def stage(directory: Path, n: int) -> list[Path]:
    """N small JSON files to ingest."""
    directory.mkdir(parents=True)
    paths = []
    for index in range(n):
        path = directory / f"file{index:06d}.json"
        path.write_text(json.dumps({"index": index, "values": list(range(index % 16))}))
        paths.append(path)
    return paths


def ingest_once(repo: Path, datastore: dict[str, Any], files: list[Path]) -> float:
    """Create a repository with ``datastore``, ingest ``files`` by copy in one call; seconds of the ingest."""
    butler = Butler.create(repo, config={"registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3"},
                                         "datastore": datastore})
    try:
        butler.registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": len(files) + 1}])
        butler.registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": i}
                                                       for i in range(len(files))])
        butler.registry.register_dataset_type(DatasetType("summary", ("instrument", "detector"), "StructuredData"))
        data_ids: list[dict[str, Any]] = [{"instrument": INSTRUMENT, "detector": i} for i in range(len(files))]
        datasets = [FileDataset(str(path), "summary", data_id) for data_id, path in zip(data_ids, files, strict=True)]
        started = time.perf_counter()
        refs = butler.ingest(datasets, transfer="copy", run="bench/ingest")
        seconds = time.perf_counter() - started
        assert len(refs) == len(files)
        return seconds
    finally:
        butler.close()


def run_place(base: Path, n: int, rounds: int) -> dict[str, Any]:
    """Every variant, ``rounds`` times each (interleaved), in a fresh directory under ``base``."""
    work = Path(tempfile.mkdtemp(prefix="dbb-ingest-", dir=base))
    try:
        desdm = build_desdm_sqlite(os.fspath(work))
        files = stage(work / "sources", n)
        sections = datastore_sections(work, desdm.url)
        seconds: dict[str, list[float]] = {name: [] for name in sections}
        for round_number in range(rounds):
            for name, section in sections.items():
                seconds[name].append(ingest_once(work / f"{name}-{round_number}", section, files))
            archive = Path(desdm.catalog.roots[BACKUP_ARCHIVE])
            shutil.rmtree(archive)  # the next round's dbb ingest of the same names must not meet these
            archive.mkdir()
        result = {name: {"median_s": statistics.median(s), "files_per_s": n / statistics.median(s),
                         "rounds_s": [round(x, 4) for x in s]} for name, s in seconds.items()}
        for name, numbers in result.items():
            print(f"{base!s:>12}  {name:<10} {numbers['files_per_s']:8.0f} files/s  "
                  f"(median {numbers['median_s']:.3f} s of {rounds})", flush=True)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Parse the command line, run each place, print the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="files to ingest (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per variant; the median is reported")
    parser.add_argument("--base", action="append", help="directories to work in (default: the temporary "
                        "directory and /dev/shm)")
    args = parser.parse_args()
    bases = args.base or [tempfile.gettempdir()] + (["/dev/shm"] if os.path.isdir("/dev/shm") else [])
    results = {base: run_place(Path(base), args.n, args.rounds) for base in bases}
    summary = {base: {"files_per_s": {name: round(r["files_per_s"]) for name, r in result.items()},
                      "dbb_vs_posix": round(result["dbb"]["files_per_s"] / result["posix"]["files_per_s"], 3)}
               for base, result in results.items()}
    print(json.dumps({"n": args.n, "rounds": args.rounds, "places": summary, "details": results}))


if __name__ == "__main__":
    main()
