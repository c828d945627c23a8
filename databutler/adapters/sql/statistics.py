"""Planner statistics kept current: ANALYZE after large inserts, ``PRAGMA optimize`` when SQLite closes.

SQLite gathers no statistics by itself: without them a ``where`` over a large TAGGED collection
chose a scan (hundreds of ms at 10^5 datasets, ~2 ms once analysed). PostgreSQL's autovacuum
does analyse, but only a while after a bulk load, when the first queries have already run with
a plan made for an empty table.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

log = logging.getLogger(__name__)

ANALYZE_AFTER_ROWS = 10_000
"""Rows a registry inserts into a table before it first analyses it; then each time the table's inserts double."""
SQLITE_ANALYSIS_LIMIT = 1000
"""Index rows SQLite samples per index at close (``PRAGMA analysis_limit``), so closing stays quick at any size.

ANALYZE after inserts reads every row instead (~1.7 s per 10^6 datasets, once per doubling:
~2% of the inserts' own time): sampled statistics said 1,000 rows per detector where there were
5,000, and a join through visit_patch_overlap at 10^6 datasets scanned the runs (200 ms, 20 ms
with full statistics)."""


class PlannerStatistics:
    """Counts the rows one registry inserts per table and analyses a table when they are many."""

    def __init__(self, threshold: int = ANALYZE_AFTER_ROWS) -> None:
        self._threshold = threshold
        self._inserted: dict[str, int] = {}
        self._analyzed_at: dict[str, int] = {}

    def inserted(self, connection: sa.Connection, table: sa.Table, rows: int) -> None:
        """Note ``rows`` new rows of ``table``; ANALYZE it once they reach the threshold and each time they double."""
        name = table.fullname
        total = self._inserted[name] = self._inserted.get(name, 0) + rows
        before = self._analyzed_at.get(name, 0)
        if total - before < max(self._threshold, before):
            return
        self._analyzed_at[name] = total
        analyze(connection, table)

    def forget(self) -> None:
        """Forget the counts (after a rollback, the rows counted are gone)."""
        self._inserted.clear()
        self._analyzed_at.clear()


def analyze(connection: sa.Connection, table: sa.Table) -> None:
    """Refresh the planner statistics of ``table`` from all its rows."""
    name = connection.dialect.identifier_preparer.format_table(table)
    dialect = connection.dialect.name
    if dialect == "sqlite":
        try:
            connection.exec_driver_sql("PRAGMA analysis_limit = 0")
            connection.exec_driver_sql(f"ANALYZE {name}")
        except sa.exc.DBAPIError as err:  # statistics are an optimisation: a failure leaves the plans as they were
            log.warning("could not ANALYZE %s: %s", name, err.orig)
    elif dialect == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {name}")


def optimize_at_close(connection: sa.Connection) -> None:
    """``PRAGMA optimize`` on a writeable SQLite connection about to close (SQLite's advice); nothing elsewhere."""
    if connection.dialect.name != "sqlite":
        return
    try:
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            driver.execute("PRAGMA busy_timeout = 100")  # another writer holds the lock: skip, never wait at close
            driver.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
            driver.execute("PRAGMA optimize")
    except Exception as err:  # closing must not fail for an optimisation (read-only file, database gone)
        log.debug("PRAGMA optimize at close failed: %s", err)
