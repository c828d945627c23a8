"""transfer_from between two Butlers: SQLite to SQLite and SQLite to PostgreSQL, in batches.

What must still be true afterwards: the target answers as the source does for the datasets
moved (ids, runs, DataIds, records, contents, checksums); the source is unchanged; a refused
transfer leaves the target as it was; the SQL statements per batch do not grow with the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from databutler import Butler, DatasetType
from databutler.domain.errors import (
    ConflictingDefinitionError,
    DataIdError,
    DatasetNotFoundError,
    MissingDatasetTypeError,
)
from databutler.testing.interchange import answers, fill_source
from databutler.testing.postgres import PostgresServer, registry_section


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Butler:
    butler = Butler.create(tmp_path_factory.mktemp("transfer-source") / "repo")
    fill_source(butler)
    return butler


def every_ref(butler: Butler) -> list[Any]:
    return [r for c in ("run1", "run2") for r in butler.registry.datasets_in_collection(c)]


TargetFactory = Callable[[str], Butler]


@pytest.fixture(params=["sqlite", "postgresql"])
def make_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TargetFactory]:
    """Makes empty target repositories: SQLite files, or schemas of the throwaway PostgreSQL server."""
    made: list[Butler] = []

    def make(name: str) -> Butler:
        config = None
        if request.param == "postgresql":
            server: PostgresServer = request.getfixturevalue("postgres_server")
            monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
            config = {"registry": registry_section(server, f"t_{name}_{id(made)}_{len(made)}", monkeypatch)}
        butler = Butler.create(tmp_path / name, config)
        made.append(butler)
        return butler

    yield make
    for butler in made:
        butler.close()


def statements_on(butler: Butler) -> list[str]:
    """A list that fills with every SQL statement ``butler``'s registry sends from now on."""
    seen: list[str] = []
    engine = butler.registry._session._engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_transfer_keeps_ids_runs_records_contents_and_checksums(source: Butler, make_target: TargetFactory) -> None:
    before = answers(source)
    target = make_target("all")
    moved = target.transfer_from(source, every_ref(source), batch_size=25)
    assert sorted(r.id for r in moved) == sorted(r.id for r in every_ref(source))
    mine, theirs = answers(target), answers(source)
    # TAGGED and CHAINED collections are not part of a transfer of datasets: only the runs come along.
    theirs["collections"] = {k: v for k, v in theirs["collections"].items() if v[0] == "RUN"}
    theirs["tagged"] = {}
    assert mine == theirs
    assert answers(source) == before


def test_transferring_again_copies_nothing_twice(source: Butler, make_target: TargetFactory) -> None:
    target = make_target("twice")
    refs = every_ref(source)[:10]
    target.transfer_from(source, refs)
    first = answers(target)
    files = sorted(p for p in Path(target.root, "datasets").rglob("*") if p.is_file())
    assert target.transfer_from(source, refs) == target.registry.get_datasets([r.id for r in refs])
    assert answers(target) == first
    assert sorted(p for p in Path(target.root, "datasets").rglob("*") if p.is_file()) == files


def test_statements_per_batch_do_not_grow_with_the_batch(source: Butler, make_target: TargetFactory) -> None:
    """One batch of 4, 16 or 32 calexps (same runs, types and elements) costs the same statements."""
    calexps = source.registry.datasets_in_collection("run1", "calexp")
    counts = {}
    for size in (4, 16, 32):
        target = make_target(f"batch{size}")
        seen = statements_on(target)
        target.transfer_from(source, calexps[:size], batch_size=size)
        counts[size] = len(seen)
    assert counts[4] == counts[16] == counts[32], counts


def test_batches_cost_the_same_statements_each(source: Butler, make_target: TargetFactory) -> None:
    """32 calexps in 1, 2 or 4 batches: each further batch adds at most the statements of the first."""
    calexps = source.registry.datasets_in_collection("run1", "calexp")
    counts = {}
    for batches in (1, 2, 4):
        target = make_target(f"batches{batches}")
        seen = statements_on(target)
        target.transfer_from(source, calexps, batch_size=32 // batches)
        counts[batches] = len(seen)
    assert counts[4] - counts[2] <= 2 * counts[1] and counts[2] - counts[1] <= counts[1], counts


def test_conflicting_dataset_type_is_refused_before_anything_moves(source: Butler,
                                                                 make_target: TargetFactory) -> None:
    target = make_target("conflict")
    target.registry.register_dataset_type(DatasetType("summary", ("instrument", "visit"), "StructuredData"))
    before = answers(target)
    with pytest.raises(ConflictingDefinitionError, match=r"'summary'.*nothing was transferred"):
        target.transfer_from(source, every_ref(source))
    assert answers(target) == before
    assert not [p for p in Path(target.root, "datasets").rglob("*") if p.is_file()]


def test_unregistered_dataset_type_without_registering_is_refused(source: Butler,
                                                                  make_target: TargetFactory) -> None:
    target = make_target("unregistered")
    before = answers(target)
    with pytest.raises(MissingDatasetTypeError, match="not to register dataset types"):
        target.transfer_from(source, every_ref(source)[:3], register_dataset_types=False)
    assert answers(target) == before


def test_without_data_units_the_target_must_hold_them(source: Butler, make_target: TargetFactory) -> None:
    target = make_target("nounits")
    before = answers(target)
    with pytest.raises(DataIdError, match=r"instrument|Cam1"):
        target.transfer_from(source, every_ref(source)[:3], transfer_data_units=False)
    assert answers(target) == before
    assert not [p for p in Path(target.root, "datasets").rglob("*") if p.is_file()]


def test_a_failure_in_a_later_batch_leaves_the_target_as_it_was(tmp_path: Path, make_target: TargetFactory) -> None:
    """The source's last file is gone: the first batches' rows and copied files go too."""
    broken = Butler.create(tmp_path / "broken-source")
    fill_source(broken)
    refs = every_ref(broken)
    (gone,) = broken.registry.get_artifacts([refs[-1].id])[refs[-1].id]
    Path(broken.datastore.uri(gone).removeprefix("file://")).unlink()
    target = make_target("later")
    before = answers(target)
    with pytest.raises(DatasetNotFoundError):
        target.transfer_from(broken, refs, batch_size=10)
    assert answers(target) == before
    assert not [p for p in Path(target.root, "datasets").rglob("*") if p.is_file()]
