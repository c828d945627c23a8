"""The Registry contract suite against SqlRegistry on a real, throwaway PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import Universe
from databutler.ports import Registry
from databutler.testing.postgres import PostgresServer
from databutler.testing.registry import MakeRegistry, RegistryContract, ReopenRegistry


class TestPostgresRegistry(RegistryContract):
    """SqlRegistry in a fresh PostgreSQL schema per test (psycopg 3, password over TCP)."""

    @pytest.fixture
    def make_registry(self, postgres_server: PostgresServer, postgres_schema: str) -> Iterator[MakeRegistry]:
        made: list[SqlRegistry] = []

        def make(universe: Universe | None = None) -> Registry:
            # Each registry gets its own schema: the test's, then the test's with a suffix.
            namespace = postgres_schema if not made else f"{postgres_schema}_{len(made)}"
            registry = SqlRegistry.create(postgres_server.url(), universe or default_universe(), namespace=namespace)
            made.append(registry)
            return registry

        yield make
        for registry in made:
            registry.close()
        postgres_server.execute(*(f'DROP SCHEMA IF EXISTS "{r.namespace}" CASCADE' for r in made[1:]))

    @pytest.fixture
    def reopen_registry(self) -> Iterator[ReopenRegistry]:
        opened: list[SqlRegistry] = []

        def reopen(registry: Registry, *, writeable: bool = True) -> Registry:
            assert isinstance(registry, SqlRegistry)
            again = SqlRegistry.open(registry.url, namespace=registry.namespace, writeable=writeable)
            opened.append(again)
            return again

        yield reopen
        for registry in opened:
            registry.close()
