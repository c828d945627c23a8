"""The Butler contract suite over every bundled registry x datastore pair, each built from butler.yaml.

Every pair is a ``Butler.create(root, config)`` with the sections a user would write, leaving every
other option at its default (the datastores' default checksum included): a column too small for a
default value, or an option one adapter ignores, shows up in the pair that uses it.

Expensive set-up is shared: one PostgreSQL cluster per session, one database per module in which
each repository gets its own schema (creating one took 0.1 s here, less than copying a template
database: 0.07 s idle but 0.75 s on a loaded machine, against 0.4 s); one read-only release per
module for the layered registries (SQLite file, PostgreSQL schema ``dr1``, both holding the
standard DataUnit records, so union views have rows on both sides); one moto S3 server and one
bucket per module, each repository under its own prefix. Passwords are ``${VAR}`` placeholders,
as a user must write them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from databutler import Butler
from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.ports.capabilities import DatastoreCapability, RegistryCapability
from databutler.ports.datastore import TransferMode
from databutler.testing.butler import (
    ButlerContract,
    ButlerDisassemblyContract,
    ButlerPersistenceContract,
    ButlerPutGetContract,
)
from databutler.testing.data import insert_standard_data_units
from databutler.testing.desdm import create_desdm, desdm_engine, desdm_metadata
from databutler.testing.postgres import PostgresRole, PostgresServer
from databutler.testing.requirements import Harness, Need
from databutler.testing.s3 import drop_bucket, new_bucket

WHOLE_FILES = frozenset(DatastoreCapability) - {DatastoreCapability.DISASSEMBLY}
"""Every capability but DISASSEMBLY: what a file datastore not configured to write composites in parts declares."""

PASSWORD_VARIABLES = {"superuser": "DATABUTLER_MATRIX_PGPASSWORD", "reader": "DATABUTLER_MATRIX_READER_PGPASSWORD"}
"""The environment variables butler.yaml reads the PostgreSQL passwords from (never written in the file)."""
RELEASE = "dr1"
"""The PostgreSQL schema of the release the layered PostgreSQL registries are over."""


class Site:
    """What a pair's sections are made from: the test's directory and the module's shared servers."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path) -> None:
        self.request = request
        self.tmp_path = tmp_path
        self.cleanups: list[Callable[[], None]] = []
        self.desdm: tuple[str, str | None, str] | None = None
        """The DESDM catalog a dbb registry section made: (butler.yaml URL, namespace, URL to set it up with)."""

    def fixture(self, name: str) -> Any:
        """A module fixture, started only by the pairs that need it."""
        return self.request.getfixturevalue(name)

    def unique(self, prefix: str) -> str:
        """A fresh name (a schema, an object-store prefix) for one repository."""
        return f"{prefix}_{uuid.uuid4().hex[:12]}"


Section = Callable[[Site], dict[str, Any] | None]
"""Builds one section of butler.yaml for one new repository (None: the default section)."""


def postgres_url(server: PostgresServer, database: str, user: str, password_variable: str) -> str:
    """The URL a user writes: the password is a placeholder read from the environment when the repo opens."""
    return f"postgresql+psycopg://{user}:${{{password_variable}}}@{server.host}:{server.port}/{database}"


def sqlite_file(site: Site) -> dict[str, Any] | None:
    """The default: SQLite in the repository directory."""
    return None


def sqlite_memory(site: Site) -> dict[str, Any] | None:
    """Private in-memory SQLite (ephemeral, as the memory datastore)."""
    return {"adapter": "sql", "url": "sqlite://"}


def postgresql(site: Site) -> dict[str, Any] | None:
    """PostgreSQL, the repository in a schema of its own in the module's database."""
    server, database = site.fixture("postgres_server"), site.fixture("matrix_database")
    site.fixture("postgres_password")
    namespace = site.unique("repo")
    site.cleanups.append(lambda: server.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE', database=database))
    url = postgres_url(server, database, server.user, PASSWORD_VARIABLES["superuser"])
    return {"adapter": "sql", "url": url, "namespace": namespace}


def layered_sqlite(site: Site) -> dict[str, Any] | None:
    """A personal SQLite registry over the module's read-only release file."""
    release: Path = site.fixture("sqlite_release")
    return {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3", "release": {"url": f"sqlite:///{release}"}}


def layered_postgresql(site: Site) -> dict[str, Any] | None:
    """A personal PostgreSQL schema over the release schema, as a role that may only read the release."""
    server, database = site.fixture("postgres_server"), site.fixture("matrix_database")
    role: PostgresRole = site.fixture("release_reader")
    site.fixture("postgres_password")
    personal = site.unique("personal")
    server.grant_release_reader(database, role, release=RELEASE, personal=personal)
    site.cleanups.append(lambda: server.execute(f'DROP SCHEMA IF EXISTS "{personal}" CASCADE', database=database))
    url = postgres_url(server, database, role.name, PASSWORD_VARIABLES["reader"])
    return {"adapter": "sql", "url": url, "namespace": personal, "release": {"namespace": RELEASE}}


DBB_UNITS = {"CAMSYM": "instrument", "EXPNUM": "exposure", "CCDNUM": "detector", "BAND": "band"}
"""The DESDM metadata columns the DBB registries map to DataUnits."""


def empty_desdm_sqlite(site: Site) -> str:
    """An empty DESDM catalog (tables, no rows) in a new SQLite file; its URL."""
    url = f"sqlite:///{site.tmp_path / site.unique('desdm')}.sqlite3"
    engine = desdm_engine(url)
    try:
        create_desdm(engine)
    finally:
        engine.dispose()
    return url


def dbb_sqlite(site: Site) -> dict[str, Any] | None:
    """The Data Backbone registry over an empty DESDM catalog in a SQLite file (made the way production's is)."""
    url = empty_desdm_sqlite(site)
    site.desdm = (url, None, url)
    return {"adapter": "dbb", "url": url, "units": DBB_UNITS}


def dbb_postgresql(site: Site) -> dict[str, Any] | None:
    """The Data Backbone registry over an empty DESDM catalog in a PostgreSQL schema of its own."""
    server, database = site.fixture("postgres_server"), site.fixture("matrix_database")
    site.fixture("postgres_password")
    namespace = site.unique("desdm")
    engine = desdm_engine(server.url(database=database))
    try:
        with engine.begin() as connection:
            connection.execute(sa.schema.CreateSchema(namespace))
        create_desdm(engine, namespace)
    finally:
        engine.dispose()
    site.cleanups.append(lambda: server.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE', database=database))
    url = postgres_url(server, database, server.user, PASSWORD_VARIABLES["superuser"])
    site.desdm = (url, namespace, server.url(database=database))
    return {"adapter": "dbb", "url": url, "namespace": namespace, "units": DBB_UNITS}


def limited(site: Site) -> dict[str, Any] | None:
    """The limited registry: journals in the repository directory."""
    return {"adapter": "limited", "root": "{root}/registry"}


def posix(site: Site) -> dict[str, Any] | None:
    """The default: files under the repository directory."""
    return None


def objectstore(site: Site) -> dict[str, Any] | None:
    """Objects on the moto S3 server (endpoint and credentials from the environment), under a fresh prefix."""
    return {"adapter": "objectstore", "root": f"{site.fixture('matrix_bucket')}/{site.unique('repo')}"}


def cache(site: Site) -> dict[str, Any] | None:
    """A local cache in the repository directory over the objectstore."""
    return {"adapter": "cache", "directory": "{root}/cache", "child": objectstore(site)}


def chained(site: Site) -> dict[str, Any] | None:
    """Arrays to the object store, the rest to local files, and a release's files read-only (as in the README)."""
    release: Path = site.fixture("release_datasets")
    return {"adapter": "chained", "children": [
        {"name": "arrays", "storage_classes": ["NumpyArray", "ArrayWithMetadata"], "datastore": objectstore(site)},
        {"name": "local", "datastore": {"adapter": "posix", "root": "{root}/datasets"}},
        {"name": "release", "read_only": True, "relative_uris": True,
         "datastore": {"adapter": "posix", "root": str(release)}},
    ]}


def dbb_archive(site: Site) -> dict[str, Any] | None:
    """The Data Backbone datastore in a new archive of the dbb registry's catalog (else of an empty SQLite one)."""
    if site.desdm is None:
        url = empty_desdm_sqlite(site)
        site.desdm = (url, None, url)
    url, namespace, setup_url = site.desdm
    name = site.unique("archive")
    root = site.tmp_path / name
    root.mkdir()
    engine = desdm_engine(setup_url)
    try:
        with engine.begin() as connection:
            archives = desdm_metadata(namespace).tables[f"{namespace}.OPS_ARCHIVE" if namespace else "OPS_ARCHIVE"]
            connection.execute(archives.insert().values(NAME=name, SITE="matrix", ROOT=str(root)))
    finally:
        engine.dispose()
    return {"adapter": "dbb", "url": url, "namespace": namespace, "archive": name}


def memory(site: Site) -> dict[str, Any] | None:
    """The in-memory datastore."""
    return {"adapter": "memory"}


REGISTRIES: dict[str, Section] = {
    "sqlite": sqlite_file, "sqlite_memory": sqlite_memory, "postgresql": postgresql,
    "layered_sqlite": layered_sqlite, "layered_postgresql": layered_postgresql, "limited": limited,
    "dbb_sqlite": dbb_sqlite, "dbb_postgresql": dbb_postgresql,
}
DATASTORES: dict[str, Section] = {
    "posix": posix, "objectstore": objectstore, "cache": cache, "chained": chained, "memory": memory,
    "dbb": dbb_archive,
}
PAIRS = [f"{r}+{d}" for r, d in itertools.product(REGISTRIES, DATASTORES)]


# -- what each pair declares (decided at collection; every built pair is checked against it) --------


_SQL = frozenset({RegistryCapability.WRITE, RegistryCapability.PROVENANCE_QUERIES, RegistryCapability.QUERIES,
                  RegistryCapability.SQL_SELECT, RegistryCapability.LINEAGE, RegistryCapability.CALIBRATIONS})
_DURABLE_SQL = _SQL | {RegistryCapability.PERSISTENT, RegistryCapability.CONCURRENT_WRITERS}
_FILES = frozenset({DatastoreCapability.WRITE, DatastoreCapability.REMOVE, DatastoreCapability.INGEST,
                    DatastoreCapability.CHECKSUMS, DatastoreCapability.PARTIAL_READ, DatastoreCapability.PERSISTENT,
                    DatastoreCapability.ARTIFACT_BYTES, DatastoreCapability.LIST})
_OBJECT_MODES = frozenset({TransferMode.COPY, TransferMode.MOVE, TransferMode.DIRECT, TransferMode.AUTO})
REGISTRY_DECLARES: dict[str, frozenset[Need]] = {
    "sqlite": _DURABLE_SQL, "sqlite_memory": _SQL, "postgresql": _DURABLE_SQL, "layered_sqlite": _DURABLE_SQL,
    "layered_postgresql": _DURABLE_SQL, "limited": frozenset({RegistryCapability.WRITE, RegistryCapability.PERSISTENT}),
    "dbb_sqlite": _DURABLE_SQL - {RegistryCapability.SQL_SELECT, RegistryCapability.LINEAGE,
                                  RegistryCapability.CALIBRATIONS},
    "dbb_postgresql": _DURABLE_SQL - {RegistryCapability.SQL_SELECT, RegistryCapability.LINEAGE,
                                      RegistryCapability.CALIBRATIONS},
}
DATASTORE_DECLARES: dict[str, frozenset[Need]] = {
    "posix": _FILES | frozenset(TransferMode), "objectstore": _FILES | _OBJECT_MODES, "cache": _FILES | _OBJECT_MODES,
    "chained": _FILES | _OBJECT_MODES,  # the modes every writeable child honours
    "memory": frozenset({DatastoreCapability.WRITE, DatastoreCapability.REMOVE, DatastoreCapability.LIST}),
    "dbb": WHOLE_FILES | {TransferMode.COPY, TransferMode.MOVE, TransferMode.AUTO},
}


def declared(pair: str) -> frozenset[Need]:
    """What a Butler of ``pair`` created from butler.yaml reports: its registry's and datastore's declarations."""
    registry_name, datastore_name = pair.split("+")
    return REGISTRY_DECLARES[registry_name] | DATASTORE_DECLARES[datastore_name] | {Harness.BUTLER_YAML}


def pair_config(pair: str, site: Site) -> dict[str, Any]:
    """The butler.yaml ``config`` argument of one new repository of ``pair``."""
    registry_name, datastore_name = pair.split("+")
    sections = {"registry": REGISTRIES[registry_name](site), "datastore": DATASTORES[datastore_name](site)}
    return {key: value for key, value in sections.items() if value is not None}


# -- shared set-up ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release_reader(postgres_server: PostgresServer) -> Iterator[PostgresRole]:
    """The unprivileged role of the layered PostgreSQL registries (dropped after the module's database)."""
    role = postgres_server.create_role("personal")
    yield role
    postgres_server.drop_role(role)


@pytest.fixture(scope="module")
def matrix_database(postgres_server: PostgresServer, release_reader: PostgresRole) -> Iterator[str]:
    """The module's database: a release with the standard DataUnit records in ``dr1``, and a schema per repo."""
    name = postgres_server.create_database()
    with SqlRegistry.create(postgres_server.url(database=name), default_universe(), namespace=RELEASE) as release:
        insert_standard_data_units(release)
    yield name
    postgres_server.drop_database(name)


@pytest.fixture
def postgres_password(postgres_server: PostgresServer, release_reader: PostgresRole,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The passwords of the PostgreSQL URLs, in the environment as a deployment gives them."""
    monkeypatch.setenv(PASSWORD_VARIABLES["superuser"], postgres_server.password)
    monkeypatch.setenv(PASSWORD_VARIABLES["reader"], release_reader.password)


@pytest.fixture(scope="module")
def sqlite_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release registry file holding the standard DataUnit records; the layered registries only read it."""
    path = tmp_path_factory.mktemp("release") / "registry.sqlite3"
    with SqlRegistry.create(f"sqlite:///{path}", default_universe()) as release:
        insert_standard_data_units(release)
    return path


@pytest.fixture(scope="module")
def release_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of a release's files, which chained datastores read and never write."""
    return tmp_path_factory.mktemp("release_datasets")


@pytest.fixture(scope="module")
def matrix_bucket() -> Iterator[str]:
    """One bucket on the shared moto server for the module; each repository writes under its own prefix."""
    uri = new_bucket()
    yield uri
    drop_bucket(uri)


# -- the matrix -------------------------------------------------------------------------------------


def butlers(site: Site, config: Callable[[], dict[str, Any]]) -> Iterator[Callable[..., Butler]]:
    """Yield a factory of fresh Butlers, each created from a new ``config()``; close them and clean up after."""
    made: list[Butler] = []

    def make(run: str | None = None, collections: Any = None) -> Butler:
        butler = Butler.create(site.tmp_path / f"repo{len(made)}", config(), run=run, collections=collections)
        made.append(butler)
        return butler

    yield make
    for butler in made:
        butler.close()
    for cleanup in site.cleanups:
        cleanup()


class TestButlerMatrix(ButlerContract):
    """Every registry x datastore pair, configured through butler.yaml only, as a user would."""

    @classmethod
    def declared_needs(cls, params: Mapping[str, Any]) -> frozenset[Need]:
        """What the parametrised pair declares."""
        return declared(params["make_butler"])

    @pytest.fixture(params=PAIRS)
    def make_butler(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Butler]]:
        """A factory of fresh Butlers on the parametrised pair."""
        site = Site(request, tmp_path)
        yield from butlers(site, lambda: pair_config(request.param, site))


class TestButlerOverABoundedCache(ButlerContract):
    """SQLite + a cache holding at most two copies over the objectstore: evictions during every contract test."""

    capabilities = declared("sqlite+cache")

    @pytest.fixture
    def make_butler(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Butler]]:
        """A factory of fresh Butlers whose cache keeps at most two files."""
        site = Site(request, tmp_path)
        yield from butlers(site, lambda: {"datastore": {**(cache(site) or {}), "max_files": 2}})


class TestButlerOverAChainWritingArraysLocally(ButlerContract):
    """SQLite + a chain whose first child (posix) takes only the array dataset types, the objectstore the rest."""

    capabilities = declared("sqlite+chained")

    @pytest.fixture
    def make_butler(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Butler]]:
        """A factory of fresh Butlers whose summaries go to the object store and arrays to local files."""
        site = Site(request, tmp_path)

        def config() -> dict[str, Any]:
            return {"datastore": {"adapter": "chained", "children": [
                {"name": "local", "dataset_types": ["image", "composite"],
                 "datastore": {"adapter": "posix", "root": "{root}/datasets"}},
                {"name": "objects", "datastore": objectstore(site)}]}}

        yield from butlers(site, config)


DISASSEMBLING_PAIRS = [f"{r}+{d}" for r, d in itertools.product(("sqlite", "postgresql", "limited", "dbb_sqlite"),
                                                                  ("posix", "objectstore"))]
"""The registries whose artifact records must hold several parts per dataset, over both file datastores."""


class TestButlerMatrixDisassembling(ButlerPutGetContract, ButlerPersistenceContract, ButlerDisassemblyContract):
    """Pairs whose file datastore writes composites one file per component (``disassemble: true``).

    The groups where parts make a difference (put/get, what the registry records, parts): the full
    ButlerContract passed on these eight pairs too (about 5 minutes), too long to run every time.
    """

    @classmethod
    def declared_needs(cls, params: Mapping[str, Any]) -> frozenset[Need]:
        """What the pair declares, DISASSEMBLY included."""
        return declared(params["make_butler"]) | {DatastoreCapability.DISASSEMBLY}

    @pytest.fixture(params=DISASSEMBLING_PAIRS)
    def make_butler(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Butler]]:
        """A factory of fresh Butlers on the parametrised pair, its datastore disassembling."""
        site = Site(request, tmp_path)

        def config() -> dict[str, Any]:
            registry_name, datastore_name = request.param.split("+")
            datastore = DATASTORES[datastore_name](site) or {"adapter": "posix", "root": "{root}/datasets"}
            sections = {"registry": REGISTRIES[registry_name](site), "datastore": {**datastore, "disassemble": True}}
            return {key: value for key, value in sections.items() if value is not None}

        yield from butlers(site, config)
