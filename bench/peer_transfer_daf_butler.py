#!/usr/bin/env python
"""The reference system's (lsst-daf-butler) side of ``bench/transfer_bench.py``; run with its Python.

Given an export file databutler wrote (``transfer_bench.py`` writes one beside its repos), it times,
on SQLite repositories in a scratch directory (and, given ``--pg-url``, a PostgreSQL target too):

 import         ``butler.import_`` of the file with transfer copy into a new repository (the source).
 export         ``butler.export`` of every dataset of the source, files copied, into a directory.
 transfer_from  ``target.transfer_from(source, refs, transfer="copy")`` into a new repository,
                with the SQL statements the target's engine ran (counted by a SQLAlchemy listener).
 transfer_from_postgres  the same into a repository whose registry is on ``--pg-url`` (psycopg2).

Prints ONE JSON object: ``datasets``, ``phases_s``, ``rates_datasets_per_s``, ``target_statements``.

    /work/peer-venv/bin/python bench/peer_transfer_daf_butler.py EXPORT_FILE [--scratch DIR]
"""

import argparse
import json
import os
import tempfile
import time

import sqlalchemy as sa
from lsst.daf.butler import Butler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("export_file")
    parser.add_argument("--scratch", default=None)
    parser.add_argument("--pg-url", default=None, help="also transfer into a repository on this PostgreSQL database")
    args = parser.parse_args()
    scratch = args.scratch or tempfile.mkdtemp(prefix="peer-transfer-")
    phases = {}
    source_root = os.path.join(scratch, "peer-source")
    Butler.makeRepo(source_root)
    source = Butler.from_config(source_root, writeable=True)
    start = time.perf_counter()
    source.import_(directory=os.path.dirname(os.path.abspath(args.export_file)), filename=args.export_file,
                   transfer="copy")
    phases["import"] = time.perf_counter() - start
    refs = list(source.registry.queryDatasets(..., collections=...).expanded())

    out = os.path.join(scratch, "peer-export")
    os.makedirs(out, exist_ok=True)
    start = time.perf_counter()
    with source.export(filename=os.path.join(out, "export.yaml"), directory=out, transfer="copy") as export:
        export.saveDatasets(refs)
    phases["export"] = time.perf_counter() - start

    target_root = os.path.join(scratch, "peer-target")
    Butler.makeRepo(target_root)
    target = Butler.from_config(target_root, writeable=True)
    statements = []
    sa.event.listen(sa.Engine, "before_cursor_execute", lambda conn, *a: statements.append(str(conn.engine.url)))
    start = time.perf_counter()
    target.transfer_from(source, refs, transfer="copy", register_dataset_types=True, transfer_dimensions=True)
    phases["transfer_from"] = time.perf_counter() - start
    mine = sum(1 for url in statements if target_root in url)
    if args.pg_url:
        from lsst.daf.butler import Config
        with sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")  # the reference needs it
        pg_root = os.path.join(scratch, "peer-target-postgres")
        Butler.makeRepo(pg_root, config=Config({"registry": {"db": args.pg_url, "namespace": "peer_transfer"}}))
        pg_target = Butler.from_config(pg_root, writeable=True)
        start = time.perf_counter()
        pg_target.transfer_from(source, refs, transfer="copy", register_dataset_types=True, transfer_dimensions=True)
        phases["transfer_from_postgres"] = time.perf_counter() - start
    print(json.dumps({"datasets": len(refs), "phases_s": phases,
                      "rates_datasets_per_s": {k: len(refs) / v for k, v in phases.items()},
                      "target_statements": mine, "all_statements": len(statements)}))


if __name__ == "__main__":
    main()
