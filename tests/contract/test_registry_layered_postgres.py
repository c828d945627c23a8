"""The Registry contract suite against a personal SqlRegistry layered over a release on PostgreSQL.

The release registry is made by the superuser in schema ``dr1``; the personal registry lives in
schema ``personal`` of the same database and connects as an unprivileged role that has USAGE on
``dr1`` and SELECT on its tables, owns ``personal``, and nothing else (beyond PUBLIC's CONNECT
and TEMPORARY on the database). For most tests the release is empty; ``populated`` puts the
standard DataUnit records in the *release*, so tests that use them read records of one layer
while writing datasets, collections and quanta into the other.

Each test gets its own database, copied from template databases made once per module (schema
grants and ownership are copied with them; the role is cluster-wide and made once per module).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from databutler.adapters.sql import Release, SqlRegistry
from databutler.domain import Universe
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import insert_standard_data_units, standard_universe
from databutler.testing.postgres import PostgresRole, PostgresServer
from databutler.testing.registry import MakeRegistry, RegistryContract, ReopenRegistry

RELEASE = "dr1"
PERSONAL = "personal"


@pytest.fixture(scope="module")
def reader(postgres_server: PostgresServer) -> Iterator[PostgresRole]:
    """The unprivileged role the personal registries connect as (dropped after the module's databases)."""
    role = postgres_server.create_role("personal")
    yield role
    postgres_server.drop_role(role)


def layered_database(server: PostgresServer, role: PostgresRole, universe: Universe) -> str:
    """A new database with an empty release on ``universe`` in ``dr1`` and ``role``'s personal registry over it."""
    name = server.create_database()
    SqlRegistry.create(server.url(database=name), universe, namespace=RELEASE).close()
    server.grant_release_reader(name, role, release=RELEASE, personal=PERSONAL)
    SqlRegistry.create(server.url(user=role.name, password=role.password, database=name), universe,
                       namespace=PERSONAL, release=Release(namespace=RELEASE)).close()
    return name


def open_personal(server: PostgresServer, role: PostgresRole, database: str) -> SqlRegistry:
    """``role``'s personal registry in ``database``, over the release it recorded."""
    return SqlRegistry.open(server.url(user=role.name, password=role.password, database=database),
                            namespace=PERSONAL)


@pytest.fixture(scope="module")
def empty_template(postgres_server: PostgresServer, reader: PostgresRole) -> Iterator[str]:
    """A database with an empty release and an empty personal registry over it, on the default universe."""
    name = layered_database(postgres_server, reader, standard_universe())
    yield name
    postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def populated_template(postgres_server: PostgresServer, empty_template: str) -> Iterator[str]:
    """``empty_template`` with the standard data in the release (inserted by the superuser, through the port)."""
    name = postgres_server.create_database(empty_template)
    with SqlRegistry.open(postgres_server.url(database=name), namespace=RELEASE) as release:
        insert_standard_data_units(release)
    yield name
    postgres_server.drop_database(name)


class TestLayeredPostgresRegistry(RegistryContract):
    """A personal registry in schema ``personal`` over a release in schema ``dr1``, as a read-only role."""

    capabilities = frozenset(RegistryCapability)  # every registry capability

    @pytest.fixture
    def make_registry(self, closing: list[Registry], postgres_server: PostgresServer, reader: PostgresRole,
                      empty_template: str) -> Iterator[MakeRegistry]:
        databases: list[str] = []

        def make(universe: Universe | None = None) -> Registry:
            if universe is None:
                databases.append(postgres_server.create_database(empty_template))
            else:
                databases.append(layered_database(postgres_server, reader, universe))
            closing.append(open_personal(postgres_server, reader, databases[-1]))
            return closing[-1]

        yield make
        for registry in closing:  # before their databases go
            registry.close()
        for name in databases:
            postgres_server.drop_database(name)

    @pytest.fixture
    def populated(self, postgres_server: PostgresServer, reader: PostgresRole,
                  populated_template: str) -> Iterator[Registry]:
        """A personal registry whose release holds the standard data."""
        name = postgres_server.create_database(populated_template)
        try:
            with open_personal(postgres_server, reader, name) as registry:
                yield registry
        finally:
            postgres_server.drop_database(name)

    @pytest.fixture
    def reopen_registry(self, reopen_sql_registry: ReopenRegistry) -> ReopenRegistry:
        return reopen_sql_registry
