"""Shared fixtures of the registry contract tests.

Registry files are made once per module and copied by each test (copying beats creating the
schema); registries a test opens go in ``closing`` and are closed at its teardown.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.ports import Registry
from databutler.testing.data import insert_standard_data_units, standard_universe
from databutler.testing.registry import ReopenRegistry


@pytest.fixture(scope="module")
def empty_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite registry file on the default universe."""
    path = tmp_path_factory.mktemp("template") / "registry.sqlite3"
    SqlRegistry.create(f"sqlite:///{path}", standard_universe()).close()
    return path


@pytest.fixture(scope="module")
def populated_sqlite_file(tmp_path_factory: pytest.TempPathFactory, empty_sqlite_file: Path) -> Path:
    """A SQLite registry file holding the standard data (inserted through the port once)."""
    path = tmp_path_factory.mktemp("template") / "populated.sqlite3"
    shutil.copyfile(empty_sqlite_file, path)
    with SqlRegistry.open(f"sqlite:///{path}") as registry:
        insert_standard_data_units(registry)
    return path


@pytest.fixture
def closing() -> Iterator[list[Registry]]:
    """A list a test's fixtures put the registries they open in; each is closed at teardown."""
    opened: list[Registry] = []
    yield opened
    for registry in opened:
        registry.close()


@pytest.fixture
def reopen_sql_registry(closing: list[Registry]) -> ReopenRegistry:
    """Opens another SqlRegistry on a registry's database (a personal one over its recorded release)."""

    def reopen(registry: Registry, *, writeable: bool = True) -> Registry:
        assert isinstance(registry, SqlRegistry)
        closing.append(SqlRegistry.open(registry.url, namespace=registry.namespace, writeable=writeable))
        return closing[-1]

    return reopen
