"""Single writes inside transactions: each undoes only itself, however savepoints nest (SQLite and PostgreSQL).

On PostgreSQL the savepoint of a single write is sent with the write and released with the next
one (``adapters/sql/savepoints.py``); SQLAlchemy's savepoints of enclosing blocks interleave with
those. What must hold after each sequence: exactly the writes of the blocks that succeeded are
stored, and the registry goes on working.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetType
from databutler.domain.errors import ConflictingDefinitionError

SUMMARY = DatasetType("summary", ("instrument", "visit", "detector"), "StructuredData")


@pytest.fixture
def registry(sql_database: tuple[str, str | None]) -> Iterator[SqlRegistry]:
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as made:
        made.insert_data_units("instrument", [{"name": "Cam", "detector_max": 50, "visit_max": 10}])
        made.insert_data_units("detector", [{"instrument": "Cam", "id": d} for d in range(50)])
        made.insert_data_units("visit", [{"instrument": "Cam", "id": 1}])
        made.register_dataset_type(SUMMARY)
        made.register_collection("run", CollectionKind.RUN)
        yield made


def one(registry: SqlRegistry, detector: int) -> None:
    registry.insert_datasets("summary", "run", [data_id(detector)])


def data_id(detector: int) -> dict[str, Any]:
    return {"instrument": "Cam", "visit": 1, "detector": detector}


def stored(registry: SqlRegistry) -> list[int]:
    return sorted(ref.data_id["detector"] for ref in registry.datasets_in_collection("run", "summary"))


def test_a_refused_single_write_undoes_only_itself(registry: SqlRegistry) -> None:
    one(registry, 0)
    with registry.transaction():
        one(registry, 1)
        with pytest.raises(ConflictingDefinitionError, match="already exists"):
            one(registry, 0)
        one(registry, 2)
        with pytest.raises(ConflictingDefinitionError):
            one(registry, 2)
        with pytest.raises(ConflictingDefinitionError):
            one(registry, 1)
        one(registry, 3)
    assert stored(registry) == [0, 1, 2, 3]


def test_a_failed_block_around_single_writes_undoes_them_and_keeps_those_before(registry: SqlRegistry) -> None:
    with registry.transaction():
        one(registry, 1)  # its release waits for the next write
        with pytest.raises(RuntimeError), registry.transaction():
            one(registry, 2)
            one(registry, 3)
            raise RuntimeError("undo the block")
        one(registry, 4)
        with registry.transaction():
            one(registry, 5)
        one(registry, 6)
    assert stored(registry) == [1, 4, 5, 6]


def test_single_writes_in_blocks_that_end_well_are_kept_and_a_failed_outer_one_undoes_all(
        registry: SqlRegistry) -> None:
    with registry.transaction():
        with registry.transaction():
            one(registry, 1)
        with registry.transaction():
            one(registry, 2)
            with registry.transaction():
                one(registry, 3)
            one(registry, 4)
    assert stored(registry) == [1, 2, 3, 4]
    with pytest.raises(RuntimeError), registry.transaction():
        one(registry, 5)
        with registry.transaction():
            one(registry, 6)
        one(registry, 7)
        raise RuntimeError("undo all")
    assert stored(registry) == [1, 2, 3, 4]
    one(registry, 8)
    assert stored(registry) == [1, 2, 3, 4, 8]


def test_a_refused_single_write_in_a_nested_block_leaves_the_block_usable(registry: SqlRegistry) -> None:
    with registry.transaction():
        one(registry, 1)
        with registry.transaction():
            one(registry, 2)
            with pytest.raises(ConflictingDefinitionError):
                one(registry, 1)
            one(registry, 3)
        one(registry, 4)
    assert stored(registry) == [1, 2, 3, 4]


def test_many_single_writes_in_one_transaction(registry: SqlRegistry) -> None:
    """Hundreds of writes, each with its savepoint: none is left to the end (PostgreSQL slows past 64 open)."""
    with registry.transaction():
        for detector in range(50):
            one(registry, detector)
            if detector % 7 == 3:
                with pytest.raises(ConflictingDefinitionError):
                    one(registry, detector)
    assert stored(registry) == list(range(50))


def test_on_postgresql_a_single_write_in_a_transaction_sends_its_savepoint_with_it(registry: SqlRegistry) -> None:
    if registry._session._engine.dialect.name != "postgresql":
        pytest.skip("SQLite undoes a failed statement by itself: no savepoint")
    sent: list[str] = []
    sa.event.listen(registry._session._engine, "before_cursor_execute",
                    lambda _c, _cur, statement, *_: sent.append(statement))
    with registry.transaction():
        one(registry, 1)
        one(registry, 2)
    assert [s.split()[0] for s in sent] == ["INSERT", "INSERT"], "no savepoint statement of its own"
    driver: Any = registry._session.connection.connection.driver_connection
    assert driver.info.transaction_status.name == "IDLE"
    assert stored(registry) == [1, 2]
