"""SqlRegistry on SQLite: pragmas, locking, persistence, concurrency and error translation."""

from __future__ import annotations

import datetime
import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.engine import begin, create_sql_engine
from databutler.config.universe import default_universe
from databutler.domain import (
    CollectionKind,
    ConfigError,
    ConflictingDefinitionError,
    DatasetType,
    ReadOnlyError,
    RegistryError,
    Timespan,
    Universe,
)
from databutler.ports import RegistryCapability
from databutler.testing.data import insert_standard_data_units
from databutler.testing.registry import CALEXP, TINY_UNIVERSE, artifact, calexp_id


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "registry.sqlite3"


@pytest.fixture
def registry(path: Path) -> Iterator[SqlRegistry]:
    registry = SqlRegistry.create(url_of(path), default_universe())
    insert_standard_data_units(registry)
    registry.register_dataset_type(CALEXP)
    registry.register_collection("run1", CollectionKind.RUN)
    yield registry
    registry.close()


# -- connection setup ------------------------------------------------------------------------


def test_file_connections_use_wal_foreign_keys_busy_timeout_and_normal_sync(path: Path) -> None:
    engine = create_sql_engine(url_of(path), busy_timeout_s=12.5)
    with engine.connect() as connection, begin(connection, write=False):
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == 12500
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


def test_memory_connections_enforce_foreign_keys() -> None:
    engine = create_sql_engine("sqlite://")
    with engine.connect() as connection, begin(connection, write=False):
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_a_write_transaction_takes_the_write_lock_when_it_begins(registry: SqlRegistry, path: Path) -> None:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with registry.transaction(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_reads_do_not_take_the_write_lock(registry: SqlRegistry, path: Path) -> None:
    reader = SqlRegistry.open(url_of(path), writeable=False)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with reader.transaction():
            assert reader.get_dataset_type("calexp") == CALEXP
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
        reader.close()


def test_a_write_blocked_longer_than_the_busy_timeout_is_a_registry_error(registry: SqlRegistry,
                                                                         path: Path) -> None:
    impatient = SqlRegistry.open(url_of(path), busy_timeout_s=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(RegistryError, match="locked"):
            impatient.insert_datasets("calexp", "run1", [calexp_id()])
        other.execute("ROLLBACK")
        (ref,) = impatient.insert_datasets("calexp", "run1", [calexp_id()])  # usable again afterwards
        assert registry.get_datasets([ref.id]) == [ref]
    finally:
        other.close()
        impatient.close()


# -- create / open ---------------------------------------------------------------------------


def test_reopening_a_file_registry_gives_the_same_universe_and_data(path: Path) -> None:
    tiny = Universe.from_mapping(TINY_UNIVERSE)
    with SqlRegistry.create(url_of(path), tiny) as registry:
        registry.insert_data_units("camera", [{"name": "C"}])
        registry.insert_data_units("ccd", [{"camera": "C", "id": 2, "gain": 0.5}])
        registry.register_dataset_type(DatasetType("flat", ("ccd",), "NumpyArray"))
        registry.register_collection("calib", CollectionKind.RUN)
        (ref,) = registry.insert_datasets("flat", "calib", [{"camera": "C", "ccd": 2}])
    with SqlRegistry.open(url_of(path)) as again:
        assert again.universe == tiny
        assert again.fetch_data_unit_records("ccd") == [{"camera": "C", "id": 2, "gain": 0.5}]
        assert again.find_datasets("flat", [{"camera": "C", "ccd": 2}], ["calib"]) == [ref]


def test_create_refuses_an_existing_registry(registry: SqlRegistry, path: Path) -> None:
    with pytest.raises(ConflictingDefinitionError, match="already exists"):
        SqlRegistry.create(url_of(path), default_universe())
    assert registry.get_dataset_type("calexp") == CALEXP


def test_open_of_a_missing_file_is_a_clear_error_and_creates_nothing(path: Path) -> None:
    with pytest.raises(RegistryError, match="no databutler registry"):
        SqlRegistry.open(url_of(path))
    assert not path.exists()


def test_open_of_a_database_without_the_schema_is_a_clear_error(path: Path) -> None:
    sqlite3.connect(path).close()
    with pytest.raises(RegistryError, match="no databutler registry"):
        SqlRegistry.open(url_of(path))
    with pytest.raises(RegistryError, match="in-memory"):
        SqlRegistry.open("sqlite://")


def test_open_refuses_another_schema_version(registry: SqlRegistry, path: Path) -> None:
    with sqlite3.connect(path) as backdoor:
        backdoor.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(RegistryError, match="999"):
        SqlRegistry.open(url_of(path))


def test_a_namespace_is_refused_for_sqlite(path: Path) -> None:
    with pytest.raises(ConfigError, match="namespace"):
        SqlRegistry.create(url_of(path), default_universe(), namespace="butler")
    with pytest.raises(ConfigError):
        SqlRegistry.create("not a url", default_universe())


def test_capabilities_follow_the_kind_of_database(registry: SqlRegistry, path: Path) -> None:
    queries = {RegistryCapability.QUERIES, RegistryCapability.SQL_SELECT, RegistryCapability.LINEAGE,
               RegistryCapability.CALIBRATIONS}
    full = {RegistryCapability.WRITE, RegistryCapability.PERSISTENT, RegistryCapability.CONCURRENT_WRITERS,
            RegistryCapability.PROVENANCE_QUERIES, *queries}
    assert registry.capabilities == full
    with SqlRegistry.open(url_of(path), writeable=False) as reader:
        assert reader.capabilities == full - {RegistryCapability.WRITE}
        with pytest.raises(ReadOnlyError):
            reader.register_collection("run2", CollectionKind.RUN)
    with SqlRegistry.create("sqlite://", default_universe()) as memory:
        assert memory.capabilities == {RegistryCapability.WRITE, RegistryCapability.PROVENANCE_QUERIES, *queries}


def test_a_closed_registry_refuses_to_work(registry: SqlRegistry) -> None:
    registry.close()
    with pytest.raises(RegistryError, match="closed"):
        registry.get_dataset_type("calexp")


# -- driver errors never escape ---------------------------------------------------------------


def test_a_corrupt_database_file_is_a_registry_error(path: Path) -> None:
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(RegistryError):
        SqlRegistry.open(url_of(path))
    with pytest.raises(RegistryError):
        SqlRegistry.create(url_of(path), default_universe())


def test_a_table_dropped_behind_the_registry_gives_a_registry_error(registry: SqlRegistry, path: Path) -> None:
    (ref,) = registry.insert_datasets("calexp", "run1", [calexp_id()])
    with sqlite3.connect(path) as backdoor:
        backdoor.execute("DROP TABLE dataset_artifact")
    with pytest.raises(RegistryError, match="dataset_artifact"):
        registry.get_artifacts([ref.id])
    with pytest.raises(RegistryError):
        registry.insert_artifacts([artifact(ref)])
    assert registry.get_datasets([ref.id]) == [ref]  # the rest still works


def test_a_file_overwritten_behind_the_registry_gives_a_registry_error(registry: SqlRegistry, path: Path) -> None:
    registry.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(RegistryError, match=r"damaged|not a database"):
        SqlRegistry.open(url_of(path))


# -- values -----------------------------------------------------------------------------------


def test_aware_datetimes_are_stored_as_naive_utc(registry: SqlRegistry) -> None:
    tz = datetime.timezone(datetime.timedelta(hours=-3))
    span = Timespan(datetime.datetime(2024, 3, 1, 21, 0, tzinfo=tz), datetime.datetime(2024, 3, 1, 22, 0, tzinfo=tz))
    registry.insert_data_units("day_obs", [{"instrument": "Cam1", "id": 20240301, "timespan": span}])
    (record,) = registry.fetch_data_unit_records("day_obs", [{"instrument": "Cam1", "id": 20240301}])
    assert record["timespan"] == Timespan(datetime.datetime(2024, 3, 2, 0, 0), datetime.datetime(2024, 3, 2, 1, 0))
    assert registry.insert_data_units("day_obs", [{"instrument": "Cam1", "id": 20240301, "timespan": span}],
                                      skip_existing=True) == 0


def test_batches_larger_than_one_in_list_are_split(registry: SqlRegistry) -> None:
    registry.insert_data_units("detector", [{"instrument": "Cam1", "id": i} for i in range(100, 1400)])
    data_ids = [calexp_id(1, i) for i in range(100, 1400)]
    refs = registry.insert_datasets("calexp", "run1", data_ids)
    assert registry.find_datasets("calexp", data_ids, ["run1"]) == refs
    assert registry.get_datasets([r.id for r in refs]) == refs
    registry.insert_artifacts([artifact(r) for r in refs])
    assert len(registry.get_artifacts([r.id for r in refs])) == len(refs)
    registry.remove_datasets([r.id for r in refs])
    assert registry.datasets_in_collection("run1") == []


# -- two processes ----------------------------------------------------------------------------


def _insert_from_another_process(url: str, visits: list[int]) -> int:
    with SqlRegistry.open(url) as registry:
        registry.register_collection("shared", CollectionKind.RUN)
        for visit in visits:
            with registry.transaction():
                (ref,) = registry.insert_datasets("calexp", "shared", [calexp_id(visit, 1)])
                registry.insert_artifacts([artifact(ref)])
        return len(visits)


def test_two_processes_inserting_into_one_run_lose_nothing(path: Path) -> None:
    with SqlRegistry.create(url_of(path), default_universe()) as registry:
        insert_standard_data_units(registry)
        registry.insert_data_units("visit", [{"instrument": "Cam1", "id": v} for v in range(100, 160)])
        registry.register_dataset_type(CALEXP)
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = [pool.apply_async(_insert_from_another_process, (url_of(path), list(range(start, 160, 2))))
                   for start in (100, 101)]
        assert [r.get(timeout=120) for r in results] == [30, 30]
    with SqlRegistry.open(url_of(path)) as registry:
        refs = registry.datasets_in_collection("shared")
        assert sorted(r.data_id["visit"] for r in refs) == list(range(100, 160))
        assert len(registry.get_artifacts([r.id for r in refs])) == 60
