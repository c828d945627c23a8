"""How the SQL registry stores certifications: PostgreSQL's exclusion constraint, exact times, the layered release.

The rules (overlaps refused, decertify splitting) are the contract suite's (databutler/testing/
registry_calibrations.py); these tests look under them, at what the database itself guarantees.
"""

from __future__ import annotations

import datetime
import multiprocessing
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from databutler import CalibrationConflictError, CollectionKind, DatasetType, ReleaseWriteError, Timespan
from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.calibration_schema import UNBOUNDED_BEGIN, UNBOUNDED_END, from_columns, to_columns
from databutler.adapters.sql.release import Release
from databutler.config.universe import default_universe
from databutler.domain.calibration import Certification
from databutler.testing.data import insert_standard_data_units
from databutler.testing.postgres import PostgresServer

BIAS = DatasetType("bias", ("instrument", "detector"), "StructuredData", is_calibration=True)
DAY = datetime.datetime(2024, 1, 1)


def filled(registry: SqlRegistry) -> SqlRegistry:
    insert_standard_data_units(registry)
    registry.register_dataset_type(BIAS)
    registry.register_collection("b", CollectionKind.RUN)
    registry.register_collection("calib", CollectionKind.CALIBRATION)
    return registry


def test_times_are_stored_exactly_and_unbounded_ends_as_the_int64_extremes() -> None:
    span = Timespan(datetime.datetime(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59, 999999))
    assert from_columns(*to_columns(span)) == span
    assert to_columns(Timespan(None, None)) == (UNBOUNDED_BEGIN, UNBOUNDED_END)
    assert from_columns(*to_columns(Timespan(DAY, None))) == Timespan(DAY, None)
    assert to_columns(Timespan(DAY, DAY + datetime.timedelta(microseconds=1))) == (
        1_704_067_200_000_000, 1_704_067_200_000_001)


@pytest.fixture
def on_postgres(postgres_server: PostgresServer, postgres_schema: str) -> Iterator[SqlRegistry]:
    with SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema) as registry:
        yield filled(registry)


def test_postgresql_itself_refuses_an_overlap_the_rules_did_not_see(on_postgres: SqlRegistry,
                                                                    postgres_server: PostgresServer,
                                                                    postgres_schema: str) -> None:
    """The storage hook is called past the rules, as a concurrent writer would get there: the exclusion
    constraint refuses, the error names both ranges, and the stored range is unchanged."""
    registry = on_postgres
    (ref,) = registry.insert_datasets("bias", "b", [{"instrument": "Cam1", "detector": 1}])
    registry.certify("calib", [ref], Timespan(DAY, DAY + datetime.timedelta(days=2)))
    with pytest.raises(CalibrationConflictError, match=r"\[2024-01-01T00:00:00, 2024-01-03T00:00:00\)"):
        registry._insert_certifications("calib", [Certification(ref, Timespan(DAY + datetime.timedelta(days=1),
                                                                               None))])
    assert [c.timespan for c in registry.query_certifications("calib")] == [
        Timespan(DAY, DAY + datetime.timedelta(days=2))]
    engine = sa.create_engine(postgres_server.url())
    with engine.connect() as connection:
        kinds = connection.execute(sa.text(
            "SELECT conname FROM pg_constraint WHERE contype = 'x' AND conrelid = CAST(:t AS regclass)"),
            {"t": f'"{postgres_schema}".dataset_calib'}).scalars().all()
    engine.dispose()
    assert kinds == ["ex_dataset_calib_overlap"]


def exclusions(server: PostgresServer, database: str, schema: str) -> list[str]:
    """The exclusion constraints on ``schema``.dataset_calib, asked as the superuser."""
    engine = sa.create_engine(server.url(database=database))
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE contype = 'x' AND conrelid = CAST(:t AS regclass)"),
                {"t": f'"{schema}".dataset_calib'}).scalars())
    finally:
        engine.dispose()


def test_a_sqlite_database_refuses_an_empty_or_reversed_stored_range(tmp_path: Path) -> None:
    with SqlRegistry.create(f"sqlite:///{tmp_path}/r.sqlite3", default_universe()) as registry:
        filled(registry)
        (ref,) = registry.insert_datasets("bias", "b", [{"instrument": "Cam1", "detector": 1}])
    engine = sa.create_engine(f"sqlite:///{tmp_path}/r.sqlite3")
    with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError, match="ck_dataset_calib_range"):
        connection.execute(sa.text("INSERT INTO dataset_calib VALUES (2, 1, 'k', 5, 5, :id)"), {"id": ref.id.hex})
    engine.dispose()


def test_a_personal_registry_reads_the_release_certifications_and_cannot_change_them(tmp_path: Path) -> None:
    release_url = f"sqlite:///{tmp_path}/release.sqlite3"
    with SqlRegistry.create(release_url, default_universe()) as release:
        filled(release)
        (old,) = release.insert_datasets("bias", "b", [{"instrument": "Cam1", "detector": 1}])
        release.certify("calib", [old], Timespan(None, DAY))
    with SqlRegistry.create(f"sqlite:///{tmp_path}/personal.sqlite3", default_universe(),
                            release=Release(url=release_url)) as personal:
        data_id = [{"instrument": "Cam1", "detector": 1}]
        before = Timespan(DAY - datetime.timedelta(days=1), DAY - datetime.timedelta(days=1))
        assert personal.find_datasets("bias", data_id, ["calib"], timespan=before) == [old]
        with pytest.raises(ReleaseWriteError, match="calib"):
            personal.certify("calib", [old], Timespan(DAY, None))
        with pytest.raises(ReleaseWriteError, match="calib"):
            personal.decertify("calib", "bias", Timespan(None, None))
        personal.register_collection("mine/calib", CollectionKind.CALIBRATION)
        personal.register_collection("mine/b", CollectionKind.RUN)
        (new,) = personal.insert_datasets("bias", "mine/b", data_id)
        personal.certify("mine/calib", [new], Timespan(DAY, None))
        personal.register_collection("search", CollectionKind.CHAINED)
        personal.set_chain("search", ["mine/calib", "calib"])
        assert personal.find_datasets("bias", data_id, ["search"], timespan=before) == [old]
        assert personal.find_datasets("bias", data_id, ["search"], timespan=Timespan(DAY, DAY)) == [new]
        assert [c.ref for c in personal.query_certifications("calib")] == [old]


WRITERS = 4


def _certifier(url: str, namespace: str | None, dataset_id: str, barrier: Any, results: Any) -> None:
    """Certify one dataset for an unbounded range, at the same moment as the other writers."""
    try:
        with SqlRegistry.open(url, namespace=namespace) as registry:
            (ref,) = registry.get_datasets([uuid.UUID(dataset_id)])
            assert ref is not None
            barrier.wait(timeout=60)
            try:
                registry.certify("calib", [ref], Timespan(None, None))
                results.put((dataset_id, "certified"))
            except CalibrationConflictError:
                results.put((dataset_id, "conflict"))
    except BaseException:
        results.put((dataset_id, traceback.format_exc()))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_writers_certifying_overlapping_ranges_at_once_leave_exactly_one(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Four processes certify four datasets of one DataId for all time, at once: one wins, three are refused."""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url, namespace = server.url(), request.getfixturevalue("postgres_schema")
    else:
        url, namespace = f"sqlite:///{tmp_path}/r.sqlite3", None
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as registry:
        filled(registry)
        for run in range(WRITERS):
            registry.register_collection(f"b{run}", CollectionKind.RUN)
        ids = [str(registry.insert_datasets("bias", f"b{run}", [{"instrument": "Cam1", "detector": 1}])[0].id)
               for run in range(WRITERS)]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WRITERS), context.Queue()
    workers = [context.Process(target=_certifier, args=(url, namespace, i, barrier, results)) for i in ids]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(outcomes.values()) == ["certified", *["conflict"] * (WRITERS - 1)], outcomes
    with SqlRegistry.open(url, namespace=namespace) as registry:
        stored = registry.query_certifications("calib")
    winner = next(i for i, outcome in outcomes.items() if outcome == "certified")
    assert [(str(c.ref.id), c.timespan) for c in stored] == [(winner, Timespan(None, None))]


def test_a_role_that_cannot_create_btree_gist_still_has_overlaps_refused(
        postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture) -> None:
    """No CREATE on the database: the registry is made without the exclusion constraint, says so, and its
    own check (under a table lock) refuses an overlap; a database where an owner made the extension gets it."""
    role = postgres_server.create_role("calib")
    name = postgres_server.create_database()
    try:
        postgres_server.execute(f'CREATE SCHEMA mine AUTHORIZATION "{role.name}"', database=name)
        url = postgres_server.url(user=role.name, password=role.password, database=name)
        with caplog.at_level("WARNING"), SqlRegistry.create(url, default_universe(), namespace="mine") as registry:
            filled(registry)
            (ref,) = registry.insert_datasets("bias", "b", [{"instrument": "Cam1", "detector": 1}])
            registry.certify("calib", [ref], Timespan(DAY, None))
            with pytest.raises(CalibrationConflictError, match="overlaps"):
                registry.certify("calib", [ref], Timespan(None, DAY + datetime.timedelta(hours=1)))
            assert [c.timespan for c in registry.query_certifications("calib")] == [Timespan(DAY, None)]
        assert "btree_gist" in caplog.text
        assert exclusions(postgres_server, name, "mine") == []
        postgres_server.execute("CREATE EXTENSION btree_gist", database=name)  # what a database owner does
        postgres_server.execute(f'CREATE SCHEMA second AUTHORIZATION "{role.name}"', database=name)
        SqlRegistry.create(url, default_universe(), namespace="second").close()
        assert exclusions(postgres_server, name, "second") == ["ex_dataset_calib_overlap"]
    finally:
        postgres_server.drop_database(name)
        postgres_server.drop_role(role)
