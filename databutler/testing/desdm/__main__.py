"""Build a DESDM database of a given size and print how long the fill took (for benchmarks).

``python -m databutler.testing.desdm --exposures 800 --ccds 62 [--postgres | --url URL] [--directory DIR]``:
SQLite in a temporary directory by default; ``--postgres`` starts a throwaway cluster (as the tests do).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from ..postgres import find_bindir, start_cluster, stop_cluster
from .fill import create_desdm, desdm_engine, fill_desdm
from .fixtures import with_search_path


def _fill(url: str, directory: str, schema: str | None, exposures: int, ccds: int) -> None:
    engine = desdm_engine(url)
    try:
        metadata = create_desdm(engine, schema)
        started = time.perf_counter()
        catalog = fill_desdm(engine, metadata, os.path.join(directory, "archive"), exposures=exposures, ccds=ccds)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    print(f"{engine.dialect.name}: {catalog.files} DESFILE rows, {catalog.tasks} tasks, {catalog.attempts} attempts "
          f"in {seconds:.2f} s (files on disk included)")


def main() -> None:
    """Parse the command line, build the database, print the time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exposures", type=int, default=80)
    parser.add_argument("--ccds", type=int, default=62)
    parser.add_argument("--url", help="an empty database (default: SQLite in --directory)")
    parser.add_argument("--postgres", action="store_true", help="use a throwaway PostgreSQL cluster")
    parser.add_argument("--directory", help="where the archive (and SQLite file) go (default: a temporary one)")
    args = parser.parse_args()
    directory = args.directory or tempfile.mkdtemp(prefix="desdm-")
    if not args.postgres:
        _fill(args.url or f"sqlite:///{os.path.join(directory, 'desdm.sqlite3')}", directory, None, args.exposures,
              args.ccds)
        return
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries found")
    server = start_cluster(bindir)
    try:
        server.execute('CREATE SCHEMA "desdm"')
        _fill(with_search_path(server.url(), "desdm"), directory, "desdm", args.exposures, args.ccds)
    finally:
        stop_cluster(server)


if __name__ == "__main__":
    main()
