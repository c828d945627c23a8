"""The ``dataset`` table's index per unit combination: made at registration and by migration, used by queries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from databutler.adapters.sql import Release, SqlRegistry, migrate_database
from databutler.adapters.sql.schema import SCHEMA_VERSION, VERSION_TABLE, build_schema
from databutler.adapters.sql.unit_indexes import WIDEST, combination_columns, drop_combination_indexes, index_name
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetType

CALEXP = DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredData")
SRC = DatasetType("src", ("instrument", "visit", "detector"), "StructuredData")
RAW = DatasetType("raw", ("instrument", "exposure", "detector"), "StructuredData")
VISIT_DETECTOR = "ix_dataset_units_visit_detector"


@pytest.fixture
def engine(sql_database: tuple[str, str | None]) -> Iterator[sa.Engine]:
    """A plain engine on the registry's database, to look at what it holds."""
    made = sa.create_engine(sql_database[0])
    yield made
    made.dispose()


def indexes(engine: sa.Engine, namespace: str | None) -> dict[str, tuple[str, ...]]:
    """The columns of each index of ``dataset``, by name."""
    with engine.connect() as connection:
        return {str(i["name"]): tuple(str(c) for c in i["column_names"])
                for i in sa.inspect(connection).get_indexes("dataset", schema=namespace)}


def planned_index(engine: sa.Engine, namespace: str | None, sql: str) -> str:
    """The plan the database makes for ``sql`` on ``dataset``, as text (sequential scans discouraged)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return " ".join(str(row[-1]) for row in connection.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))
        connection.execute(sa.text(f'SET search_path TO "{namespace}"'))
        connection.execute(sa.text("SET enable_seqscan = off"))  # a tiny table would be read whole
        return " ".join(str(row[0]) for row in connection.execute(sa.text(f"EXPLAIN {sql}")))


def test_a_types_units_are_indexed_finest_first_without_governors() -> None:
    universe = default_universe()
    assert combination_columns(universe, CALEXP.units) == ("visit", "detector")
    assert combination_columns(universe, RAW.units) == ("exposure", "detector")
    assert combination_columns(universe, ("band", "skymap", "tract", "patch")) == ("patch", "tract")
    # A lone unit that has an index of its own needs no other; one without gets one.
    assert combination_columns(universe, ("instrument", "detector")) == ()
    assert combination_columns(universe, ("instrument", "visit")) == ()
    assert combination_columns(universe, ("instrument", "day_obs")) == ("day_obs",)
    many = ("instrument", "physical_filter", "detector", "day_obs", "visit", "exposure")
    assert WIDEST == 3 and combination_columns(universe, many) == ("exposure", "visit", "day_obs")


def test_an_index_name_stays_within_postgresql_limits() -> None:
    assert index_name(("visit", "detector")) == VISIT_DETECTOR
    long = index_name(("a" * 30, "b" * 30, "c" * 30))
    assert len(long) <= 63 and long.startswith("ix_dataset_units_")
    assert long != index_name(("a" * 30, "b" * 30, "d" * 30))


def test_registering_a_type_indexes_its_units_once_and_queries_use_it(sql_database: tuple[str, str | None],
                                                                      engine: sa.Engine) -> None:
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
        assert VISIT_DETECTOR not in indexes(engine, namespace)
        registry.register_dataset_type(CALEXP)
        after_first = indexes(engine, namespace)
        assert after_first[VISIT_DETECTOR] == ("visit", "detector")
        # The combination serves a query of its first unit alone: that unit's own index is gone.
        assert "ix_dataset_unit_visit" not in after_first and "ix_dataset_unit_detector" in after_first
        registry.register_dataset_type(SRC)  # the same units: nothing more
        assert indexes(engine, namespace) == after_first
        registry.register_dataset_type(RAW)
        assert indexes(engine, namespace)["ix_dataset_units_exposure_detector"] == ("exposure", "detector")
        plan = planned_index(engine, namespace, "SELECT id FROM dataset WHERE visit = 7 AND detector IN (1, 2)")
        assert VISIT_DETECTOR in plan
        assert VISIT_DETECTOR in planned_index(engine, namespace, "SELECT id FROM dataset WHERE visit = 7")


def test_queries_answer_the_same_with_the_index(sql_database: tuple[str, str | None]) -> None:
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
        registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": 4, "visit_max": 10}])
        registry.insert_data_units("detector", [{"instrument": "Cam", "id": d} for d in range(4)])
        registry.insert_data_units("visit", [{"instrument": "Cam", "id": v} for v in range(1, 4)])
        registry.register_dataset_type(CALEXP)
        registry.register_collection("run", CollectionKind.RUN)
        registry.insert_datasets("calexp", "run", [{"instrument": "Cam", "visit": v, "detector": d}
                                                   for v in range(1, 4) for d in range(4)])
        found = registry.query_datasets("calexp", ["run"], where="visit = 2 AND detector IN (1, 3)")
        assert sorted((r.data_id["visit"], r.data_id["detector"]) for r in found) == [(2, 1), (2, 3)]


def test_a_personal_registry_indexes_its_own_table(tmp_path: Path) -> None:
    release_url, personal_url = f"sqlite:///{tmp_path}/release.sqlite3", f"sqlite:///{tmp_path}/personal.sqlite3"
    SqlRegistry.create(release_url, default_universe()).close()
    with SqlRegistry.create(personal_url, default_universe(), release=Release(url=release_url)) as personal:
        personal.register_dataset_type(CALEXP)
    personal_engine, release_engine = sa.create_engine(personal_url), sa.create_engine(release_url)
    try:
        assert VISIT_DETECTOR in indexes(personal_engine, None)
        assert VISIT_DETECTOR not in indexes(release_engine, None)  # the release is never written
    finally:
        personal_engine.dispose()
        release_engine.dispose()


def test_migrating_a_version_6_registry_indexes_its_types(sql_database: tuple[str, str | None],
                                                          engine: sa.Engine) -> None:
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
        registry.register_dataset_type(CALEXP)
        registry.register_dataset_type(RAW)
    made = indexes(engine, namespace)
    prefix = "" if namespace is None else f'"{namespace}".'
    with engine.begin() as connection:  # back to version 6: no combination indexes, one index per unit
        connection.execute(sa.text(f"DROP TABLE {prefix}chain_search"))  # and no chain_search (version 8)
        for name in (VISIT_DETECTOR, "ix_dataset_units_exposure_detector"):
            connection.execute(sa.text(f'DROP INDEX {prefix}"{name}"'))
        for unit in ("visit", "exposure"):
            connection.execute(sa.text(f'CREATE INDEX "ix_dataset_unit_{unit}" ON {prefix}dataset ({unit}) '
                                       f"WHERE {unit} IS NOT NULL"))
        connection.execute(sa.text(f"UPDATE {prefix}meta SET value = '6' WHERE key = 'schema_version'"))
        connection.execute(sa.text(f"UPDATE {prefix}{VERSION_TABLE} SET version_num = '6'"))
    assert VISIT_DETECTOR not in indexes(engine, namespace) and "ix_dataset_unit_visit" in indexes(engine, namespace)

    report = migrate_database(url, namespace=namespace)

    assert (report.from_version, report.to_version, len(report.steps)) == ("6", SCHEMA_VERSION, int(SCHEMA_VERSION) - 6)
    assert indexes(engine, namespace) == made
    with SqlRegistry.open(url, namespace=namespace) as registry:  # and it opens, its types intact
        assert {t.name for t in registry.query_dataset_types()} == {"calexp", "raw"}


def test_the_way_down_drops_only_the_combination_indexes(sql_database: tuple[str, str | None],
                                                         engine: sa.Engine) -> None:
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
        registry.register_dataset_type(CALEXP)
    before = indexes(engine, namespace)
    with engine.begin() as connection:
        drop_combination_indexes(connection, default_universe(), build_schema(default_universe(), namespace))
    after = indexes(engine, namespace)
    assert set(before) - set(after) == {VISIT_DETECTOR}
    assert set(after) - set(before) == {"ix_dataset_unit_visit"}  # which the combination replaced
