"""The settings a PostgreSQL registry session starts with, and a url's own ``options`` overriding them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetType
from databutler.testing.postgres import PostgresServer

SUMMARY = DatasetType("summary", ("instrument", "visit", "detector"), "StructuredData")


def setting(registry: SqlRegistry, name: str) -> str:
    return str(registry._session.connection.exec_driver_sql(f"SHOW {name}").scalar_one())


@pytest.fixture
def registry(postgres_server: PostgresServer, postgres_schema: str) -> Iterator[SqlRegistry]:
    with SqlRegistry.create(postgres_server.url(), default_universe(), namespace=postgres_schema,
                            busy_timeout_s=7) as made:
        yield made


def test_a_session_plans_kept_statements_generically_without_parallel_workers_or_jit(registry: SqlRegistry) -> None:
    assert setting(registry, "plan_cache_mode") == "force_generic_plan"
    assert setting(registry, "max_parallel_workers_per_gather") == "0"
    assert setting(registry, "jit") == "off"
    assert setting(registry, "lock_timeout") == "7s"


def test_a_repeated_find_runs_on_one_generic_plan(registry: SqlRegistry) -> None:
    """psycopg prepares the find after five runs; PostgreSQL then plans it once, not once a run."""
    registry.insert_data_units("instrument", [{"name": "Cam", "detector_max": 4, "visit_max": 10}])
    registry.insert_data_units("detector", [{"instrument": "Cam", "id": d} for d in range(4)])
    registry.insert_data_units("visit", [{"instrument": "Cam", "id": 1}])
    registry.register_dataset_type(SUMMARY)
    registry.register_collection("run", CollectionKind.RUN)
    refs = registry.insert_datasets("summary", "run", [{"instrument": "Cam", "visit": 1, "detector": d}
                                                       for d in range(4)])
    for _ in range(3):
        for detector, ref in enumerate(refs):
            assert registry.find_datasets("summary", [{"instrument": "Cam", "visit": 1, "detector": detector}],
                                          ["run"]) == [ref]
    plans = registry._session.connection.exec_driver_sql(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %(find)s",
        {"find": "%data_id_key%"}).all()
    assert plans, "the find was kept as a prepared statement"
    assert all(custom == 0 for _generic, custom in plans)
    assert sum(generic for generic, _custom in plans) >= 12 - 5


def test_the_urls_own_options_win(postgres_server: PostgresServer, postgres_schema: str) -> None:
    url = sa.make_url(postgres_server.url()).update_query_dict(
        {"options": "-c plan_cache_mode=auto -c lock_timeout=1234"})
    url_text = url.render_as_string(hide_password=False)
    with SqlRegistry.create(url_text, default_universe(), namespace=postgres_schema, busy_timeout_s=7) as made:
        assert setting(made, "plan_cache_mode") == "auto"
        assert setting(made, "lock_timeout") == "1234ms"
        assert setting(made, "max_parallel_workers_per_gather") == "0", "the settings it did not name are kept"
