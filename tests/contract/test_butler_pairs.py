"""The Butler contract suite over every bundled (registry, datastore) pair, each built from config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from databutler import Butler
from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.testing.butler import ButlerContract

PAIRS: dict[str, dict[str, Any]] = {
    "sqlite-file+posix": {},
    "sqlite-memory+posix": {"registry": {"adapter": "sql", "url": "sqlite://"}},
    "sqlite-file+memory": {"datastore": {"adapter": "memory"}},
    "sqlite-memory+memory": {"registry": {"adapter": "sql", "url": "sqlite://"}, "datastore": {"adapter": "memory"}},
}


class TestButlerPairs(ButlerContract):
    """Each pair is configured through butler.yaml only, as a user would."""

    @pytest.fixture(params=sorted(PAIRS))
    def make_butler(self, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
        """A factory of fresh Butlers on the parametrised pair."""
        made: list[Butler] = []

        def make(run: str | None = None, collections: Any = None) -> Butler:
            butler = Butler.create(tmp_path / f"repo{len(made)}", PAIRS[request.param], run=run,
                                   collections=collections)
            made.append(butler)
            return butler

        yield make
        for butler in made:
            butler.close()


class TestLayeredButler(ButlerContract):
    """A personal SQLite registry layered over an (empty) read-only release, with POSIX files, from config."""

    @pytest.fixture
    def make_butler(self, tmp_path: Path) -> Any:
        """A factory of fresh Butlers, each over its own release file."""
        made: list[Butler] = []

        def make(run: str | None = None, collections: Any = None) -> Butler:
            root = tmp_path / f"repo{len(made)}"
            release = tmp_path / f"release{len(made)}.sqlite3"
            SqlRegistry.create(f"sqlite:///{release}", default_universe()).close()
            config = {"registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3",
                                   "release": {"url": f"sqlite:///{release}"}}}
            butler = Butler.create(root, config, run=run, collections=collections)
            made.append(butler)
            return butler

        yield make
        for butler in made:
            butler.close()
