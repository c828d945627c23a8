"""After any failure in begin, a statement, COMMIT or ROLLBACK, the SQL registry is usable for the next call.

The failures are real: SQLite's ``max_page_count`` makes the database full; a deferred constraint
makes COMMIT itself fail (a TEMP trigger on the registry's SQLite connection, a constraint trigger
on PostgreSQL); ``pg_terminate_backend`` kills the registry's server connection between calls.
Each test checks what must still hold afterwards: reads and writes work without reopening,
nothing of the failed batch is visible, and what was stored before is intact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from databutler import Butler
from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetType
from databutler.domain.errors import ConflictingDefinitionError, RegistryError
from databutler.testing.data import insert_standard_data_units
from databutler.testing.postgres import PostgresServer, registry_section

TYPES = [DatasetType(f"calexp{i}", ("instrument", "visit", "detector"), "StructuredData") for i in range(8)]
FIRST = [({"n": 0}, "calexp0", {"instrument": "Cam1", "visit": 1, "detector": 1})]
BATCH = [({"n": v * 10 + d}, t.name, {"instrument": "Cam1", "visit": v, "detector": d})
         for t in TYPES for v in range(2, 5) for d in range(1, 5)]
"""Large enough to need new database pages."""


def raw(butler: Butler) -> sa.Connection:
    """The registry's own connection (a backdoor: fault injection on the connection the registry uses)."""
    registry = butler.registry
    assert isinstance(registry, SqlRegistry)
    return registry._session._connection


def on_registry_connection(butler: Butler, *statements: str) -> None:
    """Run ``statements`` on the registry's own connection and commit them (test set-up only)."""
    connection = raw(butler)
    for statement in statements:
        connection.exec_driver_sql(statement)
    connection.commit()


def stored(butler: Butler) -> dict[tuple[str, int], int]:
    """(type, visit*10+detector) -> the stored object's ``n``, for every dataset in run1 (read through the Butler)."""
    refs = list(butler.registry.query_datasets([t.name for t in TYPES], ["run1"]))
    return {(ref.dataset_type.name, ref.data_id["visit"] * 10 + ref.data_id["detector"]): butler.get(ref)["n"]
            for ref in refs}


def assert_usable_after_failure(butler: Butler) -> None:
    """Only FIRST is stored; reads work; the failed batch goes in now, whole; a conflict is still refused."""
    assert stored(butler) == {("calexp0", 11): 0}
    assert [c.name for c in butler.registry.query_collections()] == ["run1"]
    assert butler.get("calexp0", instrument="Cam1", visit=1, detector=1) == {"n": 0}
    refs = butler.put_many(BATCH)
    assert len(refs) == len(BATCH)
    assert stored(butler) == {("calexp0", 11): 0, **{(name, key): n for n, name, key in (
        (obj["n"], name, data_id["visit"] * 10 + data_id["detector"]) for obj, name, data_id in BATCH)}}
    with pytest.raises(ConflictingDefinitionError):
        butler.put_many(FIRST)
    butler.register_collection("run2", CollectionKind.RUN)
    assert {c.name for c in butler.registry.query_collections()} == {"run1", "run2"}


def prepared(butler: Butler) -> Butler:
    """``butler`` with the standard DataUnits, calexp, run1 and FIRST stored."""
    insert_standard_data_units(butler.registry)
    for dataset_type in TYPES:
        butler.registry.register_dataset_type(dataset_type)
    butler.register_collection("run1", CollectionKind.RUN)
    butler.put_many(FIRST)
    return butler


@pytest.fixture
def sqlite_butler(tmp_path: Path) -> Iterator[Butler]:
    Butler.create(tmp_path / "repo").close()
    with Butler(tmp_path / "repo", run="run1", collections=["run1"]) as butler:
        yield prepared(butler)


@pytest.fixture
def postgres_butler(tmp_path: Path, postgres_server: PostgresServer, postgres_schema: str,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[Butler]:
    registry = registry_section(postgres_server, postgres_schema, monkeypatch)
    Butler.create(tmp_path / "repo", config={"registry": registry}).close()
    with Butler(tmp_path / "repo", run="run1", collections=["run1"]) as butler:
        yield prepared(butler)


# -- SQLite ---------------------------------------------------------------------------------------


def test_sqlite_registry_recovers_after_the_database_was_full(sqlite_butler: Butler) -> None:
    connection = raw(sqlite_butler)
    pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    on_registry_connection(sqlite_butler, f"PRAGMA max_page_count = {pages}")
    with pytest.raises(RegistryError, match="full"):
        sqlite_butler.put_many(BATCH)
    on_registry_connection(sqlite_butler, "PRAGMA max_page_count = 1073741823")  # space freed
    assert_usable_after_failure(sqlite_butler)


def test_sqlite_registry_recovers_after_a_failed_commit(sqlite_butler: Butler) -> None:
    # A deferred foreign key that every inserted dataset violates: COMMIT itself fails, and SQLite
    # keeps the transaction open after it.
    on_registry_connection(
        sqlite_butler,
        "CREATE TEMP TABLE refused_parent (id INTEGER PRIMARY KEY)",
        "CREATE TEMP TABLE refused (parent INTEGER REFERENCES refused_parent (id) DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TEMP TRIGGER refuse_at_commit AFTER INSERT ON main.dataset BEGIN INSERT INTO refused VALUES (1); END")
    with pytest.raises(ConflictingDefinitionError, match="commit"):
        sqlite_butler.put_many(BATCH)
    on_registry_connection(sqlite_butler, "DROP TRIGGER temp.refuse_at_commit")
    assert_usable_after_failure(sqlite_butler)


def test_sqlite_registry_recovers_when_reads_fail_at_commit(sqlite_butler: Butler) -> None:
    # The failure inside a read-only transaction (a deferred violation made by the block) must not stick either.
    registry = sqlite_butler.registry
    assert isinstance(registry, SqlRegistry)
    on_registry_connection(
        sqlite_butler,
        "CREATE TEMP TABLE refused_parent (id INTEGER PRIMARY KEY)",
        "CREATE TEMP TABLE refused (parent INTEGER REFERENCES refused_parent (id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(ConflictingDefinitionError), registry._session.reading() as connection:
        connection.exec_driver_sql("INSERT INTO refused VALUES (1)")
    assert_usable_after_failure(sqlite_butler)


# -- PostgreSQL -----------------------------------------------------------------------------------


def _refuse_at_commit(server: PostgresServer, schema: str) -> Callable[[], None]:
    """Make every dataset insert fail at COMMIT (a deferred constraint trigger); return its removal."""
    server.execute(
        f'CREATE FUNCTION "{schema}".refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS '
        "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$",
        f'CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON "{schema}".dataset '
        f'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "{schema}".refuse_at_commit()')
    return lambda: server.execute(f'DROP TRIGGER refuse_at_commit ON "{schema}".dataset')


def test_postgres_registry_recovers_after_a_failed_commit(postgres_butler: Butler, postgres_server: PostgresServer,
                                                          postgres_schema: str) -> None:
    remove = _refuse_at_commit(postgres_server, postgres_schema)
    with pytest.raises(RegistryError, match="commit"):
        postgres_butler.put_many(BATCH)
    remove()
    assert_usable_after_failure(postgres_butler)


def test_postgres_registry_recovers_after_its_connection_was_terminated(
        postgres_butler: Butler, postgres_server: PostgresServer) -> None:
    pid = raw(postgres_butler).connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
    postgres_server.execute(f"SELECT pg_terminate_backend({pid})")
    # The call that meets the dead connection may fail (with a domain error); the next ones work.
    with pytest.raises(RegistryError):
        postgres_butler.put_many(BATCH)
    assert_usable_after_failure(postgres_butler)


def test_postgres_registry_recovers_when_terminated_inside_a_transaction(
        postgres_butler: Butler, postgres_server: PostgresServer) -> None:
    registry = postgres_butler.registry
    with pytest.raises(RegistryError), registry.transaction():
        registry.register_collection("doomed", CollectionKind.RUN)
        pid = raw(postgres_butler).connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        postgres_server.execute(f"SELECT pg_terminate_backend({pid})")
        registry.register_collection("doomed2", CollectionKind.RUN)
    assert_usable_after_failure(postgres_butler)


# -- a transaction the database ended by itself -----------------------------------------------------------


def test_a_transaction_sqlite_ended_by_itself_refuses_further_writes_and_keeps_nothing() -> None:
    # An interrupted write (sqlite3_interrupt, here from a progress handler on the registry's
    # connection: fault injection) makes SQLite roll back the whole enclosing transaction by itself.
    # Writes the caller makes after catching the error must not run outside any transaction (each
    # committed on its own): they are refused until the transaction block ends, and nothing is kept.
    with SqlRegistry.create("sqlite://", default_universe()) as registry:
        insert_standard_data_units(registry)
        registry.register_dataset_type(TYPES[0])
        registry.register_collection("before", CollectionKind.RUN)
        driver = registry._session.connection.connection.driver_connection
        with pytest.raises(RegistryError, match="rolled back"), registry.transaction():
            registry.register_collection("inside", CollectionKind.RUN)
            driver.set_progress_handler(lambda: 1, 1000)  # interrupt the next long statement
            with pytest.raises(RegistryError, match="interrupted"):
                registry.insert_datasets("calexp0", "inside", [{"instrument": "Cam1", "visit": v, "detector": d}
                                                              for v in range(1, 5) for d in range(1, 5)])
            driver.set_progress_handler(None, 0)
            assert not driver.in_transaction  # SQLite ended the transaction
            registry.register_collection("after_the_error", CollectionKind.RUN)
        assert [c.name for c in registry.query_collections()] == ["before"]
        registry.register_collection("later", CollectionKind.RUN)  # usable again
        assert {c.name for c in registry.query_collections()} == {"before", "later"}
