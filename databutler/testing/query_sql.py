"""The query contract, topic group. SQL SELECT and capabilities: the documented views, refusal of anything
but one SELECT, undeclared query capabilities refused, lazy results.

Adopt it alone by subclassing ``QuerySqlContract`` and providing ``make_registry`` (or ``populated``);
``QueryContract`` includes it.
"""

from __future__ import annotations

import types

import pytest

from ..domain.errors import CapabilityError, QueryError
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import (
    DETECTORS,
    INSTRUMENTS,
    VISITS,
)
from .query_support import QueryFixtures
from .requirements import refuses, requires


class QuerySqlContract(QueryFixtures):
    """SQL SELECT and capabilities of the query contract."""

    # == SQL SELECT ===============================================================================

    @requires(RegistryCapability.SQL_SELECT)
    def test_select_sql_reads_the_documented_views(self, queried: Registry) -> None:
        rows = queried.select_sql("SELECT run, count(*) AS n FROM v_dataset WHERE dataset_type = :t GROUP BY run",
                                  bind={"t": "calexp"})
        assert {r["run"]: r["n"] for r in rows} == {"run1": len(VISITS) * len(DETECTORS), "run2": 4}
        assert rows.columns == ("run", "n")
        chain = list(queried.select_sql("SELECT parent, position, child FROM v_collection_chain")
                     .order_by("position"))
        assert [r["child"] for r in chain] == ["run2", "run1"]
        assert queried.select_sql("SELECT * FROM v_visit_patch_overlap").count() == 16
        assert queried.select_sql("select name from v_collection").order_by("-name").limit(1).count() == 1

    @pytest.mark.parametrize("sql", [
        "DELETE FROM v_collection",
        "SELECT 1; DELETE FROM collection",
        "WITH doomed AS (SELECT 1) DELETE FROM collection",
        "WITH doomed AS (SELECT 1) INSERT INTO meta (key, value) SELECT 'x', 'y' FROM doomed",
        "SELECT * FROM v_dataset WHERE run = 'run1",
        "SELECT * FROM no_such_view",
    ])
    @requires(RegistryCapability.SQL_SELECT)
    def test_select_sql_refuses_anything_but_one_select(self, queried: Registry, sql: str) -> None:
        before = queried.select_sql("SELECT count(*) AS n FROM v_collection").count()
        with pytest.raises(QueryError):
            list(queried.select_sql(sql))
        assert before == queried.select_sql("SELECT count(*) AS n FROM v_collection").count()
        assert len(queried.query_collections()) == 5

    # == capabilities =============================================================================

    @refuses(RegistryCapability.QUERIES)
    def test_queries_are_refused_without_queries(self, populated: Registry) -> None:
        with pytest.raises(CapabilityError, match=RegistryCapability.QUERIES.value):
            populated.query_data_ids("visit")

    @refuses(RegistryCapability.SQL_SELECT)
    def test_select_sql_is_refused_without_sql_select(self, populated: Registry) -> None:
        with pytest.raises(CapabilityError, match=RegistryCapability.SQL_SELECT.value):
            populated.select_sql("SELECT 1")

    @requires(RegistryCapability.QUERIES)
    def test_results_are_lazy_objects_not_lists(self, queried: Registry) -> None:
        results = queried.query_data_ids("instrument")
        assert not isinstance(results, list | tuple | types.GeneratorType)
        assert sorted(d["instrument"] for d in results) == sorted(INSTRUMENTS)
        assert sorted(d["instrument"] for d in results) == sorted(INSTRUMENTS), "iterable again"
