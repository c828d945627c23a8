"""Planner statistics: a registry analyses a table once it has inserted many rows, and again as they double."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from databutler.adapters.sql.statistics import PlannerStatistics, optimize_at_close


def _table() -> tuple[sa.Engine, sa.Table]:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("item", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("group_id", sa.Integer, index=True))
    table.metadata.create_all(engine)
    return engine, table


def _analyzed(connection: sa.Connection) -> bool:
    if not connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        return False
    return connection.exec_driver_sql("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'item'").scalar_one() > 0


def _insert(connection: sa.Connection, table: sa.Table, first: int, count: int) -> None:
    connection.execute(table.insert(), [{"id": i, "group_id": i % 3} for i in range(first, first + count)])


def test_a_table_is_analysed_once_the_rows_inserted_reach_the_threshold_and_again_when_they_double() -> None:
    engine, table = _table()
    statistics = PlannerStatistics(threshold=10)
    with engine.begin() as connection:
        _insert(connection, table, 0, 9)
        statistics.inserted(connection, table, 9)
        assert not _analyzed(connection)
        _insert(connection, table, 9, 1)
        statistics.inserted(connection, table, 1)
        assert _analyzed(connection)
        connection.exec_driver_sql("DELETE FROM sqlite_stat1")
        _insert(connection, table, 10, 9)
        statistics.inserted(connection, table, 9)
        assert not _analyzed(connection)  # 19 rows: not yet twice the 10 analysed
        _insert(connection, table, 19, 1)
        statistics.inserted(connection, table, 1)
        assert _analyzed(connection)


def test_forgetting_after_a_rollback_counts_afresh() -> None:
    engine, table = _table()
    statistics = PlannerStatistics(threshold=10)
    with engine.begin() as connection:
        statistics.inserted(connection, table, 9)
        statistics.forget()
        statistics.inserted(connection, table, 9)
        assert not _analyzed(connection)


def _file_table(tmp_path: Path) -> tuple[sa.Engine, sa.Table]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    table = sa.Table("item", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("group_id", sa.Integer, index=True),
                     sa.Column("rare", sa.Integer),
                     sa.Index("ix_rare", "rare", sqlite_where=sa.text("rare IS NOT NULL")))
    table.metadata.create_all(engine)
    return engine, table


def _filled(tmp_path: Path, rows: int) -> tuple[sa.Engine, sa.Table]:
    engine, table = _file_table(tmp_path)
    with engine.begin() as connection:
        _insert(connection, table, 0, rows)
    return engine, table


def _rows_analysed(connection: sa.Connection) -> dict[str, str]:
    return dict(connection.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'item'").all())


def test_a_close_analyses_a_large_table_without_statistics_in_full(tmp_path: Path) -> None:
    engine, _ = _filled(tmp_path, 2000)
    with engine.connect() as connection:
        optimize_at_close(connection, threshold=1000)
        # Every row read: 3 groups of about 667 rows each (a sample of a few hundred rows said otherwise).
        assert _rows_analysed(connection)["ix_item_group_id"] == "2000 667"


def test_a_close_leaves_statistics_alone_until_the_table_doubles(tmp_path: Path) -> None:
    engine, table = _filled(tmp_path, 2000)
    with engine.connect() as connection:
        optimize_at_close(connection, threshold=1000)
        connection.exec_driver_sql("UPDATE sqlite_stat1 SET stat = '2000 1' WHERE idx = 'ix_item_group_id'")
        connection.commit()
        # An index with no rows (the partial ix_rare) has no statistics: no reason to analyse again.
        assert "ix_rare" not in _rows_analysed(connection)
        optimize_at_close(connection, threshold=1000)
        assert _rows_analysed(connection)["ix_item_group_id"] == "2000 1"
        _insert(connection, table, 2000, 2001)
        connection.commit()
        optimize_at_close(connection, threshold=1000)
        assert _rows_analysed(connection)["ix_item_group_id"] == "4001 1334"


def test_a_close_leaves_a_small_table_unanalysed(tmp_path: Path) -> None:
    engine, _ = _filled(tmp_path, 999)
    with engine.connect() as connection:
        optimize_at_close(connection, threshold=1000)
        assert not _analyzed(connection)


def test_a_table_that_lost_rows_is_not_analysed_at_every_close(tmp_path: Path) -> None:
    """Deleted rows leave high rowids: the rowid at the last analysis (kept in ``meta``) is what must double."""
    engine, table = _file_table(tmp_path)
    meta = sa.Table("meta", table.metadata, sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    meta.create(engine)
    with engine.begin() as connection:
        _insert(connection, table, 0, 4000)
        connection.execute(table.delete().where(table.c.id < 3000))  # 1,000 rows left, rowids up to 3,999
        connection.exec_driver_sql("ANALYZE item")  # as the registry does after large changes
    with engine.connect() as connection:
        assert _rows_analysed(connection)["ix_item_group_id"] == "1000 334"
        optimize_at_close(connection, threshold=1000)  # rowids are 4x the rows analysed: once more
        assert connection.execute(sa.select(meta.c.value).where(meta.c.key == "analysed_rowid:item")).scalar() == "3999"
        connection.exec_driver_sql("UPDATE sqlite_stat1 SET stat = '1000 1' WHERE idx = 'ix_item_group_id'")
        connection.commit()
        optimize_at_close(connection, threshold=1000)
        optimize_at_close(connection, threshold=1000)
        assert _rows_analysed(connection)["ix_item_group_id"] == "1000 1"  # not analysed at every close
        _insert(connection, table, 4000, 4000)  # rowids up to 7,999: twice those analysed
        connection.commit()
        optimize_at_close(connection, threshold=1000)
        assert _rows_analysed(connection)["ix_item_group_id"] == "5000 1667"


def test_a_registry_analyses_a_data_unit_table_it_filled(tmp_path: Path) -> None:
    """A join through an unanalysed overlap table of 2 x 10^5 rows read every overlap of an instrument."""
    from databutler.adapters.sql import SqlRegistry
    from databutler.adapters.sql.statistics import ANALYZE_AFTER_ROWS
    from databutler.config.universe import default_universe

    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    with SqlRegistry.create(url, default_universe()) as registry:
        registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": ANALYZE_AFTER_ROWS}])
        registry.insert_data_units("detector", [{"instrument": "Cam", "id": d} for d in range(ANALYZE_AFTER_ROWS)])
        engine = sa.create_engine(url)  # before the registry closes (a close analyses too)
        with engine.connect() as connection:
            analysed = set(connection.exec_driver_sql("SELECT tbl FROM sqlite_stat1").scalars())
        assert "detector" in analysed
        assert "instrument" not in analysed  # one row: below the threshold
        engine.dispose()
