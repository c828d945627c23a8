"""The query contract suite against a personal SQLite registry layered over a read-only release.

The release holds the standard DataUnit records; the scenario's dataset types, collections and
datasets are written into the personal layer. Every query therefore joins DataUnit records read
from the attached release file with datasets, tags and chains of the personal database, and
``select_sql`` reads the union views. The release file must be untouched by all of it.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from databutler.adapters.sql import Release, SqlRegistry
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.data import standard_universe
from databutler.testing.query import QueryContract


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class TestLayeredSqliteQueries(QueryContract):
    """Queries of a personal registry: release DataUnit records joined with personal datasets."""

    capabilities = frozenset(RegistryCapability)  # every registry capability

    @pytest.fixture
    def populated(self, tmp_path: Path, populated_sqlite_file: Path) -> Iterator[Registry]:
        release = tmp_path / "release.sqlite3"
        shutil.copyfile(populated_sqlite_file, release)  # the release: the standard data
        before = _sha256(release)
        personal = tmp_path / "personal.sqlite3"
        with SqlRegistry.create(f"sqlite:///{personal}", standard_universe(),
                                release=Release(url=f"sqlite:///{release}")) as registry:
            # The standard data are read from the release, not copied into the personal layer.
            assert len(registry.fetch_data_unit_records("visit")) == 8
            with closing(sqlite3.connect(personal)) as raw:
                assert raw.execute("SELECT count(*) FROM visit").fetchone() == (0,)
            yield registry
        # Whatever the test wrote went to the personal layer only.
        assert _sha256(release) == before
        wal = release.with_name(release.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
