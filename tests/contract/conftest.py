"""Registry files made once per module and copied by each test: copying beats creating the schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.testing.data import insert_standard_data_units


@pytest.fixture(scope="module")
def empty_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite registry file on the default universe."""
    path = tmp_path_factory.mktemp("template") / "registry.sqlite3"
    SqlRegistry.create(f"sqlite:///{path}", default_universe()).close()
    return path


@pytest.fixture(scope="module")
def populated_sqlite_file(tmp_path_factory: pytest.TempPathFactory, empty_sqlite_file: Path) -> Path:
    """A SQLite registry file holding the standard data (inserted through the port once)."""
    path = tmp_path_factory.mktemp("template") / "populated.sqlite3"
    shutil.copyfile(empty_sqlite_file, path)
    with SqlRegistry.open(f"sqlite:///{path}") as registry:
        insert_standard_data_units(registry)
    return path
