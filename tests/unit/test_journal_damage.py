"""Damaged limited-registry journals stop the open and the merge, naming the journal and the byte; a crash does not."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from databutler.adapters.nosql import LimitedRegistry
from databutler.adapters.nosql.journal import END_RECORD, JournalDamageError, records
from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, Universe
from databutler.domain.errors import MissingDatasetTypeError, RegistryError
from databutler.ports import Registry
from databutler.testing.bulk import bulk_data_ids, insert_bulk_data_units

VISITS, DETECTORS = 6, 5
WORKER_RUN = "worker/run"


def working(universe: Universe) -> Registry:
    """The working registry the container gives a limited registry."""
    return SqlRegistry.create("sqlite://", universe)


def journals(root: Path) -> list[Path]:
    """The journal files of the limited registry at ``root``, in replay order (a backdoor)."""
    return sorted((root / "journal").glob("*.log"))


def table_rows(database: Path) -> dict[str, int]:
    """Rows per table of the SQLite registry file ``database`` (a backdoor: no port method counts)."""
    with sqlite3.connect(database) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables}


@pytest.fixture
def job(tmp_path: Path) -> tuple[Path, Path]:
    """A full registry and a limited one: a seed journal (one record, closed) and a worker journal (five records)."""
    database = tmp_path / "full.sqlite3"
    with SqlRegistry.create(f"sqlite:///{database}", default_universe()) as full:
        insert_bulk_data_units(full, visits=VISITS, detectors=DETECTORS)
        full.register_collection("input", CollectionKind.RUN)
        inputs = full.insert_datasets("bulk", "input", bulk_data_ids(range(VISITS), range(DETECTORS)))
        subset = full.export_subset(inputs)
    root = tmp_path / "limited"
    with LimitedRegistry.create(str(root), default_universe(), working) as seeding:
        seeding.load_subset(subset)
    with LimitedRegistry.open(str(root), working) as worker:
        worker.register_collection(WORKER_RUN, CollectionKind.RUN)
        for visit in range(1, 5):  # one journal record per visit
            worker.insert_datasets("bulk", WORKER_RUN, bulk_data_ids(range(visit, visit + 1), range(DETECTORS)))
    assert len(journals(root)) == 2
    return database, root


def merge_job(root: Path, database: Path) -> dict[str, int]:
    """Open the limited registry at ``root`` and merge it into the full one, as the end of a job does."""
    with SqlRegistry.open(f"sqlite:///{database}") as full, \
            LimitedRegistry.open(str(root), working, writeable=False) as limited:
        return limited.merge_into(full)


def test_an_intact_job_merges_every_dataset(job: tuple[Path, Path]) -> None:
    database, root = job
    counts = merge_job(root, database)
    assert counts["datasets"] == 4 * DETECTORS
    with SqlRegistry.open(f"sqlite:///{database}", writeable=False) as full:
        assert len(full.datasets_in_collection(WORKER_RUN)) == 4 * DETECTORS


# Where the flipped byte is, relative to the start of the record: the header is magic (0-1),
# payload length (2-5), payload crc32 (6-9); the payload starts at 10.
FIELDS = {"magic": 0, "length (high byte)": 2, "length (low byte)": 5, "checksum": 7, "payload (first byte)": 10,
          "payload (a middle byte)": 40}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(("journal", "record"), [("worker", 2), ("worker", 4), ("seed", 0)],
                         ids=["worker journal, a middle record", "worker journal, its last record before the end",
                              "seed journal, its only record"])
def test_a_flipped_byte_stops_the_merge_naming_the_journal_and_byte_and_merges_nothing(
        job: tuple[Path, Path], journal: str, record: int, field: str) -> None:
    database, root = job
    path = journals(root)[0 if journal == "seed" else 1]
    data = bytearray(path.read_bytes())
    offset = records(bytes(data))[record][0]
    data[offset + FIELDS[field]] ^= 0x41
    path.write_bytes(bytes(data))
    before = table_rows(database)
    with pytest.raises(JournalDamageError) as caught:
        merge_job(root, database)
    message = str(caught.value)
    assert path.name in message
    assert f"damaged at byte {offset} (record {record + 1})" in message
    assert table_rows(database) == before  # nothing merged: not a dataset, record or collection
    with pytest.raises(JournalDamageError):  # and the worker's registry does not open with writes missing
        LimitedRegistry.open(str(root), working).close()


@pytest.mark.parametrize("cut", [1, 7, 40])
def test_a_torn_tail_left_by_a_killed_worker_loses_only_the_record_being_written(job: tuple[Path, Path],
                                                                                 cut: int) -> None:
    database, root = job
    path = journals(root)[1]
    data = path.read_bytes()
    path.write_bytes(data[:-len(END_RECORD) - cut])  # killed while writing the last record: no end record
    counts = merge_job(root, database)
    assert counts["datasets"] == 3 * DETECTORS  # the last record (visit 4) was never acknowledged


def test_damage_to_the_end_record_alone_loses_nothing(job: tuple[Path, Path]) -> None:
    database, root = job
    for path in journals(root):
        data = bytearray(path.read_bytes())
        data[-3] ^= 0xFF
        path.write_bytes(bytes(data))
    assert merge_job(root, database)["datasets"] == 4 * DETECTORS


def test_a_missing_seed_journal_is_reported_with_the_record_that_needs_it(job: tuple[Path, Path]) -> None:
    database, root = job
    seed = journals(root)[0]
    seed.rename(seed.with_suffix(".aside"))
    before = table_rows(database)
    with pytest.raises(RegistryError, match=rf"record \d+ \(byte \d+\) of the journal .*{journals(root)[0].name}") \
            as caught:
        merge_job(root, database)
    assert isinstance(caught.value.__cause__, MissingDatasetTypeError)  # what the working registry said, chained
    assert table_rows(database) == before


def test_a_write_whose_fsync_failed_is_cut_from_the_journal_and_later_writes_read_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "limited"
    real_fsync = os.fsync
    failures = iter([True])

    def fsync_failing_once(fd: int) -> Any:
        if next(failures, False):
            raise OSError(errno.EIO, "Input/output error")
        return real_fsync(fd)

    with LimitedRegistry.create(str(root), default_universe(), working) as registry:
        registry.register_collection("before", CollectionKind.RUN)
        monkeypatch.setattr(os, "fsync", fsync_failing_once)
        with pytest.raises(RegistryError, match="Input/output error"):
            registry.register_collection("failed", CollectionKind.RUN)
        registry.register_collection("after", CollectionKind.RUN)
        assert [c.name for c in registry.query_collections()] == ["after", "before"]
    monkeypatch.undo()
    with LimitedRegistry.open(str(root), working, writeable=False) as again:
        # The failed write was not acknowledged, so it must not come back; the later one must.
        assert [c.name for c in again.query_collections()] == ["after", "before"]


def test_records_after_a_journals_end_record_are_damage_not_ignored(job: tuple[Path, Path]) -> None:
    database, root = job
    seed, worker = journals(root)
    seed.write_bytes(seed.read_bytes() + worker.read_bytes())  # two journals run together: nothing may vanish
    worker.unlink()
    with pytest.raises(JournalDamageError, match=f"{seed.name} is damaged at byte"):
        merge_job(root, database)
