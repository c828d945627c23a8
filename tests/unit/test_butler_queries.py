"""The Butler's own read path (queries over its search path, batch URIs) and progress of long operations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from databutler import Butler, DatasetType, FileDataset
from databutler.domain.dataset import StoredArtifact
from databutler.domain.errors import CapabilityError, CollectionError, DataIdError, MissingCollectionError
from databutler.service.transfer import transfer
from databutler.testing.data import insert_standard_data_units

CALEXP = DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredData")


@pytest.fixture
def butler(tmp_path: Path) -> Iterator[Butler]:
    """A repo with the standard DataUnits and calexps of Cam1 visits 1-2, detectors 1-4, in run1 and run2."""
    with Butler.create(tmp_path / "repo", run="run1") as created:
        insert_standard_data_units(created.registry)
        created.registry.register_dataset_type(CALEXP)
        created.put_many([({"v": v, "d": d}, "calexp", {"instrument": "Cam1", "visit": v, "detector": d})
                          for v in (1, 2) for d in (1, 2, 3, 4)])
        created.put({"v": 1, "d": 1, "rerun": True}, "calexp", instrument="Cam1", visit=1, detector=1, run="run2")
        yield created


def test_query_datasets_searches_the_butlers_collections_by_default(butler: Butler) -> None:
    reader = Butler(butler.root, collections=["run2", "run1"], writeable=False)
    found = list(reader.query_datasets("calexp", where="instrument = 'Cam1' AND visit = 1 AND detector IN (1, 2)",
                                      find_first=True))
    assert sorted((ref.data_id["detector"], ref.run) for ref in found) == [(1, "run2"), (2, "run1")]
    # The same arguments as the registry's, collections given explicitly win over the default.
    only_run1 = reader.query_datasets("calexp", ["run1"], where="visit = :v", bind={"v": 2},
                                      data_id={"instrument": "Cam1"}, order_by=["-detector"])
    assert [ref.data_id["detector"] for ref in only_run1] == [4, 3, 2, 1]
    assert reader.query_datasets("calexp", limit=3).count() == 3, "results stay lazy: count runs in the database"


def test_query_data_ids_looks_for_datasets_in_the_butlers_collections(butler: Butler) -> None:
    reader = Butler(butler.root, collections="run2", writeable=False)
    with_calexp = reader.query_data_ids(("visit", "detector"), datasets="calexp", data_id={"instrument": "Cam1"})
    assert [(d["visit"], d["detector"]) for d in with_calexp] == [(1, 1)]
    every = reader.query_data_ids(("visit", "detector"), where="instrument = 'Cam1' AND visit = 1")
    assert every.count() == 4, "without datasets, no collection is needed"


def test_query_data_unit_records_need_no_collections(butler: Butler) -> None:
    reader = Butler(butler.root, writeable=False)
    records = reader.query_data_unit_records("detector", data_id={"instrument": "Cam1"}).order_by("-detector")
    assert [r["id"] for r in records] == [4, 3, 2, 1]


def test_queries_without_any_collection_say_how_to_name_them(butler: Butler) -> None:
    reader = Butler(butler.root, writeable=False)
    with pytest.raises(CollectionError, match="no collections to search; pass collections="):
        reader.query_datasets("calexp")
    with pytest.raises(CollectionError, match="no collections to search"):
        reader.query_data_ids("visit", datasets="calexp")
    with pytest.raises(MissingCollectionError):
        list(reader.query_datasets("calexp", "no-such-run"))


def test_queries_are_refused_without_the_queries_capability(tmp_path: Path) -> None:
    config = {"registry": {"adapter": "limited", "root": "{root}/registry"}}
    with Butler.create(tmp_path / "limited", config, run="run1") as limited:
        with pytest.raises(CapabilityError, match="queries"):
            limited.query_datasets("calexp")
        with pytest.raises(CapabilityError, match="queries"):
            limited.query_data_ids("visit")
        with pytest.raises(CapabilityError, match="queries"):
            limited.query_data_unit_records("visit")


def test_uris_asks_the_registry_once_per_batch(butler: Butler, monkeypatch: pytest.MonkeyPatch) -> None:
    refs = butler.registry.datasets_in_collection("run1")
    calls: list[int] = []
    real = butler.registry.get_artifacts

    def counting(ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        calls.append(len(ids))
        return real(ids)

    monkeypatch.setattr(butler.registry, "get_artifacts", counting)
    uris = butler.uris(refs)
    assert calls == [len(refs)], "one registry round trip for the whole batch, not one per ref"
    assert uris == {ref.id: butler.uri(ref) for ref in refs}
    butler.remove(refs[:1], forget=False)
    assert refs[0].id not in butler.uris(refs), "a dataset without an artifact has no URI"


class Recorder:
    """A progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))

    def check(self, total: int) -> None:
        """Called first with 0, last with the total, never decreasing and never above the total."""
        assert self.calls[0] == (0, total)
        assert self.calls[-1] == (total, total)
        done = [d for d, _ in self.calls]
        assert done == sorted(done) and all(t == total for _, t in self.calls)


def test_long_operations_tell_progress_their_totals_and_counts(butler: Butler, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("databutler.service.progress.BATCH", 3)  # several steps from a few datasets
    files = []
    for detector in (1, 2, 3, 4):
        path = tmp_path / f"raw{detector}.json"
        path.write_text(f'{{"detector": {detector}}}')
        files.append(FileDataset(path, "calexp", {"instrument": "Cam1", "visit": 3, "detector": detector}))
    ingested = Recorder()
    refs = butler.ingest(files, transfer="copy", run="raws", progress=ingested)
    ingested.check(4)
    assert len(ingested.calls) == 3, "after each batch of 3: 0, 3, 4"

    checked = Recorder()
    assert butler.verify(butler.registry.datasets_in_collection("run1"), progress=checked) == {}
    checked.check(8)
    located = Recorder()
    butler.uris(refs, progress=located)
    located.check(4)

    copied = Recorder()
    with Butler.create(tmp_path / "other") as other:
        stored = butler.registry.get_artifacts([ref.id for ref in refs])
        transfer([(ref, stored[ref.id][0]) for ref in refs], butler.datastore, other.datastore, progress=copied)
    copied.check(4)

    removed = Recorder()
    butler.remove(refs[:2], progress=removed)
    removed.check(2)
    runs = Recorder()
    butler.remove_runs(["raws"], progress=runs)
    runs.check(2)


def test_a_failed_ingest_leaves_no_new_run(butler: Butler, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"n": 1}')
    files = [FileDataset(good, "calexp", {"instrument": "Cam1", "visit": 3, "detector": 1}),
             FileDataset(good, "calexp", {"instrument": "Cam1", "visit": 3, "detector": 99})]
    with pytest.raises(DataIdError):
        butler.ingest(files, transfer="copy", run="new/run")
    assert not butler.registry.query_collections("new/run"), "all files go in, or none do: the run too"
    assert good.exists()
    # Nothing stale is remembered: the same run can be ingested into next time.
    refs = butler.ingest(files[:1], transfer="copy", run="new/run")
    assert [ref.run for ref in refs] == ["new/run"]
    # A run that existed before a failed ingest stays, with what it held.
    with pytest.raises(DataIdError):
        butler.ingest(files[1:], transfer="copy", run="new/run")
    assert len(butler.registry.datasets_in_collection("new/run")) == 1
