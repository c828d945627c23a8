"""Kept SELECTs run on the driver's cursor (``adapters/sql/driver.py``) answer as SQLAlchemy's path does.

Same rows and values (bind and result processors applied, id lists written into the text,
parameters the statement carries itself), the same listeners called, driver errors raised as
SQLAlchemy's, and a connection the server dropped recovered by the registry.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from databutler.adapters.sql import SqlRegistry, driver
from databutler.adapters.sql.id_lists import one_of
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetType
from databutler.domain.errors import RegistryError
from databutler.testing.postgres import PostgresServer

ROWS = [{"id": i, "name": "ab"[i % 2], "day": datetime.date(2026, 1, 1 + i), "uid": uuid.UUID(int=i),
         "note": None if i % 3 else f"n{i}", "score": i / 4, "amount": i * 1.25} for i in range(1, 9)]


@pytest.fixture
def probe(sql_database: tuple[str, str | None]) -> Iterator[tuple[sa.Engine, sa.Table]]:
    """The engine a registry made for ``sql_database`` and a table of ROWS beside the registry's."""
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
        engine = registry._session._engine
        table = sa.Table("probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("name", sa.String(8)), sa.Column("day", sa.Date), sa.Column("uid", sa.Uuid),
                         sa.Column("note", sa.String(8), nullable=True), sa.Column("score", sa.Float),
                         sa.Column("amount", sa.Numeric(8, 2)), schema=namespace)
        with engine.begin() as connection:
            table.create(connection)
            connection.execute(table.insert(), ROWS)
        yield engine, table


def statements(table: sa.Table) -> list[tuple[sa.Select[Any], dict[str, Any]]]:
    c = table.c
    return [
        # named parameters, an id list written into the text, a NULL-able column, a date and a UUID
        (sa.select(table).where(one_of(c.id, "ids"), c.name != sa.bindparam("skip")).order_by(c.id),
         {"ids": [1, 2, 3, 5, 8], "skip": "b"}),
        # values the statement carries itself: a literal and an id list
        (sa.select(c.id, c.day).where(c.name == "a", one_of(c.id, "carried", [1, 3, 4, 6])).order_by(c.id), {}),
        # the same column twice, one row
        (sa.select(c.uid, c.id, c.id).where(c.id == sa.bindparam("id")), {"id": 4}),
        # an expanding IN list: SQLAlchemy's path, same answers
        (sa.select(c.id).where(c.name.in_(sa.bindparam("names", expanding=True))).order_by(c.id),
         {"names": ["a"]}),
        # numbers whose conversion SQLAlchemy picks from the type the server reports: its path, same answers
        (sa.select(c.id, c.score, c.amount).where(c.id < sa.bindparam("below")).order_by(c.id), {"below": 4}),
        # no rows
        (sa.select(c.id).where(c.id == sa.bindparam("id")), {"id": 99}),
    ]


def test_the_driver_answers_as_sqlalchemy_does(probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    with engine.connect() as connection:
        for statement, parameters in statements(table):
            expected = [tuple(row) for row in connection.execute(statement, parameters)]
            expected_maps = [dict(row) for row in connection.execute(statement, parameters).mappings()]
            for _ in range(3):  # SQLAlchemy's path the first time, then compiled once and kept
                got = [tuple(row) for row in driver.rows(connection, statement, parameters)]
                assert got == expected
                assert [type(v) for row in got for v in row] == [type(v) for row in expected for v in row]
                assert [dict(m) for m in driver.mappings(connection, statement, parameters)] == expected_maps
    assert expected == []  # the last statement finds nothing
    with engine.connect() as connection:
        first = driver.rows(connection, *statements(table)[0])
    assert [r[0] for r in first] == [2, 8] and first[0][2] == datetime.date(2026, 1, 3)


def test_a_missing_parameter_is_refused_before_the_database_is_asked(probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    statement, _ = statements(table)[0]
    with engine.connect() as connection, pytest.raises(sa.exc.StatementError, match="skip"):
        driver.rows(connection, statement, {"ids": [1]})


def test_a_value_the_column_cannot_take_is_refused_as_sqlalchemy_refuses_it(probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    statement = sa.select(table.c.id).where(table.c.day == sa.bindparam("day"))
    with engine.connect() as connection:
        for _ in range(3):  # SQLAlchemy's path, then the driver's
            with pytest.raises(sa.exc.StatementError):
                driver.rows(connection, statement, {"day": "not a date"})
            connection.rollback()
        assert driver.rows(connection, statement, {"day": datetime.date(2026, 1, 3)}) == [(2,)]


def test_listeners_see_each_statement_the_driver_runs(probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    before: list[tuple[str, bool]] = []
    after: list[tuple[str, bool]] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda _c, _cur, statement, _p, context, _m: before.append((statement, context is None)))
    sa.event.listen(engine, "after_cursor_execute",
                    lambda _c, _cur, statement, _p, context, _m: after.append((statement, context is None)))
    statement, parameters = statements(table)[1]
    with engine.connect() as connection:
        driver.rows(connection, statement, parameters)
        driver.mappings(connection, statement, parameters)
        driver.rows(connection, statement, parameters)
    assert before == after
    # The first run is SQLAlchemy's (with its execution context); the statement is kept and then run on the driver.
    assert [on_driver for _, on_driver in before] == [False, True, True]
    assert all("probe" in text and "1, 3, 4, 6" in text for text, _ in before)  # the id list, written in


def test_a_driver_error_is_sqlalchemys_and_the_connection_goes_on(probe: tuple[sa.Engine, sa.Table]) -> None:
    engine, table = probe
    missing = sa.Table("missing", sa.MetaData(), sa.Column("id", sa.Integer), schema=table.schema)
    statement = sa.select(missing.c.id).where(missing.c.id == sa.bindparam("id"))
    good, parameters = statements(table)[2]
    with engine.connect() as connection:
        with pytest.raises(sa.exc.DBAPIError) as raised:
            driver.rows(connection, statement, {"id": 1})
        assert isinstance(raised.value.orig, connection.dialect.loaded_dbapi.Error)
        assert "missing" in str(raised.value)
        connection.rollback()  # as after any failed statement of SQLAlchemy's
        assert [row[1] for row in driver.rows(connection, good, parameters)] == [4]


def test_a_registry_recovers_when_a_find_meets_a_terminated_connection(postgres_server: PostgresServer,
                                                                       postgres_schema: str) -> None:
    summary = DatasetType("summary", ("instrument", "visit", "detector"), "StructuredData")
    with SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema) as registry:
        registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": 4, "visit_max": 4}])
        registry.insert_data_units("detector", [{"instrument": "Cam", "id": 1}])
        registry.insert_data_units("visit", [{"instrument": "Cam", "id": 1}])
        registry.register_dataset_type(summary)
        registry.register_collection("run", CollectionKind.RUN)
        data_id = {"instrument": "Cam", "visit": 1, "detector": 1}
        (ref,) = registry.insert_datasets("summary", "run", [data_id])
        assert registry.find_datasets("summary", [data_id], ["run"]) == [ref]
        pid = registry._session.connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        postgres_server.execute(f"SELECT pg_terminate_backend({pid})")
        with pytest.raises(RegistryError):
            registry.find_datasets("summary", [data_id], ["run"])
        # The next calls reconnect and answer; nothing was lost.
        assert registry.find_datasets("summary", [data_id], ["run"]) == [ref]
        assert registry.get_datasets([ref.id]) == [ref]
