"""The Butler contract suite over every bundled (registry, datastore) pair, each built from config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from databutler import Butler
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
