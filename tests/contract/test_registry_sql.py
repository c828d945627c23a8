"""The Registry contract suite against SqlRegistry on a SQLite file and on in-memory SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.collections import CollectionManager
from databutler.domain import Universe
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import standard_universe
from databutler.testing.registry import MakeRegistry, RegistryContract, ReopenRegistry


class TestSqliteFileRegistry(RegistryContract):
    """SqlRegistry on a SQLite file (WAL)."""

    capabilities = frozenset(RegistryCapability)  # every registry capability

    @pytest.fixture
    def make_registry(self, closing: list[Registry], tmp_path: Path, empty_sqlite_file: Path) -> MakeRegistry:
        def make(universe: Universe | None = None) -> Registry:
            path = tmp_path / f"registry{len(closing)}.sqlite3"
            if universe is None:
                shutil.copyfile(empty_sqlite_file, path)
                registry = SqlRegistry.open(f"sqlite:///{path}")
            else:
                registry = SqlRegistry.create(f"sqlite:///{path}", universe)
            closing.append(registry)
            return registry

        return make

    @pytest.fixture
    def populated(self, tmp_path: Path, populated_sqlite_file: Path) -> Iterator[Registry]:
        """The standard data, copied from a file made once per module (the memory variant inserts it)."""
        path = tmp_path / "populated.sqlite3"
        shutil.copyfile(populated_sqlite_file, path)
        with SqlRegistry.open(f"sqlite:///{path}") as registry:
            yield registry

    @pytest.fixture
    def reopen_registry(self, reopen_sql_registry: ReopenRegistry) -> ReopenRegistry:
        return reopen_sql_registry


class TestSqliteMemoryRegistry(RegistryContract):
    """SqlRegistry on a private in-memory SQLite database (not persistent, one writer)."""

    capabilities = frozenset(RegistryCapability) - {RegistryCapability.CONCURRENT_WRITERS,
                                                    RegistryCapability.PERSISTENT}  # private in-memory SQLite

    @pytest.fixture
    def make_registry(self, closing: list[Registry]) -> MakeRegistry:
        def make(universe: Universe | None = None) -> Registry:
            registry = SqlRegistry.create("sqlite://", universe or standard_universe())
            closing.append(registry)
            return registry

        return make


class TestSqliteMemoryRegistrySearchingChainsByTable(TestSqliteMemoryRegistry):
    """As above, with every search of one chain read through ``chain_search`` (long chains only, by default)."""

    @pytest.fixture(autouse=True)
    def every_chain_by_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(CollectionManager, "searched_by_table", {"sqlite": 1, "postgresql": 1})
