"""Write the schema-version-1 registry dumps next to this file, using databutler as it was at version 1.

The dumps are what ``tests/unit/test_sql_migrate.py`` upgrades. They were made by the code of commit
39bee11 (the last commit before the schema changed; its ``dataset_artifact.checksum`` is still
``varchar(128)``), so they hold exactly what a version-1 databutler created and wrote:

    git archive 39bee11 databutler | tar -x -C /tmp/v1code
    PYTHONPATH=/tmp/v1code python tests/data/registry_v1/make_dumps.py

- ``sqlite.sql``: ``iterdump()`` of a SQLite registry;
- ``postgresql.sql``: ``pg_dump --schema=registry_v1 --inserts`` of a PostgreSQL registry in schema
  ``registry_v1`` (the test loads it into a schema of its own by renaming that word).
"""

from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
NAMESPACE = "registry_v1"


def fill(registry) -> None:  # type: ignore[no-untyped-def]  # the version-1 API
    """DataUnits, dataset types, collections of every kind, datasets with artifacts, and quanta."""
    from databutler.domain import CollectionKind, DatasetType
    from databutler.domain.dataset import StoredArtifact
    from databutler.domain.quantum import Quantum, QuantumStatus
    from databutler.testing.data import insert_standard_data_units

    insert_standard_data_units(registry)
    registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredData"))
    registry.register_dataset_type(DatasetType("coadd", ("skymap", "tract", "patch", "band"), "StructuredData"))
    registry.register_dataset_type(DatasetType("unused", ("instrument",), "NumpyArray"))
    registry.register_collection("u/alice/run1", CollectionKind.RUN, "first run")
    registry.register_collection("u/alice/run2", CollectionKind.RUN)
    registry.register_collection("u/alice/best", CollectionKind.TAGGED, "hand-picked")
    registry.register_collection("u/alice/all", CollectionKind.CHAINED)
    registry.register_collection("empty/chain", CollectionKind.CHAINED)
    registry.set_chain("u/alice/all", ["u/alice/best", "u/alice/run2", "u/alice/run1"])
    calexps = registry.insert_datasets("calexp", "u/alice/run1", [
        {"instrument": "Cam1", "visit": v, "detector": d} for v in (1, 2, 3, 4) for d in (1, 2)])
    coadds = registry.insert_datasets("coadd", "u/alice/run2", [
        {"skymap": "SkyMap1", "tract": 0, "patch": p, "band": "g"} for p in (0, 1)])
    registry.associate("u/alice/best", calexps[:3] + coadds[:1])
    artifacts = [StoredArtifact(ref.id, f"u/alice/run1/calexp/{ref.id}.json", "databutler.JsonFormatter",
                                "StructuredData", "sha256:" + uuid.uuid5(ref.id, "c").hex * 2, 100 + i)
                 for i, ref in enumerate(calexps)]
    for ref in coadds:  # a composite: one artifact per component
        artifacts += [StoredArtifact(ref.id, f"u/alice/run2/coadd/{ref.id}_{c}.json", "databutler.JsonFormatter",
                                     "StructuredData", None, None, c) for c in ("image", "mask")]
    registry.insert_artifacts(artifacts)
    start = datetime.datetime(2024, 1, 2, 3, 4, 5)
    registry.insert_quanta([
        Quantum("isr", "u/alice/run1", None, outputs=[r.id for r in calexps[:2]], started=start,
                ended=start + datetime.timedelta(seconds=7), host="node01", metadata={"cpu_s": 6.5}),
        Quantum("coadd", "u/alice/run2", None, inputs=[r.id for r in calexps], outputs=[r.id for r in coadds],
                status=QuantumStatus.FAILED, metadata={"error": "out of memory"}),
    ])


def sqlite_dump(directory: str) -> str:
    """Create and fill a SQLite registry; return its dump."""
    from databutler.adapters.sql import SqlRegistry
    from databutler.config.universe import default_universe

    path = os.path.join(directory, "registry.sqlite3")
    with SqlRegistry.create(f"sqlite:///{path}", default_universe()) as registry:
        fill(registry)
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump()) + "\n"
    finally:
        connection.close()


def postgresql_dump() -> str:
    """Create and fill a registry in schema ``registry_v1`` of a throwaway cluster; return its pg_dump."""
    from databutler.adapters.sql import SqlRegistry
    from databutler.config.universe import default_universe
    from databutler.testing.postgres import find_bindir, start_cluster, stop_cluster

    bindir = find_bindir()
    assert bindir is not None, "needs the PostgreSQL server binaries"
    server = start_cluster(bindir)
    try:
        with SqlRegistry.create(server.url(), default_universe(), namespace=NAMESPACE) as registry:
            fill(registry)
        command = [os.path.join(bindir, "pg_dump"), "-h", server.host, "-p", str(server.port), "-U", server.user,
                   "--schema", NAMESPACE, "--no-owner", "--no-privileges", "--inserts", server.database]
        return subprocess.run(command, check=True, capture_output=True, text=True,
                              env={**os.environ, "PGPASSWORD": server.password}).stdout
    finally:
        stop_cluster(server)


def main() -> None:
    """Write both dumps."""
    from databutler.adapters.sql import schema

    if schema.SCHEMA_VERSION != "1":
        sys.exit(f"run this with the version-1 code on PYTHONPATH (found schema version {schema.SCHEMA_VERSION})")
    with tempfile.TemporaryDirectory() as directory:
        dumps = {"sqlite.sql": sqlite_dump(directory), "postgresql.sql": postgresql_dump()}
    for name, text in dumps.items():
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as stream:
            stream.write(text)


if __name__ == "__main__":
    main()
