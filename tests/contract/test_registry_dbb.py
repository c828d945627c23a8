"""The Registry contract suite against DbbRegistry: on an empty DESDM catalog in SQLite and in PostgreSQL."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from databutler.adapters.dbb import DbbRegistry, make_registry
from databutler.domain import Universe
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import standard_universe
from databutler.testing.desdm import create_desdm, desdm_engine
from databutler.testing.postgres import PostgresServer
from databutler.testing.query import QueryContract
from databutler.testing.registry import MakeRegistry, RegistryContract, ReopenRegistry

DBB_CAPABILITIES = frozenset(RegistryCapability) - {RegistryCapability.SQL_SELECT, RegistryCapability.LINEAGE,
                                                    RegistryCapability.CALIBRATIONS}
"""Everything but SQL SELECT over documented views (the DESDM tables are the documented schema there) and
CALIBRATION collections (the DESDM catalog has no validity ranges)."""

UNITS = {"CAMSYM": "instrument", "EXPNUM": "exposure", "CCDNUM": "detector", "BAND": "band"}


def empty_catalog(path: Path) -> str:
    """An empty DESDM catalog (tables, archives, no files) in SQLite file ``path``; its URL."""
    url = f"sqlite:///{path}"
    engine = desdm_engine(url)
    try:
        create_desdm(engine)
    finally:
        engine.dispose()
    return url


def options(url: str, **extra: object) -> dict[str, object]:
    """A dbb registry section on ``url``."""
    return {"adapter": "dbb", "url": url, "units": UNITS, **extra}


@pytest.fixture(scope="module")
def dbb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty DESDM catalog with the side tables of the default universe."""
    path = tmp_path_factory.mktemp("dbb") / "desdm.sqlite3"
    make_registry(options(empty_catalog(path)), universe=standard_universe(), create=True, writeable=True).close()
    return path


class TestDbbRegistrySqlite(RegistryContract):
    """DbbRegistry over a DESDM catalog in a SQLite file (copied from a template per test)."""

    capabilities = DBB_CAPABILITIES

    @pytest.fixture
    def make_registry(self, closing: list[Registry], tmp_path: Path, dbb_template: Path) -> MakeRegistry:
        numbers = itertools.count()

        def make(universe: Universe | None = None) -> Registry:
            path = tmp_path / f"desdm{next(numbers)}.sqlite3"
            if universe is None:
                shutil.copyfile(dbb_template, path)
                registry = make_registry(options(f"sqlite:///{path}"), universe=None, create=False, writeable=True)
            else:
                registry = make_registry(options(empty_catalog(path), units={}), universe=universe, create=True,
                                         writeable=True)
            closing.append(registry)
            return registry

        return make

    @pytest.fixture
    def reopen_registry(self, closing: list[Registry]) -> ReopenRegistry:
        def reopen(registry: Registry, *, writeable: bool = True) -> Registry:
            assert isinstance(registry, DbbRegistry)
            units = UNITS if "instrument" in registry.universe else {}
            closing.append(make_registry(options(registry.url, units=units), universe=None, create=False,
                                         writeable=writeable))
            return closing[-1]

        return reopen


class TestDbbQueries(QueryContract):
    """The query contract (``where`` over the DataUnits of the metadata columns) on DbbRegistry in SQLite."""

    capabilities = DBB_CAPABILITIES

    @pytest.fixture
    def make_registry(self, closing: list[Registry], tmp_path: Path, dbb_template: Path) -> MakeRegistry:
        def make() -> Registry:
            path = tmp_path / "desdm.sqlite3"
            shutil.copyfile(dbb_template, path)
            closing.append(make_registry(options(f"sqlite:///{path}"), universe=None, create=False, writeable=True))
            return closing[-1]

        return make


NAMESPACE = "desdm"


def empty_postgres_catalog(server: PostgresServer, database: str) -> str:
    """An empty DESDM catalog in schema ``desdm`` of ``database``; the database's URL."""
    url = server.url(database=database)
    engine = desdm_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.schema.CreateSchema(NAMESPACE))
        create_desdm(engine, NAMESPACE)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def dbb_postgres_template(postgres_server: PostgresServer) -> Iterator[str]:
    """A database holding an empty DESDM catalog with the side tables of the default universe."""
    name = postgres_server.create_database()
    url = empty_postgres_catalog(postgres_server, name)
    make_registry(options(url, namespace=NAMESPACE), universe=standard_universe(), create=True,
                  writeable=True).close()
    yield name
    postgres_server.drop_database(name)


class TestDbbRegistryPostgres(RegistryContract):
    """DbbRegistry over a DESDM catalog in PostgreSQL schema ``desdm`` of a fresh database per test."""

    capabilities = DBB_CAPABILITIES

    @pytest.fixture
    def make_registry(self, closing: list[Registry], postgres_server: PostgresServer,
                      dbb_postgres_template: str) -> Iterator[MakeRegistry]:
        databases: list[str] = []

        def make(universe: Universe | None = None) -> Registry:
            databases.append(postgres_server.create_database(None if universe else dbb_postgres_template))
            if universe is None:
                url = postgres_server.url(database=databases[-1])
                registry = make_registry(options(url, namespace=NAMESPACE), universe=None, create=False,
                                         writeable=True)
            else:
                url = empty_postgres_catalog(postgres_server, databases[-1])
                registry = make_registry(options(url, namespace=NAMESPACE, units={}), universe=universe, create=True,
                                         writeable=True)
            closing.append(registry)
            return registry

        yield make
        for registry in closing:
            registry.close()
        for name in databases:
            postgres_server.drop_database(name)

    @pytest.fixture
    def reopen_registry(self, closing: list[Registry]) -> ReopenRegistry:
        def reopen(registry: Registry, *, writeable: bool = True) -> Registry:
            assert isinstance(registry, DbbRegistry)
            units = UNITS if "instrument" in registry.universe else {}
            closing.append(make_registry(options(registry.url, namespace=NAMESPACE, units=units), universe=None,
                                         create=False, writeable=writeable))
            return closing[-1]

        return reopen


class TestDbbQueriesPostgres(QueryContract):
    """The query contract on DbbRegistry in PostgreSQL."""

    capabilities = DBB_CAPABILITIES

    @pytest.fixture
    def make_registry(self, closing: list[Registry], postgres_server: PostgresServer,
                      dbb_postgres_template: str) -> Iterator[MakeRegistry]:
        databases: list[str] = []

        def make() -> Registry:
            databases.append(postgres_server.create_database(dbb_postgres_template))
            url = postgres_server.url(database=databases[-1])
            closing.append(make_registry(options(url, namespace=NAMESPACE), universe=None, create=False,
                                         writeable=True))
            return closing[-1]

        yield make
        for registry in closing:
            registry.close()
        for name in databases:
            postgres_server.drop_database(name)
