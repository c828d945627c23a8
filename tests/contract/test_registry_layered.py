"""The Registry contract suite against a personal SqlRegistry layered over a read-only SQLite release.

The release file is ATTACHed read-only. For most tests it is an empty registry; ``populated``
puts the standard DataUnit records in the *release*, so every test that uses them reads records
of one layer while writing datasets, collections and quanta into the other.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler.adapters.sql import Release, SqlRegistry
from databutler.domain import Universe
from databutler.domain.errors import ReleaseWriteError
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import standard_universe
from databutler.testing.registry import MakeRegistry, RegistryContract, ReopenRegistry


def personal_over(directory: Path, release: Path, universe: Universe | None = None) -> SqlRegistry:
    """A new personal registry in ``directory`` over a copy of the release file ``release``."""
    copy = directory / "release.sqlite3"
    if universe is None:
        shutil.copyfile(release, copy)
    else:
        SqlRegistry.create(f"sqlite:///{copy}", universe).close()
    return SqlRegistry.create(f"sqlite:///{directory / 'personal.sqlite3'}", universe or standard_universe(),
                              release=Release(url=f"sqlite:///{copy}"))


class TestLayeredSqliteRegistry(RegistryContract):
    """A personal SQLite registry over a release SQLite file attached read-only."""

    capabilities = frozenset(RegistryCapability)  # every registry capability

    @pytest.fixture
    def make_registry(self, closing: list[Registry], tmp_path: Path, empty_sqlite_file: Path) -> MakeRegistry:
        def make(universe: Universe | None = None) -> Registry:
            directory = tmp_path / f"layered{len(closing)}"
            directory.mkdir()
            closing.append(personal_over(directory, empty_sqlite_file, universe))
            return closing[-1]

        return make

    @pytest.fixture
    def populated(self, tmp_path: Path, populated_sqlite_file: Path) -> Iterator[Registry]:
        """A personal registry whose release holds the standard data."""
        with personal_over(tmp_path, populated_sqlite_file) as registry:
            yield registry

    @pytest.fixture
    def reopen_registry(self, reopen_sql_registry: ReopenRegistry) -> ReopenRegistry:
        return reopen_sql_registry

    def test_updating_a_release_record_is_refused_and_changes_nothing(self, populated: Registry) -> None:
        before = populated.fetch_data_unit_records("instrument")
        with pytest.raises(ReleaseWriteError, match=r"update instrument records: instrument record \{'name': 'Cam1'\}"):
            populated.update_data_units("instrument", [{"name": "Cam1", "detector_max": 4}])
        assert populated.fetch_data_unit_records("instrument") == before
        populated.insert_data_units("instrument", [{"name": "Mine"}])
        assert populated.update_data_units("instrument", [{"name": "Mine", "detector_max": 4}]) == 1, \
            "the personal layer's own records may be updated"
