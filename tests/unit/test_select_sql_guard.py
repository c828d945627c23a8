"""select_sql keeps "the database refuses writes" where the database alone would not.

On SQLite (file and in-memory) and PostgreSQL: functions with side effects are refused before the
statement runs; a runaway statement stops at the timeout; a repeated column name is refused; and
what a statement did to its connection never outlives it: no large object persists, no advisory
lock stays held, no setting reaches the next user of the pool, a half-read result leaves nothing
query-only. After each, the registry still writes.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from databutler.adapters.sql import SqlRegistry, make_registry
from databutler.adapters.sql.query import sql_calls
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.domain.errors import ConfigError, QueryError
from databutler.testing.hostile import example_count
from databutler.testing.postgres import PostgresServer

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c"
"""A recursive query that never ends, calling only allowed functions."""


def assert_still_writes(registry: SqlRegistry) -> None:
    """A write after the statement succeeds and is seen."""
    name = f"after_{uuid.uuid4().hex[:8]}"
    assert registry.register_collection(name, CollectionKind.RUN)
    assert registry.get_collection(name).kind is CollectionKind.RUN


@pytest.fixture(params=["file", "memory", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlRegistry]:
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        schema: str = request.getfixturevalue("postgres_schema")
        made = SqlRegistry.create(server.url(), default_universe(), namespace=schema)
    else:
        url = "sqlite://" if request.param == "memory" else f"sqlite:///{tmp_path}/registry.sqlite3"
        made = SqlRegistry.create(url, default_universe())
    with made:
        for name in ("run1", "run2", "run3"):
            made.register_collection(name, CollectionKind.RUN)
        yield made


def is_postgresql(registry: SqlRegistry) -> bool:
    return registry.url.startswith("postgresql")


# -- what a statement may call ------------------------------------------------------------------------

REFUSED = [
    "SELECT load_extension('x')", "SELECT lo_create(0)", "SELECT lo_from_bytea(0, 'x')",
    "SELECT lo_export(1, '/tmp/x')", "SELECT pg_advisory_lock(1)", "SELECT set_config('search_path', 'x', false)",
    "SELECT pg_sleep(20)", "SELECT pg_read_file('/etc/passwd')", "SELECT dblink_exec('x', 'DROP TABLE dataset')",
    "SELECT pg_terminate_backend(1)", "SELECT * FROM lo_create(0)", 'SELECT "lo_create"(0)',
    "SELECT pg_catalog.lo_create (0)", "SELECT lo_create/* hidden */(0)", "SELECT LO_CREATE(0)",
    "SELECT name, lo_create(0) FROM v_collection", "WITH x AS (SELECT lo_create(0)) SELECT * FROM x",
    "SELECT writefile('x', 'y')", "SELECT fts3_tokenizer('simple')", "SELECT randomblob(1000000000)",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_select_sql_refuses_functions_with_side_effects(registry: SqlRegistry, sql: str) -> None:
    with pytest.raises(QueryError, match="may not call"):
        registry.select_sql(sql)
    assert_still_writes(registry)


def test_strings_and_comments_neither_hide_a_call_nor_count_as_one(registry: SqlRegistry) -> None:
    rows = list(registry.select_sql("SELECT name, 'lo_create(0)' AS s FROM v_collection /* pg_sleep(1) */ "
                                    "WHERE name <> 'x''); lo_create(0)' -- pg_sleep(1)\n ORDER BY name"))
    assert [row["name"] for row in rows] == ["run1", "run2", "run3"]
    assert {row["s"] for row in rows} == {"lo_create(0)"}
    nested = "SELECT /* /* */ lo_create(0) */ 1 AS one"  # PostgreSQL nests comments, SQLite does not
    if is_postgresql(registry):
        assert list(registry.select_sql(nested)) == [{"one": 1}]
        for hidden in ["SELECT E'\\'' AS s, lo_create(0) --'", "SELECT $$ ' $$ AS s, lo_create(0), $$ ' $$"]:
            with pytest.raises(QueryError):
                registry.select_sql(hidden)
    else:
        with pytest.raises(QueryError, match="may not call"):
            registry.select_sql(nested)
    assert_still_writes(registry)


def test_allowed_calls_and_with_column_lists_still_run(registry: SqlRegistry) -> None:
    sql = ("WITH counted(kind, n) AS (SELECT kind, count(*) FROM v_collection GROUP BY kind) "
           "SELECT lower(kind) AS kind, coalesce(max(n), 0) AS n, length(upper('x')) AS one FROM counted GROUP BY kind")
    assert list(registry.select_sql(sql)) == [{"kind": "run", "n": 3, "one": 1}]


# -- timeouts -----------------------------------------------------------------------------------------


def test_a_runaway_statement_stops_at_the_timeout(registry: SqlRegistry) -> None:
    with pytest.raises(QueryError, match="timeout"):
        list(registry.select_sql(RUNAWAY, timeout_s=0.5))
    with pytest.raises(QueryError, match="timeout"):
        registry.select_sql(RUNAWAY, timeout_s=0.5).count()
    assert_still_writes(registry)
    assert list(registry.select_sql("SELECT count(*) AS n FROM v_collection")) == [{"n": 4}]  # 3, and the write


def test_the_timeout_is_a_registry_option(tmp_path: Path) -> None:
    options = {"adapter": "sql", "url": f"sqlite:///{tmp_path}/r.sqlite3", "select_timeout_s": 0.5}
    with make_registry(options, universe=default_universe(), create=True, writeable=True) as registry:
        with pytest.raises(QueryError, match=r"timeout of 0\.5 s"):
            list(registry.select_sql(RUNAWAY))
        assert_still_writes(registry)
    for bad in (0, -1, float("inf"), float("nan"), True, "30"):
        with pytest.raises(ConfigError, match="select_timeout_s"):
            make_registry({**options, "select_timeout_s": bad}, universe=None, create=False, writeable=True)


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan"), True, "30"])
def test_a_bad_timeout_argument_is_refused(registry: SqlRegistry, bad: object) -> None:
    with pytest.raises(QueryError, match="timeout"):
        registry.select_sql("SELECT 1 AS one", timeout_s=bad)  # type: ignore[arg-type]


# -- results ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sql", ["SELECT name, name FROM v_collection", "SELECT 1 AS a, 2 AS a",
                                 "SELECT * FROM v_collection AS x, v_collection AS y"])
def test_repeated_column_names_are_refused_by_name(registry: SqlRegistry, sql: str) -> None:
    results = registry.select_sql(sql)
    for read in (lambda: list(results), lambda: list(results.limit(1)), lambda: results.columns):
        with pytest.raises(QueryError, match="more than one column named"):
            read()
    assert_still_writes(registry)


def test_a_half_read_result_leaves_the_registry_writeable(registry: SqlRegistry) -> None:
    rows = iter(registry.select_sql("SELECT name FROM v_collection ORDER BY name"))
    assert next(rows) == {"name": "run1"}
    assert_still_writes(registry)
    assert [row["name"] for row in rows] == ["run2", "run3"]  # the rest is still there


# -- PostgreSQL: nothing outlives the statement (even if a function got past the check) ------------------


@pytest.fixture
def postgres_registry(postgres_server: PostgresServer, postgres_schema: str) -> Iterator[SqlRegistry]:
    with SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema) as made:
        made.register_collection("run1", CollectionKind.RUN)
        yield made


def superuser_scalar(server: PostgresServer, sql: str) -> object:
    engine = sa.create_engine(server.url())
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def test_postgres_side_effects_do_not_outlive_the_statement(postgres_registry: SqlRegistry,
                                                            postgres_server: PostgresServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # The second line of defence, with the allow-list opened up: the database and the connection's life.
    monkeypatch.setattr(sql_calls, "ALLOWED_FUNCTIONS", sql_calls.ALLOWED_FUNCTIONS | {
        "lo_create", "lo_from_bytea", "pg_advisory_lock", "set_config", "pg_backend_pid"})
    objects_before = superuser_scalar(postgres_server, "SELECT count(*) FROM pg_largeobject_metadata")
    rows = list(postgres_registry.select_sql(
        "SELECT pg_backend_pid() AS pid, lo_create(0) AS a, lo_from_bytea(0, 'x') AS b, pg_advisory_lock(42) AS l, "
        "set_config('databutler.probe', 'leaked', false) AS s, set_config('search_path', 'nowhere', false) AS p"))
    row = rows[0]
    assert superuser_scalar(postgres_server, "SELECT count(*) FROM pg_largeobject_metadata") == objects_before
    assert superuser_scalar(postgres_server, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
    assert superuser_scalar(postgres_server, f"SELECT count(*) FROM pg_stat_activity WHERE pid = {row['pid']}") == 0
    engine = postgres_registry._session._engine  # the registry's pool: what the next user gets
    with engine.connect() as pooled:
        assert pooled.exec_driver_sql("SELECT current_setting('databutler.probe', true)").scalar() in (None, "")
        assert "nowhere" not in str(pooled.exec_driver_sql("SHOW search_path").scalar())
    assert_still_writes(postgres_registry)
    assert [r["name"] for r in postgres_registry.select_sql("SELECT name FROM v_collection")][:1] == ["run1"]


def test_a_name_in_any_script_before_a_parenthesis_is_checked(registry: SqlRegistry) -> None:
    with pytest.raises(QueryError, match="may not call 'é'"):
        registry.select_sql("SELECT é(1)")
    with pytest.raises(QueryError, match="may not call"):
        registry.select_sql('SELECT U&"lo\\005fcreate"(0)' if is_postgresql(registry) else "SELECT [lo_create](0)")


# -- the call check agrees with the database about what is called ------------------------------------------

FUNCTIONS = ["abs", "count", "lower", "hex", "load_extension", "zeroblob", "randomblob", "lo_create",
             "sqlite_version", "unlikely", "fts3_tokenizer", "char"]
NAME_FORMS = [lambda f: f, str.upper, lambda f: f'"{f}"', lambda f: f"[{f}]", lambda f: f"`{f}`"]
GAPS = ["", " ", "\n", "/**/", "/* ) ( */", "--c\n", "/* ' */", " /* -- */ "]
ARGUMENTS = ["", "1", "'x'", "'a''b'", "'/*'", "'--'", '"name"', "1, 2", "'lo_create(0)'"]
LITERALS = ["'lo_create(0)'", "'it''s'", "'/*'", "'*/'", "'--'", "x'00'", '"name"', "1", "'\\'", "'\"'"]
CALLS = st.builds(lambda f, form, gap, argument: f"{form(f)}{gap}({argument})", st.sampled_from(FUNCTIONS),
                  st.sampled_from(NAME_FORMS), st.sampled_from(GAPS), st.sampled_from(ARGUMENTS))
TERMS = st.one_of(CALLS, st.sampled_from(LITERALS),
                  st.builds(lambda a, gap, b: f"{a}{gap}{b}", st.sampled_from(LITERALS), st.sampled_from(GAPS), CALLS))
STATEMENTS = st.builds(lambda terms, joiner, tail: "SELECT " + joiner.join(terms) + tail,
                       st.lists(TERMS, min_size=1, max_size=4), st.sampled_from([", ", " || ", " + "]),
                       st.sampled_from(["", " FROM v_collection", " FROM v_collection WHERE name = 'x'", " -- )"]))
"""SELECTs that call functions in every spelling, between strings and comments that look like calls."""


@settings(max_examples=example_count(), deadline=None)
@given(STATEMENTS)
def test_on_sqlite_a_statement_that_passes_the_check_calls_only_allowed_functions(sql: str) -> None:
    # The database's own parser is the oracle: SQLite's authorizer sees every function a statement
    # calls when it is prepared. Whatever the lexer lets through must call only allowed functions.
    try:
        sql_calls.check_calls(sql, postgresql=False)
    except QueryError:
        return
    called: list[str] = []

    def authorize(action: int, _arg1: str | None, function: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_FUNCTION:
            called.append(str(function).lower())
        return sqlite3.SQLITE_OK

    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE TABLE v_collection (name TEXT, x INT)")
        connection.set_authorizer(authorize)
        with contextlib.suppress(sqlite3.Error):
            connection.execute(f"EXPLAIN {sql}")  # prepared, not run
    finally:
        connection.close()
    assert set(called) <= sql_calls.ALLOWED_FUNCTIONS, (sql, called)
