"""Hostile where expressions, bind values and SQL never escape as driver errors and never write.

Random and adversarial input goes through the whole path (parse, bind, resolve, compile, run
on SQLite); the only exceptions allowed out are databutler's own (QueryError and the other
domain errors). Afterwards the schema (``sqlite_master``) and every table's row count are
what they were before.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain.collection import CollectionKind
from databutler.domain.errors import DataButlerError
from databutler.testing.data import insert_standard_data_units
from databutler.testing.registry import CALEXP

INT64 = 2**63
FIELDS = ["visit", "detector", "instrument", "exposure", "tract", "patch", "band", "physical_filter",
          "visit.exposure_time", "visit.name", "detector.purpose", "visit.timespan", "visit.region", "day_obs",
          "visit_detector_region.region", "skymap", "vist", "visit.nope", "visit.id", "patch.cell_x"]
OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "OVERLAPS", "IS NULL", "IS NOT NULL"]
HOSTILE_STRINGS = ["'", "''", "';--", "'; DROP TABLE dataset; --", "\" OR 1=1 --", "/* */", "\\", "%", "_",
                   "é", "\u202e", "\ud800", "\udcff\x00", "x" * 300, "Cam1", "SCIENCE", "r", "NULL", ":v"]
SCALAR_LITERALS = st.one_of(
    st.integers(-INT64, INT64 - 1).map(str),
    st.sampled_from(["9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e308", "1e999",
                     "-0.0", "1.5", "TRUE", "FALSE", "T'2024-01-01T22:01:00'", "T'9999-12-31'", "T'0001-01-01'",
                     ":v", "1", "2", "'Cam1'"]),
    st.sampled_from(HOSTILE_STRINGS).map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.text(max_size=12).map(lambda s: "'" + s.replace("'", "''") + "'"),
)
RANGES = st.tuples(st.integers(-INT64, INT64 - 1), st.integers(-INT64, INT64 - 1), st.integers(1, INT64 - 1)).map(
    lambda t: f"{t[0]}..{t[1]}:{t[2]}")
IN_ITEMS = st.lists(st.one_of(SCALAR_LITERALS, RANGES, st.just(":list")), min_size=1, max_size=4).map(
    lambda items: "(" + ", ".join(items) + ")")
TIMESPANS = st.sampled_from(["(T'2024-01-01', NULL)", "(NULL, NULL)", "(NULL, T'2024-01-02T00:00:00')", ":v",
                             "T'2024-01-01T22:01:10'", "visit.timespan", "(T'2024-01-02', T'2024-01-01')"])


@st.composite
def predicates(draw: st.DrawFn) -> str:
    """One predicate, usually well-formed, with an adversarial value."""
    field, operator = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(OPERATORS))
    if operator.startswith("IS"):
        return f"{field} {operator}"
    if "IN" in operator:
        return f"{field} {operator} {draw(IN_ITEMS)}"
    if operator == "OVERLAPS":
        return f"{field} OVERLAPS {draw(TIMESPANS)}"
    return f"{field} {operator} {draw(SCALAR_LITERALS)}"


@st.composite
def expressions(draw: st.DrawFn) -> str:
    """Predicates combined with AND/OR/NOT, sometimes nested very deep, sometimes mangled."""
    parts = draw(st.lists(predicates(), min_size=1, max_size=4))
    text = draw(st.sampled_from([" AND ", " OR ", " AND NOT "])).join(parts)
    depth = draw(st.sampled_from([0, 0, 0, 1, 3, 60, 70, 500]))
    text = "(" * depth + text + ")" * depth
    mangle = draw(st.sampled_from([""] * 8 + [";", "; DELETE FROM dataset", " -- ", "/*", "\x00", "'", "))"]))
    return text + mangle


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=20), st.binary(max_size=8),
    st.datetimes(), st.sampled_from(HOSTILE_STRINGS), st.just(object()),
    st.just(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
)
BINDS = st.dictionaries(st.sampled_from(["v", "list"]),
                        st.one_of(SCALARS, st.lists(SCALARS, max_size=4)), max_size=2)
DATA_IDS = st.one_of(st.none(), st.just({"instrument": "Cam1"}), st.just({"instrument": "Cam2", "skymap": "SkyMap1"}),
                     st.dictionaries(st.sampled_from(["instrument", "visit", "bogus"]), SCALARS, max_size=2),
                     st.fixed_dictionaries({"instrument": st.just("Cam1"), "visit": SCALARS}))
ORDERS = st.lists(st.sampled_from(["visit", "-visit", "detector", "-visit.exposure_time", "visit; --", "-", "'x'"]),
                  max_size=2)


def snapshot(path: Path) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    """The schema and every table's row count, read with a plain sqlite3 connection."""
    connection = sqlite3.connect(path)
    try:
        schema = sorted(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
        counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                  for (kind, name, _, _) in schema if kind == "table"}
    finally:
        connection.close()
    return schema, counts


@pytest.fixture(scope="module")
def hostile_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqlRegistry, Path]]:
    """A registry file with the standard data and a few calexps."""
    path = tmp_path_factory.mktemp("hostile") / "registry.sqlite3"
    registry = SqlRegistry.create(f"sqlite:///{path}", default_universe())
    insert_standard_data_units(registry)
    registry.register_dataset_type(CALEXP)
    registry.register_collection("run1", CollectionKind.RUN)
    registry.insert_datasets("calexp", "run1", [{"instrument": "Cam1", "visit": v, "detector": d}
                                                for v in (1, 2, 3, 4) for d in (1, 2)])
    yield registry, path
    registry.close()


def run_query(registry: SqlRegistry, kind: int, where: str, *, bind: Any, data_id: Any, order: list[str]) -> None:
    """One query of each kind, fully consumed; only databutler errors may escape."""
    try:
        if kind == 0:
            results: Any = registry.query_datasets("calexp", ["run1"], where=where, bind=bind, data_id=data_id)
        elif kind == 1:
            results = registry.query_data_ids(("visit", "patch"), where=where, bind=bind, data_id=data_id)
        else:
            results = registry.query_data_unit_records("visit", where=where, bind=bind, data_id=data_id)
        if order:
            results = results.order_by(*order)
        list(results)
        results.count()
    except DataButlerError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(where=st.one_of(expressions(), st.text(max_size=40)), bind=st.one_of(st.none(), BINDS), data_id=DATA_IDS,
       order=ORDERS, kind=st.integers(0, 2))
def test_hostile_queries_raise_only_domain_errors_and_write_nothing(
        hostile_registry: tuple[SqlRegistry, Path], *, where: str, bind: Any, data_id: Any, order: list[str],
        kind: int) -> None:
    registry, path = hostile_registry
    before = snapshot(path)
    run_query(registry, kind, where, bind=bind, data_id=data_id, order=order)
    assert snapshot(path) == before


SQL = st.one_of(
    st.sampled_from([
        "DELETE FROM dataset", "DROP TABLE dataset", "SELECT 1; DROP TABLE dataset", "UPDATE meta SET value = 'x'",
        "WITH x AS (SELECT 1) DELETE FROM dataset", "WITH x AS (SELECT 1) UPDATE meta SET value = 'x'",
        "SELECT * FROM v_dataset; ", "SELECT * FROM v_dataset -- ; DROP TABLE dataset",
        "SELECT * FROM v_dataset /* ; DROP TABLE dataset */", "ATTACH DATABASE 'x.db' AS x",
        "PRAGMA query_only = OFF", "SELECT load_extension('x')", "VACUUM", "SELECT * FROM sqlite_master",
        "SELECT writefile('x', 'y')", "select \x00 from v_dataset", "SELECT :v, :list FROM v_collection",
        "CREATE TABLE x (a)", "REPLACE INTO meta VALUES ('a', 'b')", "INSERT INTO meta VALUES ('a', 'b')",
    ]),
    st.text(max_size=40),
    st.text(max_size=20).map(lambda s: f"SELECT * FROM v_collection WHERE name = '{s}'"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sql=SQL, bind=st.one_of(st.none(), BINDS), order=st.lists(st.sampled_from(["name", "-kind", "x"]), max_size=1))
def test_hostile_sql_select_statements_never_write(hostile_registry: tuple[SqlRegistry, Path], sql: str,
                                                   bind: Any, order: list[str]) -> None:
    registry, path = hostile_registry
    before = snapshot(path)
    try:
        results = registry.select_sql(sql, bind)
        if order:
            results = results.order_by(*order)
        list(results)
    except DataButlerError:
        pass
    assert snapshot(path) == before
