"""PostgreSQL's kept reads outside a transaction, sent on libpq (``adapters/sql/libpq_reads.py``),
answer as psycopg's cursor does.

They are prepared after the connection's ``prepare_threshold`` runs and no more than
``prepared_max`` are kept; a connection configured to prepare nothing (as behind a
transaction-pooling PgBouncer) prepares nothing; a prepared statement the server dropped (psycopg
itself deallocates all after a rollback) or a migration outdated is prepared again and the read
still answers; inside a transaction psycopg's cursor runs the read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from psycopg.adapt import PyFormat

from databutler.adapters.sql import SqlRegistry, driver
from databutler.adapters.sql.libpq_reads import converted
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.testing.postgres import PostgresServer

ROWS = [{"id": i, "name": "ab"[i % 2] * (1 + i % 3), "uid": uuid.UUID(int=i)} for i in range(1, 10)]


@pytest.fixture
def probe(postgres_server: PostgresServer, postgres_schema: str) -> Iterator[tuple[sa.Engine, sa.Table]]:
    """The engine a registry made on PostgreSQL and a table of ROWS beside the registry's."""
    with SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema) as registry:
        engine = registry._session._engine
        table = sa.Table("probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("name", sa.String(8)), sa.Column("uid", sa.Uuid), schema=postgres_schema)
        with engine.begin() as connection:
            table.create(connection)
            connection.execute(table.insert(), ROWS)
        yield engine, table


def ours(connection: sa.Connection) -> list[str]:
    """The names of the statements this module prepared on ``connection``'s server session."""
    rows = connection.exec_driver_sql("SELECT name FROM pg_prepared_statements WHERE name LIKE '\\_databutler\\_%%'")
    names = sorted(row[0] for row in rows)
    connection.commit()
    return names


def run(connection: sa.Connection, statement: sa.Select[Any], parameters: dict[str, Any], times: int) -> list[Any]:
    """The rows of the last of ``times`` runs outside a transaction, each checked against SQLAlchemy's answer."""
    expected = [tuple(row) for row in connection.execute(statement, parameters)]
    assert [tuple(row) for row in driver.rows(connection, statement, parameters)] == expected  # SQLAlchemy's path
    connection.commit()  # it began a transaction
    got: list[Any] = []
    for _ in range(times):
        got = [tuple(row) for row in driver.rows(connection, statement, parameters)]
        assert got == expected
    return got


def test_a_read_is_prepared_after_the_connections_threshold_and_answers_the_same(
        probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    c = table.c
    # A modulo (written %% in psycopg's style), a bound string and a UUID result.
    statement = sa.select(c.id, c.uid).where(c.id % 3 == sa.bindparam("rest"), c.name != sa.bindparam("not"))
    with engine.connect() as connection:
        threshold = connection.connection.dbapi_connection.prepare_threshold  # type: ignore[union-attr]
        assert threshold is not None
        run(connection, statement, {"rest": 1, "not": "a"}, threshold)
        assert ours(connection) == []  # SQLAlchemy's first run, then threshold - 1 unprepared
        got = run(connection, statement, {"rest": 1, "not": "a"}, 2)
        assert ours(connection) == ["_databutler_0"]
        assert got == [(r["id"], r["uid"]) for r in ROWS if r["id"] % 3 == 1 and r["name"] != "a"]
        # Other values, the same prepared statement.
        assert run(connection, statement, {"rest": 2, "not": "bb"}, 3)
        assert ours(connection) == ["_databutler_0"]


def test_no_more_than_prepared_max_statements_are_kept(probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    with engine.connect() as connection:
        psycopg_connection: Any = connection.connection.dbapi_connection
        psycopg_connection.prepare_threshold, psycopg_connection.prepared_max = 0, 2
        for bound in range(1, 5):  # four texts, each prepared when first sent on libpq
            run(connection, sa.select(table.c.id).where(table.c.id < sa.literal_column(str(bound))), {}, 3)
        assert ours(connection) == ["_databutler_2", "_databutler_3"]  # the two least recently used went


def test_a_connection_that_prepares_nothing_gets_nothing_prepared(postgres_server: PostgresServer,
                                                                  postgres_schema: str) -> None:
    url = postgres_server.url()
    with SqlRegistry.create(url, default_universe(), namespace=postgres_schema) as registry:
        registry.register_collection("run", CollectionKind.RUN)
    engine = sa.create_engine(url, connect_args={"prepare_threshold": None})
    table = sa.Table("collection", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("name", sa.String),
                     schema=postgres_schema)
    statement = sa.select(table.c.name).where(table.c.name == sa.bindparam("name"))
    try:
        with engine.connect() as connection:
            assert run(connection, statement, {"name": "run"}, 10) == [("run",)]
            assert ours(connection) == []
            assert connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar() == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("forget", ["DEALLOCATE ALL", "DISCARD ALL"])
def test_a_read_whose_prepared_statement_the_server_dropped_still_answers(probe: tuple[sa.Engine, sa.Table],
                                                                         forget: str) -> None:
    engine, table = probe
    statement = sa.select(table.c.id).where(table.c.name == sa.bindparam("name"))
    with engine.connect() as connection:
        connection.connection.dbapi_connection.prepare_threshold = 0  # type: ignore[union-attr]
        run(connection, statement, {"name": "bb"}, 2)
        assert ours(connection) == ["_databutler_0"]
        connection.connection.dbapi_connection.execute(forget)  # type: ignore[union-attr]  # outside a transaction
        assert ours(connection) == []
        assert run(connection, statement, {"name": "bb"}, 1) == [(r["id"],) for r in ROWS if r["name"] == "bb"]
        assert ours(connection) == ["_databutler_1"]  # sent again unprepared, then prepared anew


def test_a_read_whose_columns_a_migration_changed_still_answers(probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    statement = sa.select(table.c.name).where(table.c.id == sa.bindparam("id"))
    with engine.connect() as connection:
        connection.connection.dbapi_connection.prepare_threshold = 0  # type: ignore[union-attr]
        run(connection, statement, {"id": 4}, 2)
        assert ours(connection) == ["_databutler_0"]
        with engine.connect() as migrating:  # another session: this one's prepared statements stay on the server
            migrating.exec_driver_sql(f'ALTER TABLE "{table.schema}".probe ALTER COLUMN name TYPE varchar(40)')
            migrating.commit()
        assert [tuple(row) for row in driver.rows(connection, statement, {"id": 4})] == [("aa",)]
        assert ours(connection) == ["_databutler_1"]  # the outdated statement was deallocated, not left behind
        assert [tuple(row) for row in driver.rows(connection, statement, {"id": 4})] == [("aa",)]


def test_psycopg_style_text_becomes_libpq_style() -> None:
    assert converted("SELECT %(a)s, %(b)s %% %(a)s", "utf-8") == (b"SELECT $1, $2 % $1", ("a", "b"),
                                                                   [PyFormat.AUTO] * 2)
    assert converted("SELECT '%'", "utf-8") is None  # not psycopg's named style: its cursor runs it


def test_psycopgs_deallocation_after_a_rollback_leaves_reads_inside_and_outside_transactions_answering(
        probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    kept = sa.select(table.c.id).where(table.c.name == sa.bindparam("name"))
    other = sa.select(table.c.uid).where(table.c.id == sa.bindparam("id"))
    expected = [(r["id"],) for r in ROWS if r["name"] == "aa"]
    with engine.connect() as connection:
        connection.connection.dbapi_connection.prepare_threshold = 0  # type: ignore[union-attr]
        run(connection, kept, {"name": "aa"}, 2)
        assert ours(connection) == ["_databutler_0"]
        with connection.begin():  # inside a transaction: psycopg's cursor, which prepares its own
            for _ in range(3):
                assert driver.rows(connection, kept, {"name": "aa"}) == expected
                driver.rows(connection, other, {"id": 1})
            assert ours(connection) == ["_databutler_0"]
        connection.begin()
        driver.rows(connection, other, {"id": 2})
        connection.rollback()  # psycopg deallocates every prepared statement, this module's too
        assert ours(connection) == []
        with connection.begin():
            assert driver.rows(connection, kept, {"name": "aa"}) == expected
        assert driver.rows(connection, kept, {"name": "aa"}) == expected  # outside: sent again
        assert driver.rows(connection, kept, {"name": "aa"}) == expected
        assert ours(connection) == ["_databutler_1"]
