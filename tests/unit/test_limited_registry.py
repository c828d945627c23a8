"""The limited registry: crash-safe journals, object stores, configuration and refused capabilities."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from databutler import Butler
from databutler.adapters.nosql import LimitedRegistry, codec
from databutler.adapters.nosql.journal import END_RECORD, JournalDamageError, frame, unframe
from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, Universe
from databutler.domain.errors import CapabilityError, ConflictingDefinitionError, RegistryError
from databutler.ports import Registry
from databutler.ports.capabilities import RegistryCapability
from databutler.testing.registry import CALEXP
from databutler.testing.s3 import S3Fixtures


def working(universe: Universe) -> Registry:
    """The working registry the container gives a limited registry."""
    return SqlRegistry.create("sqlite://", universe)


def journal_files(root: Path) -> list[Path]:
    """The journal files of the registry at ``root`` (a backdoor: no port method lists them)."""
    return sorted((root / "journal").glob("*.log"))


def three_collections(root: Path) -> None:
    """Create a registry at ``root`` and register three collections, one journal record each."""
    with LimitedRegistry.create(str(root), default_universe(), working) as registry:
        for name in ("first", "second", "third"):
            registry.register_collection(name, CollectionKind.RUN)


def collections_at(root: Path) -> list[str]:
    """The collections a fresh reader sees at ``root``."""
    with LimitedRegistry.open(str(root), working, writeable=False) as registry:
        return [c.name for c in registry.query_collections()]


def test_records_round_trip_and_a_torn_or_garbled_tail_is_ignored() -> None:
    records = [b"one", b"two" * 100, b""]
    data = b"".join(frame(r) for r in records)
    assert unframe(data) == records
    for cut in range(1, len(frame(records[1])) + len(frame(b""))):
        assert unframe(data[:-cut]) == records[:len(records) - 1 - (cut > len(frame(b"")))]
    garbled = bytearray(data)
    garbled[-3] ^= 0xFF  # a byte of the last record, which a crash may leave garbled
    assert unframe(bytes(garbled)) == records[:2]
    garbled = bytearray(data)
    garbled[len(frame(records[0])) + 12] ^= 0xFF  # a byte of the second payload: damage, not a crash
    with pytest.raises(JournalDamageError, match=f"damaged at byte {len(frame(records[0]))} [(]record 2[)]"):
        unframe(bytes(garbled))


@pytest.mark.parametrize("damage", ["truncate", "garble", "append garbage"])
def test_a_damaged_journal_tail_loses_at_most_the_last_record(tmp_path: Path, damage: str) -> None:
    root = tmp_path / "registry"
    three_collections(root)
    (journal,) = journal_files(root)
    data = journal.read_bytes()
    assert data.endswith(END_RECORD)
    data = data[:-len(END_RECORD)]  # as a writer killed before closing left it
    if damage == "truncate":
        journal.write_bytes(data[:-3])
    elif damage == "garble":
        journal.write_bytes(data[:-2] + bytes([data[-2] ^ 0x55]) + data[-1:])
    else:
        journal.write_bytes(data + b"\x00garbage from a write that never finished")
    expected = ["first", "second", "third"] if damage == "append garbage" else ["first", "second"]
    assert collections_at(root) == expected
    with LimitedRegistry.open(str(root), working) as registry:  # writing again goes to a new journal
        registry.register_collection("fourth", CollectionKind.RUN)
    assert collections_at(root) == sorted([*expected, "fourth"])
    assert len(journal_files(root)) == 2


def _keep_writing(root: str) -> None:
    with LimitedRegistry.open(root, working) as registry:
        for i in range(100_000):
            registry.register_collection(f"c{i:06d}", CollectionKind.RUN)


def test_a_killed_writer_loses_at_most_the_record_it_was_writing(tmp_path: Path) -> None:
    root = tmp_path / "registry"
    LimitedRegistry.create(str(root), default_universe(), working).close()
    process = multiprocessing.get_context("fork").Process(target=_keep_writing, args=(str(root),))
    process.start()
    deadline = time.monotonic() + 30
    while not journal_files(root) or journal_files(root)[0].stat().st_size < 2000:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    size = journal_files(root)[0].stat().st_size
    names = collections_at(root)
    assert names == [f"c{i:06d}" for i in range(len(names))]  # a prefix of what was written, nothing corrupt
    record = len(frame(codec.dumps([["register_collection", "c000000", "RUN", ""]])))
    assert 0 <= size - len(names) * record < record  # all but at most the record being written was kept


def test_journals_on_an_fsspec_memory_url_persist(tmp_path: Path) -> None:
    url = f"memory://limited-{uuid.uuid4().hex}/registry"
    try:
        with LimitedRegistry.create(url, default_universe(), working) as registry:
            registry.register_collection("run1", CollectionKind.RUN)
        with LimitedRegistry.open(url, working) as again:
            assert again.get_collection("run1").kind is CollectionKind.RUN
    finally:
        fsspec.filesystem("memory").rm(url.rsplit("/", 1)[0], recursive=True)


class TestOnAnObjectStore(S3Fixtures):
    """Journals under an s3:// prefix on a real S3-compatible server (moto), re-uploaded per record."""

    def test_journals_under_an_s3_prefix_persist_and_tolerate_a_torn_tail(self, s3_bucket: str) -> None:
        url = f"{s3_bucket}/jobs/job1"
        with LimitedRegistry.create(url, default_universe(), working) as registry:
            registry.register_collection("run1", CollectionKind.RUN)
            registry.register_collection("run2", CollectionKind.RUN)
        with LimitedRegistry.open(url, working) as again:
            assert [c.name for c in again.query_collections()] == ["run1", "run2"]
        fs = fsspec.filesystem("s3")
        (journal,) = fs.glob(f"{url}/journal/*.log")
        fs.pipe_file(journal, fs.cat_file(journal)[:-len(END_RECORD) - 1])  # as a killed writer left it
        with LimitedRegistry.open(url, working) as again:
            assert [c.name for c in again.query_collections()] == ["run1"]


def test_create_refuses_an_existing_registry_and_open_a_missing_one(tmp_path: Path) -> None:
    three_collections(tmp_path / "registry")
    with pytest.raises(ConflictingDefinitionError, match="already exists"):
        LimitedRegistry.create(str(tmp_path / "registry"), default_universe(), working)
    assert collections_at(tmp_path / "registry") == ["first", "second", "third"]
    with pytest.raises(RegistryError, match="no limited registry"):
        LimitedRegistry.open(str(tmp_path / "elsewhere"), working)
    assert not (tmp_path / "elsewhere").exists()


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[LimitedRegistry]:
    with LimitedRegistry.create(str(tmp_path / "registry"), default_universe(), working) as registry:
        yield registry


def test_only_write_and_persistent_are_declared_and_the_rest_is_refused_by_name(limited: LimitedRegistry) -> None:
    assert limited.capabilities == {RegistryCapability.WRITE, RegistryCapability.PERSISTENT}
    refused = {"queries": lambda: limited.query_datasets("calexp", ["run1"]),
               "queries ": lambda: limited.query_data_ids(["visit"]),
               "queries  ": lambda: limited.query_data_unit_records("visit"),
               "sql_select": lambda: limited.select_sql("SELECT 1"),
               "provenance_queries": lambda: limited.find_quanta(run="run1")}
    for capability, call in refused.items():
        with pytest.raises(CapabilityError, match=f"'{capability.strip()}'"):
            call()
    assert limited.query_collections() == []  # nothing was written by the refused calls
    assert journal_files(Path(limited.url)) == []


def test_butler_yaml_selects_the_limited_registry(tmp_path: Path) -> None:
    config = {"registry": {"adapter": "limited", "root": "{root}/registry"}}
    with Butler.create(tmp_path / "repo", config=config, run="run1") as butler:
        assert isinstance(butler.registry, LimitedRegistry)
        butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
        butler.registry.register_dataset_type(CALEXP)
    with Butler(tmp_path / "repo") as again:
        assert again.registry.get_dataset_type("calexp") == CALEXP
        assert again.registry.fetch_data_unit_records("instrument")[0]["name"] == "Cam1"
    bad = {"registry": {"adapter": "limited", "root": "{root}/registry", "url": "sqlite://"}}
    with pytest.raises(Exception, match="unknown limited registry options"):
        Butler.create(tmp_path / "repo2", config=bad)
    assert not (tmp_path / "repo2" / "butler.yaml").exists()


def test_numpy_integers_are_journaled_as_integers(limited: LimitedRegistry) -> None:
    numpy = pytest.importorskip("numpy")
    limited.insert_data_units("instrument", [{"name": "Cam1", "visit_max": numpy.int64(5)}])
    with LimitedRegistry.open(limited.url, working, writeable=False) as again:
        assert again.fetch_data_unit_records("instrument")[0]["visit_max"] == 5
