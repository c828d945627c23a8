"""Lineage on the SQL registry is one recursive query, whatever the depth: counted at the driver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetRef, DatasetType, Quantum
from databutler.testing.data import insert_standard_data_units

STEP = DatasetType("step", ("instrument",), "StructuredData")


@contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements every engine runs inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[tuple[SqlRegistry, list[DatasetRef]]]:
    """A chain of 30 datasets, each made by one quantum from the one before, each in its own run."""
    with SqlRegistry.create(f"sqlite:///{tmp_path / 'r.sqlite3'}", default_universe()) as registry:
        insert_standard_data_units(registry)
        registry.register_dataset_type(STEP)
        refs = []
        for n in range(30):
            registry.register_collection(f"run{n}", CollectionKind.RUN)
            refs += registry.insert_datasets("step", f"run{n}", [{"instrument": "Cam1"}])
        registry.insert_quanta([Quantum("step", f"run{n}", None, inputs=[refs[n - 1].id], outputs=[refs[n].id])
                                for n in range(1, 30)])
        yield registry, refs


def test_the_number_of_statements_does_not_grow_with_depth(chain: tuple[SqlRegistry, list[DatasetRef]]) -> None:
    registry, refs = chain
    registry.lineage(refs[-1].id, depth=1)  # warm the caches
    with counted() as shallow:
        short = registry.lineage(refs[-1].id, depth=2)
    with counted() as deep:
        full = registry.lineage(refs[-1].id)
    assert len(short.depths) == 3 and len(full.depths) == 30
    assert full.depths[refs[0].id] == 29
    assert len(deep) == len(shallow), "one recursive query, then batch fetches, at any depth"
    assert sum("RECURSIVE" in s.upper() for s in deep) == 1
    with counted() as down:
        assert len(registry.lineage(refs[0].id, direction="down").quanta) == 29
    assert len(down) == len(deep)
