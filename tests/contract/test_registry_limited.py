"""The Registry contract suite against the limited registry, journals in a local directory.

(Object-store-like URLs, memory://, are covered by tests/unit/test_limited_registry.py: the suite
costs the same on every filesystem, as its time goes to the working registry.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler.adapters.nosql import LimitedRegistry
from databutler.adapters.sql import SqlRegistry
from databutler.domain import Universe
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import insert_standard_data_units, standard_universe
from databutler.testing.registry import MakeRegistry, RegistryContract, ReopenRegistry


def in_memory_sqlite(universe: Universe) -> Registry:
    """The working registry: the SQL adapter on private in-memory SQLite (what the container uses)."""
    return SqlRegistry.create("sqlite://", universe)


class LimitedFixtures:
    """make_registry / reopen_registry for a LimitedRegistry under the URL ``base``."""

    @pytest.fixture
    def base(self, tmp_path: Path) -> str:
        return str(tmp_path)

    @pytest.fixture
    def make_registry(self, base: str) -> Iterator[MakeRegistry]:
        made: list[LimitedRegistry] = []

        def make(universe: Universe | None = None) -> Registry:
            registry = LimitedRegistry.create(f"{base}/registry{len(made)}", universe or standard_universe(),
                                              in_memory_sqlite)
            made.append(registry)
            return registry

        yield make
        for registry in made:
            registry.close()

    @pytest.fixture
    def populated(self, registry: Registry) -> Registry:
        """The standard data, written as one journal record (one fsync rather than one per element)."""
        with registry.transaction():
            insert_standard_data_units(registry)
        return registry

    @pytest.fixture
    def reopen_registry(self) -> Iterator[ReopenRegistry]:
        opened: list[LimitedRegistry] = []

        def reopen(registry: Registry, *, writeable: bool = True) -> Registry:
            assert isinstance(registry, LimitedRegistry)
            again = LimitedRegistry.open(registry.url, in_memory_sqlite, writeable=writeable)
            opened.append(again)
            return again

        yield reopen
        for registry in opened:
            registry.close()


class TestLimitedRegistryOnLocalFiles(LimitedFixtures, RegistryContract):
    """Journals in a local directory (appended and fsynced)."""

    capabilities = frozenset({RegistryCapability.PERSISTENT, RegistryCapability.WRITE})
