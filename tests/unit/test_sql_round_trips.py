"""What the SQL registry sends the database: remembered chains, batched reads, COPY for bulk inserts.

The statement counts are what makes PostgreSQL close to SQLite (each statement is a round trip to
the server); the answers must stay those of a registry that remembers nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from databutler.adapters.sql import SqlRegistry
from databutler.adapters.sql.dialect import ARRAY_CHUNK, COPY_MIN_ROWS
from databutler.adapters.sql.query.executor import BATCH_ROWS
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, DatasetType
from databutler.domain.errors import ConflictingDefinitionError, DataIdError

DETECTORS = 2 * BATCH_ROWS + 500
SUMMARY = DatasetType("summary", ("instrument", "visit", "detector"), "StructuredData")


@pytest.fixture
def registry(sql_database: tuple[str, str | None]) -> Iterator[SqlRegistry]:
    url, namespace = sql_database
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as made:
        made.insert_data_units("instrument", [{"name": "Big", "detector_max": DETECTORS, "visit_max": 10}])
        made.insert_data_units("detector", [{"instrument": "Big", "id": d} for d in range(DETECTORS)])
        made.insert_data_units("visit", [{"instrument": "Big", "id": v} for v in (1, 2)])
        made.register_dataset_type(SUMMARY)
        for run in ("run1", "run2"):
            made.register_collection(run, CollectionKind.RUN)
        made.register_collection("chain", CollectionKind.CHAINED)
        yield made


def data_ids(visit: int, detectors: range) -> list[dict[str, Any]]:
    return [{"instrument": "Big", "visit": visit, "detector": d} for d in detectors]


def counting(registry: SqlRegistry) -> list[str]:
    """The SQL statements the registry sends from now on (SQLAlchemy's own; a BEGIN is not one of them)."""
    sent: list[str] = []
    sa.event.listen(registry._session._engine, "before_cursor_execute",
                    lambda _c, _cur, statement, *_: sent.append(statement))
    return sent


def test_a_chain_is_read_again_only_after_it_changes(registry: SqlRegistry) -> None:
    (one,) = registry.insert_datasets("summary", "run1", data_ids(1, range(1)))
    (two,) = registry.insert_datasets("summary", "run2", data_ids(1, range(1)))
    registry.set_chain("chain", ["run1", "run2"])
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [one]
    sent = counting(registry)
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [one]
    # One statement: the search, guarded by the chain version it was resolved at (the chain is remembered).
    assert len(sent) == 1, sent
    assert "meta" in sent[0] and "chain_closure" not in sent[0]
    sent.clear()
    assert registry.find_datasets("summary", data_ids(2, range(1)), ["chain"]) == [None]
    assert len(sent) == 3, sent  # nothing found: the version is read again, and the search made unguarded
    registry.set_chain("chain", ["run2", "run1"])
    sent.clear()
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [two]
    assert "chain_closure" in " ".join(sent)  # the version moved: the chain was read again


def test_a_guarded_find_sees_a_chain_another_registry_changed(registry: SqlRegistry,
                                                              sql_database: tuple[str, str | None]) -> None:
    (one,) = registry.insert_datasets("summary", "run1", data_ids(1, range(1)))
    (two,) = registry.insert_datasets("summary", "run2", data_ids(1, range(1)))
    registry.set_chain("chain", ["run1", "run2"])
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [one]
    url, namespace = sql_database
    with SqlRegistry.open(url, namespace=namespace) as other:
        other.set_chain("chain", ["run2"])
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [two]


def test_a_failed_chain_change_leaves_the_remembered_chain_as_stored(registry: SqlRegistry) -> None:
    (one,) = registry.insert_datasets("summary", "run1", data_ids(1, range(1)))
    registry.insert_datasets("summary", "run2", data_ids(1, range(1)))
    registry.set_chain("chain", ["run1", "run2"])
    with pytest.raises(RuntimeError), registry.transaction():
        registry.set_chain("chain", ["run2"])
        raise RuntimeError("the caller gives up")
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [one]
    assert registry.get_collection("chain").children == ("run1", "run2")


@pytest.mark.parametrize("limit", [None, BATCH_ROWS, BATCH_ROWS + 1, 5])
def test_queries_larger_than_one_batch_return_every_row_once(registry: SqlRegistry, limit: int | None) -> None:
    stored = registry.insert_datasets("summary", "run1", data_ids(1, range(DETECTORS)))
    found = list(registry.query_datasets("summary", ["chain", "run1"], limit=limit, order_by=["detector"]))
    expected = sorted(stored, key=lambda ref: ref.data_id["detector"])[:limit]
    assert found == expected
    assert len({ref.id for ref in found}) == len(found)


def test_a_bulk_insert_that_clashes_stores_nothing_and_names_the_dataset(registry: SqlRegistry) -> None:
    """On PostgreSQL a batch of COPY_MIN_ROWS rows or more goes by COPY; a clash fails it whole, as an INSERT."""
    first = registry.insert_datasets("summary", "run1", data_ids(1, range(COPY_MIN_ROWS)))
    assert len(first) == COPY_MIN_ROWS
    clashing = data_ids(2, range(COPY_MIN_ROWS)) + data_ids(1, range(COPY_MIN_ROWS - 1, COPY_MIN_ROWS))
    with pytest.raises(ConflictingDefinitionError, match=r"already exists in run 'run1'"):
        registry.insert_datasets("summary", "run1", clashing)
    # Nothing of the refused batch is stored; the registry goes on working.
    assert registry.find_datasets("summary", data_ids(2, range(3)), ["run1"]) == [None, None, None]
    assert len(registry.datasets_in_collection("run1", "summary")) == COPY_MIN_ROWS
    again = registry.insert_datasets("summary", "run1", data_ids(2, range(COPY_MIN_ROWS)))
    assert registry.find_datasets("summary", data_ids(2, range(1)), ["run1"]) == again[:1]


def test_tagging_more_datasets_than_one_lookup_holds(registry: SqlRegistry) -> None:
    """Lookups go 10^4 values at a time (ARRAY_CHUNK): a batch across that bound is checked and tagged whole."""
    registry.insert_data_units("visit", [{"instrument": "Big", "id": v} for v in (3, 4, 5)])
    refs = [ref for visit in range(1, 6) for ref in registry.insert_datasets("summary", "run1",
                                                                               data_ids(visit, range(DETECTORS)))]
    assert len(refs) > ARRAY_CHUNK
    registry.register_collection("tag", CollectionKind.TAGGED)
    registry.associate("tag", refs[:ARRAY_CHUNK + 7])
    registry.associate("tag", refs)  # those already there are kept, the rest added
    assert {ref.id for ref in registry.datasets_in_collection("tag", "summary")} == {ref.id for ref in refs}
    (other,) = registry.insert_datasets("summary", "run2", data_ids(5, range(DETECTORS - 1, DETECTORS)))
    with pytest.raises(ConflictingDefinitionError, match="already there"):
        registry.associate("tag", [other])
    assert len(registry.datasets_in_collection("tag", "summary")) == len(refs)


def test_data_ids_with_datasets_ask_for_one_dataset_each_and_answer_as_a_join_would(registry: SqlRegistry) -> None:
    """query_data_ids(..., datasets=) uses EXISTS (the first dataset answers); the DataIds are those having one."""
    registry.insert_data_units("visit", [{"instrument": "Big", "id": v, "name": f"n{v}"} for v in (3, 4, 5)])
    registry.insert_datasets("summary", "run1", data_ids(3, range(5)))
    registry.insert_datasets("summary", "run2", data_ids(5, range(2)))
    registry.set_chain("chain", ["run2", "run1"])
    named = "visit.name != 'none'"  # a field of the visit records: the visit table is in the query either way
    sent = counting(registry)
    found = {d["visit"] for d in registry.query_data_ids("visit", where=named, datasets="summary",
                                                        collections=["chain"])}
    assert found == {3, 5}  # visit 4 has no dataset, visits 1 and 2 no name
    assert "EXISTS" in sent[-1].upper()
    if registry._session._engine.dialect.name == "postgresql":  # no statistics read per run when planning
        assert ".run_id + 0) IN (" in sent[-1]
    assert {d["visit"] for d in registry.query_data_ids("visit", where=named, datasets="summary",
                                                        collections=["run2"])} == {5}
    registry.set_chain("chain", ["run1"])
    assert {d["visit"] for d in registry.query_data_ids("visit", where=named, datasets="summary",
                                                        collections=["chain"])} == {3}


def test_a_search_through_an_empty_chain_finds_nothing(registry: SqlRegistry) -> None:
    """No run to search: the run list written into the statement is empty, which PostgreSQL's IN refuses."""
    registry.insert_datasets("summary", "run1", data_ids(1, range(3)))
    assert registry.get_collection("chain").children == ()
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [None]
    for find_first in (True, False):
        assert list(registry.query_datasets("summary", ["chain"], find_first=find_first)) == []
    assert list(registry.query_data_ids("visit", datasets="summary", collections=["chain"])) == []
    assert len(list(registry.query_datasets("summary", ["chain", "run1"]))) == 3  # and the rest still works


def test_a_query_through_a_remembered_chain_is_one_statement(registry: SqlRegistry) -> None:
    registry.insert_datasets("summary", "run1", data_ids(1, range(3)))
    registry.insert_datasets("summary", "run2", data_ids(2, range(2)))
    registry.set_chain("chain", ["run2", "run1"])
    assert len(list(registry.query_datasets("summary", ["chain"]))) == 5  # resolves the chain: remembered
    sent = counting(registry)
    for find_first in (False, True):
        found = registry.query_datasets("summary", ["chain"], where="instrument = 'Big' AND visit = 1",
                                        find_first=find_first)
        assert sorted(r.data_id["detector"] for r in found) == [0, 1, 2]
    assert {d["visit"] for d in registry.query_data_ids("visit", datasets="summary", collections=["chain"])} == {1, 2}
    # One statement each: the query, guarded by the chain version (no separate read of it).
    assert len(sent) == 3 and all("meta" in s for s in sent), sent
    sent.clear()
    assert list(registry.query_datasets("summary", ["chain"], where="instrument = 'Big' AND visit = 3")) == []
    assert len(sent) == 2, sent  # nothing found: the version is read to tell "none" from "the chain changed"


def test_a_guarded_query_sees_a_chain_another_registry_changed(registry: SqlRegistry,
                                                               sql_database: tuple[str, str | None]) -> None:
    registry.insert_datasets("summary", "run1", data_ids(1, range(3)))
    registry.insert_datasets("summary", "run2", data_ids(2, range(2)))
    registry.set_chain("chain", ["run1"])
    query = registry.query_datasets("summary", ["chain"], where="visit = 2")
    assert list(query) == [] and query.count() == 0 and not query.any()
    url, namespace = sql_database
    with SqlRegistry.open(url, namespace=namespace) as other:
        other.set_chain("chain", ["run2"])
    # Made before the change, asked after it: each answer is the chain's as it is now.
    assert sorted(r.data_id["detector"] for r in query) == [0, 1]
    assert query.count() == 2 and query.any()
    for find_first in (False, True):
        again = registry.query_datasets("summary", ["chain"], find_first=find_first)
        assert {r.run for r in again} == {"run2"}
    ids = registry.query_data_ids("visit", datasets="summary", collections=["chain"])
    assert {d["visit"] for d in ids} == {2} and ids.count() == 1
    with SqlRegistry.open(url, namespace=namespace) as other:
        other.set_chain("chain", [])
    assert list(registry.query_datasets("summary", ["chain"])) == [] and not ids.any()


def test_a_query_it_cannot_guard_reads_the_chain_version_once(registry: SqlRegistry) -> None:
    """Through a chain with a CALIBRATION collection the search is made per query: its path is resolved once."""
    registry.insert_datasets("summary", "run1", data_ids(1, range(2)))
    registry.register_collection("calibs", CollectionKind.CALIBRATION)
    registry.set_chain("chain", ["run1", "calibs"])
    sent = counting(registry)
    assert len(list(registry.query_datasets("summary", ["chain"], find_first=False))) == 2
    versions = [s for s in sent if re.match(r"SELECT \(SELECT \S*meta\.value", s.lstrip())]
    assert len(versions) == 1, sent


def _open_transaction_after_insert(registry: SqlRegistry, kind: str = "INSERT") -> list[bool]:
    """For each statement of ``kind`` the registry sends from now on: whether a transaction was open on the
    driver after it."""
    seen: list[bool] = []

    def after(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(kind):
            driver = cursor.connection
            seen.append(driver.in_transaction if hasattr(driver, "in_transaction") else
                        driver.info.transaction_status != driver.info.transaction_status.IDLE)
    sa.event.listen(registry._session._engine, "after_cursor_execute", after)
    return seen


def test_a_single_insert_on_postgresql_is_a_transaction_of_its_own(registry: SqlRegistry) -> None:
    """One dataset or one artifact: PostgreSQL commits the INSERT by itself (no BEGIN, no COMMIT round trip);
    SQLite still takes its write lock first. In a transaction it stays part of it, and a clash stores nothing."""
    postgres = registry._session._engine.dialect.name == "postgresql"
    opened = _open_transaction_after_insert(registry)
    (one,) = registry.insert_datasets("summary", "run1", data_ids(1, range(1)))
    assert opened == [not postgres]
    # A refused single insert stores nothing, names the clash, and leaves the registry working.
    with pytest.raises(ConflictingDefinitionError, match=r"already exists in run 'run1'"):
        registry.insert_datasets("summary", "run1", data_ids(1, range(1)))
    assert registry.datasets_in_collection("run1", "summary") == [one]
    opened.clear()
    with pytest.raises(RuntimeError, match="undo"), registry.transaction():
        registry.insert_datasets("summary", "run2", data_ids(1, range(1)))
        raise RuntimeError("undo")
    assert opened == [True], "inside a transaction the insert is part of it"
    assert registry.datasets_in_collection("run2", "summary") == []
    opened.clear()
    (two,) = registry.insert_datasets("summary", "run2", data_ids(1, range(1)))
    assert opened == [not postgres]
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["run2"]) == [two]


def test_a_read_on_postgresql_opens_no_transaction(registry: SqlRegistry) -> None:
    """Finds and listings read outside any transaction on PostgreSQL (no BEGIN, no COMMIT round trip), on
    SQLAlchemy's path the first time and on the driver after; SQLite reads in a deferred transaction."""
    postgres = registry._session._engine.dialect.name == "postgresql"
    registry.set_chain("chain", ["run1"])
    (one,) = registry.insert_datasets("summary", "run1", data_ids(1, range(1)))
    opened = _open_transaction_after_insert(registry, "SELECT")
    for _ in range(3):
        assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [one]
        assert registry.find_datasets("summary", data_ids(2, range(1)), ["run1"]) == [None]
        assert registry.datasets_in_collection("run1", "summary") == [one]
        assert not registry._session.in_transaction()
    assert len(opened) >= 9 and opened == [not postgres] * len(opened)
    # A read that fails leaves the registry reading as before.
    with pytest.raises(DataIdError):
        registry.find_datasets("summary", [{"instrument": "Big", "visit": 1}], ["run1"])
    assert registry.find_datasets("summary", data_ids(1, range(1)), ["chain"]) == [one]
    assert not registry._session.in_transaction()


def test_a_find_reads_only_its_dataset_types_columns(registry: SqlRegistry) -> None:
    """Each column read costs the driver per row: a find selects the type's units, not every unit column."""
    refs = registry.insert_datasets("summary", "run1", data_ids(1, range(3)))
    registry.set_chain("chain", ["run2", "run1"])
    for collections in (["run1"], ["chain"], ["chain"]):  # one RUN; a chain; a remembered chain
        sent = counting(registry)
        assert registry.find_datasets("summary", data_ids(1, range(2)), collections) == refs[:2]
        assert registry.find_datasets("summary", data_ids(1, range(1)), collections) == refs[:1]
        searches = [s for s in sent if "data_id_key" in s.split("FROM")[0]]
        assert searches, sent
        for search in searches:
            selected = search.split("FROM")[0]
            assert "detector" in selected and "visit" in selected
            assert "tract" not in selected and "patch" not in selected and "exposure" not in selected


def test_the_data_unit_lookup_of_a_single_insert_is_a_kept_statement(registry: SqlRegistry,
                                                                     sql_database: tuple[str, str | None]) -> None:
    """A put naming a visit this registry has not seen looks it up by one kept statement, run on the driver
    from its second use (the listener gets no SQLAlchemy execution context there); answers as before."""
    url, namespace = sql_database
    with SqlRegistry.open(url, namespace=namespace) as other:  # its own, empty, record cache
        looked_up: list[bool] = []

        def before(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _m: Any) -> None:
            source = statement.partition("WHERE")[0].rpartition("FROM")[2].strip()
            if "WHERE" in statement and source.endswith("visit"):
                looked_up.append(context is None)
        sa.event.listen(other._session._engine, "before_cursor_execute", before)
        one = other.insert_datasets("summary", "run1", data_ids(1, range(1)))
        two = other.insert_datasets("summary", "run1", data_ids(2, range(1)))
        assert looked_up == [False, True]
        other.insert_datasets("summary", "run1", data_ids(2, range(1, 2)))  # visit 2 is remembered now
        assert looked_up == [False, True]
        with pytest.raises(DataIdError, match="visit 7"):
            other.insert_datasets("summary", "run1", data_ids(7, range(1)))  # an unknown visit is still refused
    assert registry.find_datasets("summary", data_ids(1, range(1)) + data_ids(2, range(1)), ["run1"]) == one + two


def test_a_batch_looks_its_data_unit_records_up_by_their_whole_key(sql_database: tuple[str, str | None]) -> None:
    """SQLite searches ``(instrument, id) IN (VALUES ...)`` by the instrument alone (every visit of it):
    the lookup of several visits names the instrument and lists the ids, so the whole key is searched."""
    url, namespace = sql_database
    if not url.startswith("sqlite"):
        pytest.skip("the plan checked is SQLite's; PostgreSQL searches both forms by the whole key")
    with SqlRegistry.create(url, default_universe(), namespace=namespace) as made:
        made.insert_data_units("instrument", [{"name": "Big", "detector_max": 4, "visit_max": 100}])
        made.insert_data_units("detector", [{"instrument": "Big", "id": 1}])
        made.insert_data_units("visit", [{"instrument": "Big", "id": v} for v in range(50)])
        made.register_dataset_type(SUMMARY)
        made.register_collection("run", CollectionKind.RUN)
    with SqlRegistry.open(url, namespace=namespace) as registry:
        lookups: list[tuple[str, Any]] = []
        sa.event.listen(registry._session._engine, "before_cursor_execute",
                        lambda _c, _cur, statement, parameters, *_: lookups.append((statement, parameters))
                        if "FROM visit" in statement else None)
        refs = registry.insert_datasets("summary", "run", [{"instrument": "Big", "visit": v, "detector": 1}
                                                           for v in (3, 7, 11)])
        assert len(refs) == 3
        (statement, parameters), = lookups
        driver = registry._session.connection.connection.driver_connection
        plan = " ".join(str(row[-1]) for row in driver.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "instrument=? AND id=?" in plan, plan
