"""Eight processes writing one PostgreSQL registry at once, and bulk inserts in few round trips."""

from __future__ import annotations

import multiprocessing
import traceback
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind
from databutler.domain.errors import CollectionError, ConflictingDefinitionError
from databutler.testing.bulk import bulk_data_ids, insert_bulk_data_units
from databutler.testing.postgres import PostgresServer
from databutler.testing.waiting import Waiting

WRITERS = 8
BATCHES = 10
PER_BATCH = 20
"""Each writer inserts BATCHES batches of PER_BATCH datasets of its own, tagging each batch."""


def _writer(url: str, namespace: str, worker: int, barrier: Any, results: Any) -> None:
    """Insert and tag this worker's datasets, then race its partner for two contested ones."""
    try:
        with SqlRegistry.open(url, namespace=namespace) as registry:
            barrier.wait(timeout=60)
            mine: list[uuid.UUID] = []
            for batch in range(BATCHES):
                visits = range(worker * BATCHES + batch, worker * BATCHES + batch + 1)
                refs = registry.insert_datasets("bulk", "run", bulk_data_ids(visits, range(PER_BATCH)))
                registry.associate("tag", refs)
                mine.extend(ref.id for ref in refs)
            # Partners (0, 1), (2, 3), ... insert the same two data IDs, in opposite orders.
            pair = worker // 2
            contested = bulk_data_ids(range(1000 + pair, 1001 + pair), range(2))
            if worker % 2:
                contested.reverse()
            barrier.wait(timeout=60)
            try:
                refs = registry.insert_datasets("bulk", "run", contested)
                registry.associate("tag", refs)
                outcome = "inserted"
            except ConflictingDefinitionError:
                outcome = "conflict"
        results.put((worker, mine, outcome))
    except BaseException:
        results.put((worker, [], traceback.format_exc()))


def test_eight_processes_insert_and_tag_at_once_losing_and_duplicating_nothing(
        postgres_server: PostgresServer, postgres_schema: str) -> None:
    url = postgres_server.url()
    with SqlRegistry.create(url, default_universe(), namespace=postgres_schema) as registry:
        insert_bulk_data_units(registry, visits=1000 + WRITERS // 2, detectors=PER_BATCH)
        registry.register_collection("run", CollectionKind.RUN)
        registry.register_collection("tag", CollectionKind.TAGGED)
    # fork: the writers start at once without re-importing; the parent holds no open connection.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    barrier, results = context.Barrier(WRITERS), context.Queue()
    processes = [context.Process(target=_writer, args=(url, postgres_schema, w, barrier, results))
                 for w in range(WRITERS)]
    for process in processes:
        process.start()
    outcomes = dict((w, (ids, outcome)) for w, ids, outcome in (results.get(timeout=120) for _ in processes))
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0  # nobody hung (a deadlock would have failed a writer or timed out)
    problems = [o for _, o in outcomes.values() if o not in ("inserted", "conflict")]
    assert problems == []
    for pair in range(WRITERS // 2):
        assert sorted(outcomes[w][1] for w in (2 * pair, 2 * pair + 1)) == ["conflict", "inserted"]
    with SqlRegistry.open(url, namespace=postgres_schema, writeable=False) as registry:
        in_run = registry.datasets_in_collection("run")
        in_tag = registry.datasets_in_collection("tag")
        expected = {i for ids, _ in outcomes.values() for i in ids}
        contested = 2 * (WRITERS // 2)
        assert len(expected) == WRITERS * BATCHES * PER_BATCH
        for refs in (in_run, in_tag):
            ids = [ref.id for ref in refs]
            assert len(ids) == len(set(ids)) == len(expected) + contested  # each dataset exactly once
            assert expected <= set(ids)
        assert len({(r.data_id["visit"], r.data_id["detector"]) for r in in_run}) == len(in_run)


def test_inserting_100000_datasets_takes_a_bounded_number_of_statements(postgres_server: PostgresServer,
                                                                        postgres_schema: str) -> None:
    url = postgres_server.url()
    with SqlRegistry.create(url, default_universe(), namespace=postgres_schema) as registry:
        insert_bulk_data_units(registry, visits=1000, detectors=100)
        registry.register_collection("run", CollectionKind.RUN)
    data_ids = bulk_data_ids(range(1000), range(100))
    with SqlRegistry.open(url, namespace=postgres_schema) as registry:  # cold caches: DataIds are looked up
        statements: list[str] = []
        engine = registry._session._engine
        sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        refs = registry.insert_datasets("bulk", "run", data_ids)
    assert len(refs) == 100_000
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) <= 100  # one executemany (psycopg pipelines it), not one per dataset
    assert len(statements) <= 50, statements[:60]
    with SqlRegistry.open(url, namespace=postgres_schema, writeable=False) as registry:
        found = registry.find_datasets("bulk", [data_ids[0], data_ids[-1]], ["run"])
        assert [f.id if f else None for f in found] == [refs[0].id, refs[-1].id]


@pytest.mark.parametrize("count", [1_000, 20_000])
def test_sqlite_bulk_insert_statements_do_not_grow_with_the_batch(tmp_path: Any, count: int) -> None:
    url = f"sqlite:///{tmp_path}/registry.sqlite3"
    with SqlRegistry.create(url, default_universe()) as registry:
        insert_bulk_data_units(registry, visits=count // 100, detectors=100)
        registry.register_collection("run", CollectionKind.RUN)
    with SqlRegistry.open(url) as registry:
        statements: list[str] = []
        sa.event.listen(registry._session._engine, "before_cursor_execute",
                        lambda *args: statements.append(args[2]))
        registry.insert_datasets("bulk", "run", bulk_data_ids(range(count // 100), range(100)))
    # DataId validation reads the records in chunks of 500 keys; the insert is one executemany.
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1
    assert len(statements) <= 20


def test_two_writers_who_would_make_a_cycle_of_chains_between_them_are_refused_one(
        postgres_server: PostgresServer, postgres_schema: str) -> None:
    """Each checks for a cycle before the other commits; the chain changes queue, and the second finds it."""
    url = postgres_server.url()
    with SqlRegistry.create(url, default_universe(), namespace=postgres_schema) as first, \
            SqlRegistry.open(url, namespace=postgres_schema) as second:
        insert_bulk_data_units(first, visits=1, detectors=1)
        first.register_collection("run", CollectionKind.RUN)
        (ref,) = first.insert_datasets("bulk", "run", bulk_data_ids(range(1), range(1)))
        for name in ("a", "b"):
            first.register_collection(name, CollectionKind.CHAINED)
        first.set_chain("b", ["run"])
        with first.transaction():
            first.set_chain("a", ["b"])  # not committed: the other writer's cycle check cannot see it
            other = Waiting(lambda: second.set_chain("b", ["a", "run"]), "the second chain change")
        outcome = [other.outcome()]
        assert len(outcome) == 1 and isinstance(outcome[0], CollectionError), outcome
        assert "contain itself" in str(outcome[0])
        for registry in (first, second):
            assert registry.get_collection("b").children == ("run",)
            assert registry.resolve_collections(["a"]) == ("run",)
        assert second.find_datasets("bulk", [ref.data_id], ["a"]) == [ref]
