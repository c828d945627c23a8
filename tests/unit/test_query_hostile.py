"""Hostile where expressions, bind values and SQL never escape as driver errors and never write.

Random and adversarial input goes through the whole path (parse, bind, resolve, compile, run
on SQLite); the only exceptions allowed out are databutler's own (QueryError and the other
domain errors). Afterwards the schema (``sqlite_master``) and every table's row count are
what they were before.
"""

from __future__ import annotations

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
from databutler.testing.hostile import BIND_SCALARS, BINDS, ORDERS, SQL, expressions, sqlite_state
from databutler.testing.registry import CALEXP

DATA_IDS = st.one_of(st.none(), st.just({"instrument": "Cam1"}), st.just({"instrument": "Cam2", "skymap": "SkyMap1"}),
                     st.dictionaries(st.sampled_from(["instrument", "visit", "bogus"]), BIND_SCALARS, max_size=2),
                     st.fixed_dictionaries({"instrument": st.just("Cam1"), "visit": BIND_SCALARS}))


snapshot = sqlite_state


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
