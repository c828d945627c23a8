"""The query contract suite against SqlRegistry on a SQLite file and on in-memory SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.collections import CollectionManager
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import standard_universe
from databutler.testing.query import QueryContract
from databutler.testing.registry import MakeRegistry


class TestSqliteFileQueries(QueryContract):
    """SqlRegistry on a SQLite file: SQL SELECT on a separate mode=ro connection."""

    capabilities = frozenset(RegistryCapability)  # every registry capability

    @pytest.fixture
    def populated(self, tmp_path: Path, populated_sqlite_file: Path) -> Iterator[Registry]:
        path = tmp_path / "registry.sqlite3"
        shutil.copyfile(populated_sqlite_file, path)
        with SqlRegistry.open(f"sqlite:///{path}") as registry:
            yield registry


class TestSqliteMemoryQueries(QueryContract):
    """SqlRegistry in memory: SQL SELECT with PRAGMA query_only on the one connection."""

    capabilities = frozenset(RegistryCapability) - {RegistryCapability.CONCURRENT_WRITERS,
                                                    RegistryCapability.PERSISTENT}  # private in-memory SQLite

    @pytest.fixture
    def make_registry(self) -> Iterator[MakeRegistry]:
        made: list[SqlRegistry] = []

        def make() -> Registry:
            made.append(SqlRegistry.create("sqlite://", standard_universe()))
            return made[-1]

        yield make
        for registry in made:
            registry.close()


class TestSqliteMemoryQueriesSearchingChainsByTable(TestSqliteMemoryQueries):
    """As above, with every search of one chain read through ``chain_search`` (long chains only, by default)."""

    @pytest.fixture(autouse=True)
    def every_chain_by_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(CollectionManager, "searched_by_table", {"sqlite": 1, "postgresql": 1})
