"""The Registry contract suite against SqlRegistry on a real, throwaway PostgreSQL cluster.

Each test gets its own database, copied from a template database made once per module (as the
SQLite suite copies a template file): copying is four times faster than creating the schema.
The registry lives in the PostgreSQL schema ``NAMESPACE`` of that database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.collections import CollectionManager
from databutler.domain import Universe
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import insert_standard_data_units, standard_universe
from databutler.testing.postgres import PostgresServer
from databutler.testing.registry import MakeRegistry, RegistryContract, ReopenRegistry

NAMESPACE = "butler"


@pytest.fixture(scope="module")
def empty_template(postgres_server: PostgresServer) -> Iterator[str]:
    """A database holding an empty registry on the default universe."""
    name = postgres_server.create_database()
    SqlRegistry.create(postgres_server.url(database=name), standard_universe(), namespace=NAMESPACE).close()
    yield name
    postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def populated_template(postgres_server: PostgresServer, empty_template: str) -> Iterator[str]:
    """A database holding a registry with the standard data (inserted through the port once)."""
    name = postgres_server.create_database(empty_template)
    with SqlRegistry.open(postgres_server.url(database=name), namespace=NAMESPACE) as registry:
        insert_standard_data_units(registry)
    yield name
    postgres_server.drop_database(name)


class TestPostgresRegistry(RegistryContract):
    """SqlRegistry in PostgreSQL schema ``butler`` of a fresh database per test (psycopg 3, password over TCP)."""

    capabilities = frozenset(RegistryCapability)  # every registry capability

    @pytest.fixture
    def make_registry(self, closing: list[Registry], postgres_server: PostgresServer,
                      empty_template: str) -> Iterator[MakeRegistry]:
        databases: list[str] = []

        def make(universe: Universe | None = None) -> Registry:
            databases.append(postgres_server.create_database(None if universe else empty_template))
            url = postgres_server.url(database=databases[-1])
            registry = (SqlRegistry.create(url, universe, namespace=NAMESPACE) if universe
                        else SqlRegistry.open(url, namespace=NAMESPACE))
            closing.append(registry)
            return registry

        yield make
        for registry in closing:  # before their databases go
            registry.close()
        for name in databases:
            postgres_server.drop_database(name)

    @pytest.fixture
    def populated(self, postgres_server: PostgresServer, populated_template: str) -> Iterator[Registry]:
        """The standard data, copied from a database made once per module."""
        name = postgres_server.create_database(populated_template)
        try:
            with SqlRegistry.open(postgres_server.url(database=name), namespace=NAMESPACE) as registry:
                yield registry
        finally:
            postgres_server.drop_database(name)

    @pytest.fixture
    def reopen_registry(self, reopen_sql_registry: ReopenRegistry) -> ReopenRegistry:
        return reopen_sql_registry


class TestPostgresRegistrySearchingChainsByTable(TestPostgresRegistry):
    """As above, with every search of one chain read through ``chain_search`` (long chains only, by default)."""

    @pytest.fixture(autouse=True)
    def every_chain_by_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(CollectionManager, "searched_by_table", {"sqlite": 1, "postgresql": 1})
