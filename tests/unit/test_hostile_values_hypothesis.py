"""Hostile values anywhere a caller passes them raise only databutler's own errors, and break nothing.

Hypothesis generates DataIds, DataUnit records, where expressions with bind values, limits and
offsets, SQL text, and dataset type and collection names (``databutler.testing.hostile``), and
sends them through the Butler and the registry on SQLite (and a smaller run on PostgreSQL). After
every example: the only exception that came out is a ``DataButlerError``; a call that failed
changed no row and no table; and the registry still answers and still writes.

Examples per test: ``$DATABUTLER_HYPOTHESIS_EXAMPLES`` (the fault suite sets 10^4 or more), else a
modest default.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databutler import Butler
from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetType
from databutler.domain.errors import DataButlerError
from databutler.testing.data import insert_standard_data_units
from databutler.testing.hostile import (
    ANY_NAMES,
    BINDS,
    LIMITS,
    MORE_BIND_SCALARS,
    MORE_ORDERS,
    SQL,
    VALUES,
    WHERE,
    data_ids,
    example_count,
    records,
    sqlite_state,
)
from databutler.testing.postgres import PostgresServer, registry_section

UNITS = ("instrument", "visit", "detector")
VALID_ID = {"instrument": "Cam1", "visit": 1, "detector": 1}
ELEMENTS = {"instrument": {}, "detector": {"instrument": "Cam1"}, "physical_filter": {"instrument": "Cam1"},
            "visit": {"instrument": "Cam1"}, "exposure": {"instrument": "Cam1"}, "day_obs": {"instrument": "Cam1"},
            "skymap": {}, "tract": {"skymap": "SkyMap1"}, "visit_detector_region": {"instrument": "Cam1"}}
HOSTILE = settings(max_examples=example_count(), deadline=None, derandomize=False,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])
Snapshot = Callable[[], Any]


class Repo:
    """A Butler under attack, and a way to read its database without it (a backdoor)."""

    def __init__(self, butler: Butler, snapshot: Snapshot) -> None:
        self.butler = butler
        self.registry = butler.registry
        self.snapshot = snapshot

    def attempt(self, action: Callable[[], Any]) -> None:
        """Run ``action``; only a DataButlerError may escape, and if it does nothing may have changed."""
        before = self.snapshot()
        try:
            result = action()
            if isinstance(result, Iterator):
                list(result)
        except DataButlerError:
            assert self.snapshot() == before, "a call that failed changed the database"
        self.assert_usable()

    def assert_usable(self) -> None:
        """The registry still reads and writes (the write is undone)."""
        assert self.registry.get_collection("run1").kind is CollectionKind.RUN
        assert self.butler.get("calexp", VALID_ID) == {"n": 1}
        with pytest.raises(RuntimeError), self.registry.transaction():
            self.registry.register_collection("probe", CollectionKind.TAGGED)
            raise RuntimeError("undo the probe")


def prepare(butler: Butler) -> Butler:
    """The standard DataUnits, calexp, run1 and one stored calexp."""
    insert_standard_data_units(butler.registry)
    butler.registry.register_dataset_type(DatasetType("calexp", UNITS, "StructuredData"))
    butler.register_collection("run1", CollectionKind.RUN)
    butler.put({"n": 1}, "calexp", VALID_ID)
    return butler


def sqlite_snapshot(path: Path) -> Snapshot:
    return functools.partial(sqlite_state, path)


@pytest.fixture(scope="module")
def sqlite_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    root = tmp_path_factory.mktemp("hostile") / "repo"
    Butler.create(root).close()
    with Butler(root, run="run1", collections=["run1"]) as butler:
        yield Repo(prepare(butler), sqlite_snapshot(root / "registry.sqlite3"))


# -- one function per input kind, shared by both backends ------------------------------------------


def put_data_id(repo: Repo, data_id: Any, obj: Any) -> None:
    repo.attempt(lambda: repo.butler.put(obj, "calexp", data_id))


def look_up_data_id(repo: Repo, data_id: Any, which: int) -> None:
    registry = repo.registry
    actions: list[Callable[[], Any]] = [
        lambda: registry.find_datasets("calexp", [data_id], ["run1"]),
        lambda: registry.expand_data_ids(UNITS, [data_id]),
        lambda: repo.butler.get("calexp", data_id),
        lambda: registry.insert_datasets("calexp", "run1", [data_id, VALID_ID]),
        lambda: registry.fetch_data_unit_records("visit", [data_id]),
    ]
    repo.attempt(actions[which % len(actions)])


def insert_record(repo: Repo, element: str, record: Any) -> None:
    repo.attempt(lambda: repo.registry.insert_data_units(element, [record]))


def query(repo: Repo, kind: int, where: str, bind: Any, order: list[str], limit: Any,  # noqa: PLR0917
          offset: Any) -> None:
    registry = repo.registry

    def run() -> None:
        if kind == 0:
            results: Any = registry.query_datasets("calexp", ["run1"], where=where, bind=bind)
        elif kind == 1:
            results = registry.query_data_ids(("visit", "detector"), where=where, bind=bind, datasets="calexp")
        else:
            results = registry.query_data_unit_records("visit", where=where, bind=bind)
        if order:
            results = results.order_by(*order)
        if limit is not None:
            results = results.limit(limit, offset) if offset is not None else results.limit(limit)
        list(results)
        results.count()
        results.any()

    repo.attempt(run)


def use_name(repo: Repo, name: Any, which: int) -> None:
    registry = repo.registry
    actions: list[Callable[[], Any]] = [
        lambda: registry.register_dataset_type(DatasetType(name, ("instrument",), "StructuredData")),
        lambda: registry.register_collection(name, CollectionKind.RUN),
        lambda: registry.register_collection(name, CollectionKind.TAGGED),
        lambda: registry.find_datasets("calexp", [VALID_ID], [name]),
        lambda: registry.query_datasets(name, ["run1"]),
        lambda: registry.query_collections(name),
        lambda: registry.get_collection(name),
        lambda: registry.get_dataset_type(name),
        lambda: registry.set_chain(name, ["run1"]),
        lambda: repo.butler.define_chain(f"chain_{abs(hash(repr(name))) % 1000}", ["run1", name]),
        lambda: registry.associate(name, registry.find_datasets("calexp", [VALID_ID], ["run1"])),  # type: ignore[arg-type]
        lambda: repo.butler.put({"n": 2}, "calexp", VALID_ID, run=name),
    ]
    if which % len(actions) == len(actions) - 1:  # a put creates its run first, by design: make it beforehand
        repo.attempt(actions[1])
    repo.attempt(actions[which % len(actions)])


def select(repo: Repo, sql: str, bind: Any, limit: Any) -> None:
    def run() -> None:
        results = repo.registry.select_sql(sql, bind)
        if limit is not None:
            results = results.limit(limit)
        list(results)
        results.count()

    repo.attempt(run)


OBJECTS = st.one_of(st.just({"n": 3}), VALUES)
QUERY_BINDS = st.one_of(st.none(), BINDS, st.dictionaries(st.sampled_from(["v", "list"]), st.one_of(
    MORE_BIND_SCALARS, st.lists(MORE_BIND_SCALARS, max_size=3)), max_size=2))
KINDS = st.integers(0, 20)
ELEMENT_RECORDS = st.sampled_from(sorted(ELEMENTS)).flatmap(
    lambda element: st.tuples(st.just(element), records(default_universe(), element, ELEMENTS[element])))


# -- SQLite -----------------------------------------------------------------------------------------


@HOSTILE
@given(data_id=data_ids(UNITS, VALID_ID), obj=OBJECTS)
def test_put_with_hostile_data_ids_raises_only_domain_errors(sqlite_repo: Repo, data_id: Any, obj: Any) -> None:
    put_data_id(sqlite_repo, data_id, obj)


@HOSTILE
@given(data_id=data_ids(UNITS, VALID_ID), which=KINDS)
def test_lookups_with_hostile_data_ids_raise_only_domain_errors(sqlite_repo: Repo, data_id: Any, which: int) -> None:
    look_up_data_id(sqlite_repo, data_id, which)


@HOSTILE
@given(element_record=ELEMENT_RECORDS)
def test_hostile_records_raise_only_domain_errors(sqlite_repo: Repo, element_record: tuple[str, Any]) -> None:
    insert_record(sqlite_repo, *element_record)


@HOSTILE
@given(kind=st.integers(0, 2), where=WHERE, bind=QUERY_BINDS, order=MORE_ORDERS, limit=LIMITS, offset=LIMITS)
def test_hostile_queries_limits_and_offsets_raise_only_domain_errors(  # noqa: PLR0917
        sqlite_repo: Repo, kind: int, where: str, bind: Any, order: list[str], limit: Any, offset: Any) -> None:
    query(sqlite_repo, kind, where, bind, order, limit, offset)


@HOSTILE
@given(name=ANY_NAMES, which=KINDS)
def test_hostile_names_raise_only_domain_errors(sqlite_repo: Repo, name: Any, which: int) -> None:
    use_name(sqlite_repo, name, which)


@HOSTILE
@given(sql=SQL, bind=QUERY_BINDS, limit=LIMITS)
def test_hostile_sql_and_binds_raise_only_domain_errors(sqlite_repo: Repo, sql: str, bind: Any, limit: Any) -> None:
    select(sqlite_repo, sql, bind, limit)


# -- PostgreSQL (a smaller run) ---------------------------------------------------------------------

POSTGRES = settings(HOSTILE, max_examples=max(1, example_count() // 4))


@pytest.fixture
def postgres_repo(tmp_path: Path, postgres_server: PostgresServer, postgres_schema: str,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    registry = registry_section(postgres_server, postgres_schema, monkeypatch)
    Butler.create(tmp_path / "repo", config={"registry": registry}).close()
    engine = sa.create_engine(postgres_server.url())

    def snapshot() -> dict[str, int]:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names(schema=postgres_schema)
            return {t: connection.exec_driver_sql(f'SELECT count(*) FROM "{postgres_schema}"."{t}"').scalar_one()
                    for t in tables}

    try:
        with Butler(tmp_path / "repo", run="run1", collections=["run1"]) as butler:
            assert isinstance(butler.registry, SqlRegistry)
            yield Repo(prepare(butler), snapshot)
    finally:
        engine.dispose()


@POSTGRES
@given(data_id=data_ids(UNITS, VALID_ID), obj=OBJECTS, which=KINDS)
def test_postgres_hostile_data_ids_raise_only_domain_errors(postgres_repo: Repo, data_id: Any, obj: Any,
                                                            which: int) -> None:
    put_data_id(postgres_repo, data_id, obj)
    look_up_data_id(postgres_repo, data_id, which)


@POSTGRES
@given(element_record=ELEMENT_RECORDS, name=ANY_NAMES, which=KINDS)
def test_postgres_hostile_records_and_names_raise_only_domain_errors(
        postgres_repo: Repo, element_record: tuple[str, Any], name: Any, which: int) -> None:
    insert_record(postgres_repo, *element_record)
    use_name(postgres_repo, name, which)


@POSTGRES
@given(kind=st.integers(0, 2), where=WHERE, bind=st.one_of(st.none(), BINDS), limit=LIMITS, offset=LIMITS,
       sql=SQL)
def test_postgres_hostile_queries_and_sql_raise_only_domain_errors(  # noqa: PLR0917
        postgres_repo: Repo, kind: int, where: str, bind: Any, limit: Any, offset: Any, sql: str) -> None:
    query(postgres_repo, kind, where, bind, [], limit, offset)
    select(postgres_repo, sql, bind, limit)


# -- the escapes found before, named --------------------------------------------------------------

KNOWN: list[tuple[str, Callable[[Repo], Any]]] = [
    ("visit 2**63 on put", lambda repo: repo.butler.put({"n": 2}, "calexp", {**VALID_ID, "visit": 2**63})),
    ("limit 10**30", lambda repo: list(repo.registry.query_datasets("calexp", ["run1"]).limit(10**30))),
    ("offset 10**30", lambda repo: list(repo.registry.query_data_ids(UNITS).limit(1, 10**30))),
    ("lone surrogate in a DataId", lambda repo: repo.butler.put({"n": 2}, "calexp",
                                                                {**VALID_ID, "instrument": "\ud800"})),
    ("lone surrogate in a record", lambda repo: repo.registry.insert_data_units(
        "detector", [{"instrument": "Cam1", "id": 99, "full_name": "S\ud800"}])),
    ("NUL in a record", lambda repo: repo.registry.insert_data_units(
        "detector", [{"instrument": "Cam1", "id": 98, "full_name": "S\x00"}])),
    ("NaN in a record", lambda repo: repo.registry.insert_data_units(
        "visit", [{"instrument": "Cam1", "id": 97, "physical_filter": "Cam1-g", "day_obs": 20240101,
                   "exposure_time": float("nan")}])),
    ("2**63 in a record", lambda repo: repo.registry.insert_data_units(
        "detector", [{"instrument": "Cam1", "id": 2**63}])),
    ("aware datetime before year 1 in UTC", lambda repo: repo.registry.insert_data_units(
        "exposure", [{"instrument": "Cam1", "id": 96, "physical_filter": "Cam1-g", "day_obs": 20240101,
                      "timespan": (datetime.datetime.min.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=5))),
                                   None)}])),
    ("a data ID that is not a mapping", lambda repo: repo.butler.get("calexp", "visit=1")),
    ("a list as a dataset type name", lambda repo: repo.registry.get_dataset_type([])),  # type: ignore[arg-type]
    ("a list as a chain name", lambda repo: repo.registry.set_chain([], ["run1"])),  # type: ignore[arg-type]
    ("a number as a dataset type", lambda repo: repo.butler.get(123)),  # type: ignore[arg-type]
    ("a number as a collection pattern", lambda repo: repo.registry.query_collections(123)),  # type: ignore[arg-type]
    ("a bind that is not a mapping, with an empty where", lambda repo: list(repo.registry.query_datasets(
        "calexp", ["run1"], where=" ", bind=2))),  # type: ignore[arg-type]
    ("None as a dataset type name", lambda repo: repo.registry.register_dataset_type(
        DatasetType(None, ("instrument",), "StructuredData"))),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("what", "action"), KNOWN, ids=[what for what, _ in KNOWN])
def test_known_hostile_values_are_domain_errors_on_sqlite(sqlite_repo: Repo, what: str,
                                                          action: Callable[[Repo], Any]) -> None:
    before = sqlite_repo.snapshot()
    with pytest.raises(DataButlerError):
        action(sqlite_repo)
    assert sqlite_repo.snapshot() == before
    sqlite_repo.assert_usable()


@pytest.mark.parametrize(("what", "action"), KNOWN, ids=[what for what, _ in KNOWN])
def test_known_hostile_values_are_domain_errors_on_postgres(postgres_repo: Repo, what: str,
                                                            action: Callable[[Repo], Any]) -> None:
    before = postgres_repo.snapshot()
    with pytest.raises(DataButlerError):
        action(postgres_repo)
    assert postgres_repo.snapshot() == before
    postgres_repo.assert_usable()


# -- the limited registry (journals instead of SQL) --------------------------------------------------------


@pytest.fixture(scope="module")
def limited_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    root = tmp_path_factory.mktemp("hostile_limited") / "repo"
    Butler.create(root, config={"registry": {"adapter": "limited", "root": "{root}/registry"}}).close()

    def snapshot() -> list[tuple[str, int]]:
        """The journal files and their sizes (a backdoor: a failed call must append nothing)."""
        return sorted((str(path.relative_to(root)), path.stat().st_size) for path in (root / "registry").rglob("*")
                      if path.is_file())

    with Butler(root, run="run1", collections=["run1"]) as butler:
        yield Repo(prepare(butler), snapshot)


@POSTGRES
@given(data_id=data_ids(UNITS, VALID_ID), obj=OBJECTS, which=KINDS, element_record=ELEMENT_RECORDS, name=ANY_NAMES)
def test_limited_registry_hostile_values_raise_only_domain_errors(  # noqa: PLR0917
        limited_repo: Repo, data_id: Any, obj: Any, which: int, element_record: tuple[str, Any], name: Any) -> None:
    put_data_id(limited_repo, data_id, obj)
    look_up_data_id(limited_repo, data_id, which)
    insert_record(limited_repo, *element_record)
    use_name(limited_repo, name, which)


def test_a_value_the_domain_let_through_is_still_a_domain_error_from_the_driver(
        sqlite_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    # The last resort: with the domain's metadata check switched off, the driver's OverflowError and
    # UnicodeEncodeError come out translated, and nothing is written.
    from databutler.domain import records  # where the registries' shared record rules run
    monkeypatch.setattr(records, "is_plain_valid", lambda value, field_type, length: True)
    for full_name in (2**64, "S\ud800"):
        before = sqlite_repo.snapshot()
        with pytest.raises(DataButlerError, match="cannot be stored"):
            sqlite_repo.registry.insert_data_units("detector",
                                                   [{"instrument": "Cam1", "id": 77, "full_name": full_name}])
        assert sqlite_repo.snapshot() == before
    monkeypatch.undo()
    sqlite_repo.assert_usable()
