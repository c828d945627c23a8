"""The Datastore contract suite against the DBB datastore, on a DESDM database on SQLite and on PostgreSQL,
and the Butler contract over the SQL registry and the DBB datastore, configured by butler.yaml.

One filled DESDM database per backend serves the module; each fresh datastore is a new archive
(an OPS_ARCHIVE row, inserted by the owner as operators do) with an empty root of its own. On
PostgreSQL the datastore connects as the pipeline writer, who may only read OPS_ARCHIVE and DESFILE
and insert into DTS_BAD_FILE.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from databutler import Butler
from databutler.adapters.dbb.datastore import DbbDatastore
from databutler.adapters.dbb.datastore_factory import make_dbb_datastore
from databutler.adapters.formats import default_formatter_set
from databutler.domain import StorageClassRegistry, StoredArtifact
from databutler.ports.capabilities import DatastoreCapability, RegistryCapability
from databutler.ports.datastore import TransferMode
from databutler.testing.butler import ButlerContract
from databutler.testing.datastore import DatastoreContract
from databutler.testing.desdm import (
    DesdmDatabase,
    build_desdm_sqlite,
    create_desdm,
    desdm_engine,
    fill_desdm,
    grant_pipeline_writer,
    table,
)
from databutler.testing.desdm.fixtures import with_search_path
from databutler.testing.postgres import PostgresServer
from databutler.testing.requirements import Harness

WHOLE_FILES = frozenset(DatastoreCapability) - {DatastoreCapability.DISASSEMBLY}
"""Every capability but DISASSEMBLY: what a file datastore not configured to write composites in parts declares."""

SQL_REGISTRY = frozenset({RegistryCapability.WRITE, RegistryCapability.PROVENANCE_QUERIES, RegistryCapability.QUERIES,
                          RegistryCapability.SQL_SELECT, RegistryCapability.LINEAGE, RegistryCapability.PERSISTENT,
                          RegistryCapability.CONCURRENT_WRITERS, RegistryCapability.CALIBRATIONS})
"""What the SQL registry on a SQLite file declares."""
WRITEABLE = WHOLE_FILES | {TransferMode.COPY, TransferMode.MOVE, TransferMode.AUTO}
"""What the DBB datastore declares: everything, and the transfer modes that bring a file into the archive."""
_archive_numbers = itertools.count()
READ_ONLY = WHOLE_FILES - {DatastoreCapability.WRITE, DatastoreCapability.REMOVE,
                                              DatastoreCapability.INGEST}


@pytest.fixture(scope="module")
def desdm_sqlite_module(tmp_path_factory: pytest.TempPathFactory) -> DesdmDatabase:
    """One filled DESDM database file for the module."""
    return build_desdm_sqlite(os.fspath(tmp_path_factory.mktemp("desdm")))


@pytest.fixture(scope="module")
def desdm_postgres_module(postgres_server: PostgresServer,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesdmDatabase]:
    """One filled DESDM schema for the module, and a pipeline writer's role on it."""
    schema = "dbbstore_contract"
    postgres_server.execute(f'CREATE SCHEMA "{schema}"')
    url = with_search_path(postgres_server.url(), schema)
    engine = desdm_engine(url)
    try:
        catalog = fill_desdm(engine, create_desdm(engine, schema), os.fspath(tmp_path_factory.mktemp("archive")))
    finally:
        engine.dispose()
    role = postgres_server.create_role("dbbstore_writer")
    try:
        grant_pipeline_writer(postgres_server, schema, role)
        writer_url = with_search_path(postgres_server.url(user=role.name, password=role.password), schema)
        yield DesdmDatabase(url, catalog, schema, writer_url, role)
    finally:
        postgres_server.execute(f'DROP SCHEMA "{schema}" CASCADE', f'DROP OWNED BY "{role.name}"')
        postgres_server.drop_role(role)


def new_archive(desdm: DesdmDatabase, base: Path) -> tuple[str, Path]:
    """A new archive in OPS_ARCHIVE (inserted by the owner, as operators do), its root under ``base`` (not made)."""
    number = next(_archive_numbers)
    name, root = f"contract{number}", base / f"archive{number}"
    engine = desdm.engine()
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(table(desdm.metadata(), "OPS_ARCHIVE")).values(NAME=name, SITE="test",
                                                                                         ROOT=str(root)))
    finally:
        engine.dispose()
    return name, root


def dbb_section(desdm: DesdmDatabase, archive: str) -> dict[str, Any]:
    """The ``datastore:`` section of the DBB datastore of ``archive``, connecting as the pipeline writer."""
    return {"adapter": "dbb", "url": desdm.writer_url or desdm.url, "namespace": desdm.schema, "archive": archive}


def dbb_factory(desdm: DesdmDatabase, base: Path) -> Callable[..., DbbDatastore]:
    """A factory of fresh DBB datastores, each in a new archive whose root is under ``base``."""
    def make(*, writeable: bool = True) -> DbbDatastore:
        name, root = new_archive(desdm, base)
        if not writeable:
            root.mkdir()
        return make_dbb_datastore(dbb_section(desdm, name), storage_classes=StorageClassRegistry(),
                                  formatters=default_formatter_set(), create=writeable, writeable=writeable)

    return make


def flip_a_byte(datastore: Any, artifact: StoredArtifact) -> None:
    """Change one byte of an artifact's file in place, keeping its size."""
    path = Path(datastore.uri(artifact).removeprefix("file://"))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


class TestDbbDatastoreSqlite(DatastoreContract):
    capabilities = WRITEABLE

    @pytest.fixture
    def make_datastore(self, desdm_sqlite_module: DesdmDatabase, tmp_path: Path) -> Callable[..., DbbDatastore]:
        return dbb_factory(desdm_sqlite_module, tmp_path)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestReadOnlyDbbDatastoreSqlite(DatastoreContract):
    capabilities = READ_ONLY

    @pytest.fixture
    def make_datastore(self, desdm_sqlite_module: DesdmDatabase, tmp_path: Path) -> Callable[[], DbbDatastore]:
        factory = dbb_factory(desdm_sqlite_module, tmp_path)
        return lambda: factory(writeable=False)


class TestDbbDatastorePostgres(DatastoreContract):
    capabilities = WRITEABLE

    @pytest.fixture
    def make_datastore(self, desdm_postgres_module: DesdmDatabase, tmp_path: Path) -> Callable[..., DbbDatastore]:
        return dbb_factory(desdm_postgres_module, tmp_path)

    @pytest.fixture
    def corrupt_artifact(self) -> Callable[[Any, StoredArtifact], None]:
        return flip_a_byte


class TestSqlRegistryOverDbbDatastore(ButlerContract):
    """A SQL registry (SQLite) and the DBB datastore of a fresh archive, from butler.yaml as a user configures them."""

    capabilities = SQL_REGISTRY | WRITEABLE | {Harness.BUTLER_YAML}

    @pytest.fixture
    def make_butler(self, desdm_sqlite_module: DesdmDatabase, tmp_path: Path) -> Iterator[Callable[..., Butler]]:
        made: list[Butler] = []

        def make(run: str | None = None, collections: Any = None) -> Butler:
            archive, _ = new_archive(desdm_sqlite_module, tmp_path)
            config = {"registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3"},
                      "datastore": dbb_section(desdm_sqlite_module, archive)}
            butler = Butler.create(tmp_path / f"repo{len(made)}", config, run=run, collections=collections)
            made.append(butler)
            return butler

        yield make
        for butler in made:
            butler.close()
