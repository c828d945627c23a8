"""The pytest plugin (entry point ``pytest11``) that third-party adapter test suites get on install."""

from __future__ import annotations

import pytest

from ..config.universe import default_universe
from ..domain.universe import Universe
from .desdm import desdm_postgres, desdm_sqlite  # noqa: F401 - DESDM catalog fixtures for DBB adapters
from .postgres import postgres_schema, postgres_server, sql_database  # noqa: F401 - fixtures offered to every suite
from .requirements import MARKERS, decide_at_collection


@pytest.fixture
def databutler_universe() -> Universe:
    """The default DataUnit universe shipped with databutler."""
    return default_universe()


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the contract suites use."""
    config.addinivalue_line("markers", "contract: a databutler contract-suite test")
    for description in MARKERS.values():
        config.addinivalue_line("markers", description)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip, before anything is built, the contract tests whose ``requires``/``refuses`` marks are not met."""
    decide_at_collection(items)
