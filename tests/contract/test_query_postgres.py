"""The query contract suite against SqlRegistry on a throwaway PostgreSQL cluster.

Each test gets a database copied from a template holding the standard data (made once per
module); the registry lives in schema ``butler``. Skipped when no PostgreSQL server binaries
are installed (a failure under CI, see databutler.testing.postgres).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.collections import CollectionManager
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import insert_standard_data_units, standard_universe
from databutler.testing.postgres import PostgresServer
from databutler.testing.query import QueryContract

NAMESPACE = "butler"


@pytest.fixture(scope="module")
def populated_query_template(postgres_server: PostgresServer) -> Iterator[str]:
    """A database holding a registry with the standard data."""
    name = postgres_server.create_database()
    url = postgres_server.url(database=name)
    with SqlRegistry.create(url, standard_universe(), namespace=NAMESPACE) as registry:
        insert_standard_data_units(registry)
    yield name
    postgres_server.drop_database(name)


class TestPostgresQueries(QueryContract):
    """SqlRegistry in PostgreSQL: SQL SELECT in a READ ONLY transaction on its own connection."""

    capabilities = frozenset(RegistryCapability)  # every registry capability

    @pytest.fixture
    def populated(self, postgres_server: PostgresServer, populated_query_template: str) -> Iterator[Registry]:
        name = postgres_server.create_database(populated_query_template)
        try:
            with SqlRegistry.open(postgres_server.url(database=name), namespace=NAMESPACE) as registry:
                yield registry
        finally:
            postgres_server.drop_database(name)


class TestPostgresQueriesSearchingChainsByTable(TestPostgresQueries):
    """As above, with every search of one chain read through ``chain_search`` (long chains only, by default)."""

    @pytest.fixture(autouse=True)
    def every_chain_by_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(CollectionManager, "searched_by_table", {"sqlite": 1, "postgresql": 1})
