"""Engines for the SQL registry: SQLite pragmas, and transactions that say whether they write.

SQLite gets the SQLAlchemy "pysqlite serializable" recipe: the driver's own transaction handling
is switched off and every transaction is begun explicitly, with ``BEGIN IMMEDIATE`` when it will
write. Taking the write lock up front means two processes never deadlock upgrading a read lock
(which SQLite reports as an immediate "database is locked", whatever the busy timeout), while
pure reads stay deferred and never block a writer in WAL mode.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ...domain.errors import ConfigError
from .credentials import mask_secrets, remember_password
from .driver import driver_errors
from .errors import MAX_CONNECTIONS_PER_REGISTRY
from .id_lists import register_sqlite_functions

DEFAULT_BUSY_TIMEOUT_S = 30.0
POSTGRES_DRIVER = "postgresql+psycopg"
"""psycopg 3: what ``postgresql://`` (whose SQLAlchemy default is psycopg2) and ``postgres://`` mean here."""
CONNECT_TIMEOUT_S = 10
_BEGIN_KEY = "databutler.begin"


def parse_url(url: str) -> URL:
    """Parse a database URL, refusing a malformed one with ConfigError."""
    problem: str | None = None
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError) as err:
        problem = f"registry url {url!r} is not a valid database URL: {err}"
    if problem is not None:  # raised here, so the parser's exception (which quotes the url) is not its context
        raise ConfigError(mask_secrets(problem) + "; a password with reserved characters (@ : / # ? %) must be "
                          "percent-encoded in the url, or given as ${VARIABLE} or a credentials_file")
    remember_password(parsed.password)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    return parsed


def is_postgresql(url: URL) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return url.get_backend_name() == "postgresql"


def is_sqlite(url: URL) -> bool:
    """Whether ``url`` names a SQLite database."""
    return url.get_backend_name() == "sqlite"


def is_memory(url: URL) -> bool:
    """Whether ``url`` names a private in-memory SQLite database."""
    return is_sqlite(url) and url.database in (None, "", ":memory:")


def create_sql_engine(url: str | URL, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
                      echo: bool = False) -> sa.Engine:
    """Create the engine for ``url``, configured for the registry's transaction discipline."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if busy_timeout_s <= 0:
        raise ConfigError(f"busy_timeout_s must be positive, got {busy_timeout_s!r}")
    if not is_sqlite(parsed):
        connect_args: dict[str, Any] = {}
        if is_postgresql(parsed):
            connect_args = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "databutler",
                            "options": server_options(parsed, busy_timeout_s)}
        # A bounded pool: 64 client processes must not open 64 x 15 connections (QueuePool's default
        # bound); a registry needs its session, a streaming query and a SELECT at most at once.
        pool = {"pool_size": 2, "max_overflow": MAX_CONNECTIONS_PER_REGISTRY - 2, "pool_timeout": CONNECT_TIMEOUT_S}
        try:
            engine = sa.create_engine(parsed, echo=echo, connect_args=connect_args, **pool)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
            hint = " (install the driver: pip install 'databutler[postgresql]')" if is_postgresql(parsed) else ""
            raise ConfigError(mask_secrets(f"cannot use registry url {parsed!r}: {err}{hint}")) from None
        # A bulk insert is one executemany, which psycopg 3 sends in pipeline mode: the round trips
        # do not grow with the rows (and it beat multi-row INSERT ... VALUES by 2x here).
        if is_postgresql(parsed):
            _send_begin_ourselves(engine)
        return engine
    memory = is_memory(parsed)
    kwargs: dict[str, Any] = {}
    # URI filenames on: ATTACH of a release (see ``release``) opens it read-only with "?mode=ro".
    # A path not beginning "file:" is still an ordinary path.
    connect_args = {"timeout": busy_timeout_s, "uri": True}
    if memory:
        # One shared connection holds the whole database; the registry serialises its use.
        kwargs["poolclass"] = sa.pool.StaticPool
        connect_args["check_same_thread"] = False
    engine = sa.create_engine(parsed, echo=echo, connect_args=connect_args, **kwargs)
    busy_ms = int(busy_timeout_s * 1000)

    @sa.event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _begin)
        register_sqlite_functions(dbapi_connection)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if not memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # Straight to the driver: this runs for every transaction, and the SQLAlchemy execution
        # path would cost more than the statement itself. Driver errors are wrapped so that they
        # reach the registry's translation like any other SQLAlchemy error.
        statement = connection.info.pop(_BEGIN_KEY, "BEGIN")
        with driver_errors(connection.dialect, statement):
            connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]

    return engine


def _send_begin_ourselves(engine: sa.Engine) -> None:
    """PostgreSQL: the driver autocommits, and every transaction sends its BEGIN, except single-statement reads.

    psycopg sends a BEGIN of its own before a transaction's first statement and a COMMIT after the
    last: two round trips around every read, which cost more than a selective query itself. Reads
    at the default isolation (READ COMMITTED) take a snapshot per statement anyway, so a read
    outside any transaction loses nothing by running without one.
    """
    @sa.event.listens_for(engine, "connect")
    def _autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.autocommit = True

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        statement = connection.info.pop(_BEGIN_KEY, "BEGIN")
        if statement is None:
            return
        with driver_errors(connection.dialect, statement):
            connection.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]


def server_options(url: URL, busy_timeout_s: float) -> str:
    """The settings a PostgreSQL session of the registry starts with, then the url's own ``options`` (which win).

    - ``lock_timeout``: ``busy_timeout_s`` bounds waits for row locks, as it bounds SQLite's wait
      for the file lock.
    - No parallel workers: registry queries are index lookups of a few ms, and starting two workers
      for a Gather cost 10 ms a query at 10^6 datasets (auto_explain: 2.6 ms of work).
    - No JIT compilation: the planner's estimate for the recursive statement that resolves a chain
      of 1,600 runs passed ``jit_above_cost``, and compiling it took 137 of its 162 ms (at 10^5
      datasets, ``EXPLAIN ANALYZE``); no registry statement runs long enough to repay compilation.
    - Generic plans: psycopg prepares a statement run five times, and PostgreSQL then chose to plan
      it afresh at every run wherever a generic plan's estimate was higher, which for a registry
      lookup is most of the time: at 10^6 datasets that planning was a third of a data ID query
      over datasets (0.53 -> 0.36 ms) and a sixth of a query through the overlap join. The values
      that shape a plan (a search's runs, IN lists, a limit) are written into the statement's text
      (see ``id_lists``), so each shape gets its own plan; the values bound are data ID values and
      the literals of a ``where``. A repository whose ``where`` literals select very unevenly
      (one value in most rows, another in few) may want PostgreSQL's own choice back: add
      ``?options=-c%20plan_cache_mode%3Dauto`` to the url.
    """
    options = (f"-c lock_timeout={int(busy_timeout_s * 1000)} -c max_parallel_workers_per_gather=0 -c jit=off "
               "-c plan_cache_mode=force_generic_plan")
    given = url.query.get("options")
    if given:  # the later setting of a name wins
        options += " " + (given if isinstance(given, str) else " ".join(given))
    return options


def without_begin(connection: sa.Connection) -> None:
    """PostgreSQL: let the transaction SQLAlchemy begins by itself on ``connection`` next send no BEGIN."""
    connection.info[_BEGIN_KEY] = None


def clear_begin(connection: sa.Connection) -> None:
    """Undo ``without_begin`` if no transaction took it."""
    connection.info.pop(_BEGIN_KEY, None)


def begin(connection: sa.Connection, *, write: bool, single_statements: bool = False) -> sa.RootTransaction:
    """Begin the outermost transaction; on SQLite a writing one takes the write lock at once.

    ``single_statements`` promises statements that need no common snapshot and at most one write:
    on PostgreSQL they then run without BEGIN and COMMIT, each in a transaction of its own.
    """
    statement: str | None = "BEGIN"
    if write and connection.dialect.name == "sqlite":
        statement = "BEGIN IMMEDIATE"
    elif single_statements and connection.dialect.name == "postgresql":
        statement = None
    connection.info[_BEGIN_KEY] = statement  # always: a read's None may be left for SQLAlchemy's own begin
    try:
        return connection.begin()
    finally:
        connection.info.pop(_BEGIN_KEY, None)
