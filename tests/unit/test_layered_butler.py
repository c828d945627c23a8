"""The layered personal repository at the Butler level: the scenario of the issue.

A Data Release repository (an ordinary repo: SQLite registry, POSIX datastore) holds RUN
``dr1/calexp``. Alice's personal repository is configured in butler.yaml with a registry layered
over the release's registry file and a chained datastore: the release's POSIX storage as a
read-only child and her own POSIX storage, to which every write goes. She reads release datasets,
writes what she computes from them into her own run, records the provenance, and finds both
layers through one search path. Afterwards the release's registry file and every file of its
datastore are byte-for-byte what they were.

The release's POSIX datastore recorded its artifacts by root-relative paths, so the release child
says ``relative_uris: true``: relative paths are its, while artifacts written through the chain
are recorded by absolute URIs under the personal root, which the personal child's root prefixes.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from databutler import Butler, ReleaseWriteError
from databutler.adapters.sql import Release, SqlRegistry
from databutler.domain import DatasetType, Quantum, ReadOnlyError
from databutler.testing.data import insert_standard_data_units

RELEASE_RUN, MY_RUN, MY_CHAIN = "dr1/calexp", "u/alice/run1", "u/alice/all"
CALEXP = DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredDataDict")
SUMMARY = DatasetType("calexpSummary", ("instrument", "visit", "detector"), "StructuredDataDict")
KEYS = [(v, d) for v in (1, 2) for d in (1, 2)]
SIDECARS = ("-wal", "-shm", "-journal")


def data_id(visit: int, detector: int) -> dict[str, Any]:
    return {"instrument": "Cam1", "visit": visit, "detector": detector}


def pixels(visit: int, detector: int) -> dict[str, Any]:
    return {"visit": visit, "detector": detector, "flux": [visit * 10 + detector, 2 * visit]}


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` but SQLite's sidecar files, by relative path."""
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file() and not path.name.endswith(SIDECARS)}


@attrs.frozen
class Repos:
    release: Path
    personal: Path
    release_ids: dict[tuple[int, int], uuid.UUID]

    @property
    def release_registry(self) -> Path:
        return self.release / "registry.sqlite3"


@pytest.fixture
def repos(tmp_path: Path) -> Iterator[Repos]:
    release = tmp_path / "dr1"
    with Butler.create(release, run=RELEASE_RUN) as maker:
        insert_standard_data_units(maker.registry)
        maker.registry.register_dataset_type(CALEXP)
        refs = {key: maker.put(pixels(*key), "calexp", data_id(*key)) for key in KEYS}
    before = digests(release)
    personal = tmp_path / "alice"
    config = {
        "registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3",
                     "release": {"url": f"sqlite:///{release}/registry.sqlite3"}},
        "datastore": {"adapter": "chained", "children": [
            {"name": "personal", "datastore": {"adapter": "posix", "root": "{root}/datasets"}},
            {"name": "release", "read_only": True, "relative_uris": True,
             "datastore": {"adapter": "posix", "root": f"{release}/datasets"}},
        ]},
    }
    Butler.create(personal, config).close()
    yield Repos(release, personal, {key: ref.id for key, ref in refs.items()})
    # Whatever happened: the release repository is byte-for-byte unchanged.
    assert digests(release) == before
    wal = release / "registry.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_personal_repo_reads_the_release_and_writes_only_its_own_layer(repos: Repos) -> None:
    with Butler(repos.personal, run=MY_RUN, collections=[MY_RUN, RELEASE_RUN]) as butler:
        registry = butler.registry
        assert isinstance(registry, SqlRegistry)
        assert registry.release == Release(url=f"sqlite:///{repos.release_registry}")
        assert registry.register_dataset_type(CALEXP) is False  # the release's definition
        registry.register_dataset_type(SUMMARY)
        # Read release datasets, compute, write the outputs into the personal run.
        inputs, outputs = [], []
        for key in KEYS:
            calexp = butler.find_dataset("calexp", data_id(*key))
            assert calexp is not None and calexp.run == RELEASE_RUN and calexp.id == repos.release_ids[key]
            image = butler.get(calexp)
            assert image == pixels(*key)
            summary = butler.put({"total": sum(image["flux"]), "source": str(calexp.id)}, "calexpSummary",
                                 data_id(*key))
            assert summary.run == MY_RUN
            inputs.append(calexp.id)
            outputs.append(summary.id)
        quantum = Quantum("summarize", MY_RUN, None, inputs=inputs, outputs=outputs)
        registry.insert_quanta([quantum])
        # Personal artifacts live under the personal root; the release's stay where they were.
        mine = registry.get_artifacts(outputs)
        assert all(a.uri.startswith((repos.personal / "datasets").as_uri()) for group in mine.values()
                   for a in group)
        assert all(Path(a.uri.removeprefix("file://")).is_file() for group in mine.values() for a in group)
        theirs = registry.get_artifacts(inputs)
        assert all((repos.release / "datasets" / a.uri).is_file() for group in theirs.values() for a in group)

        # One search path finds both layers.
        assert butler.get("calexpSummary", data_id(2, 1)) == {"total": 21 + 4, "source": str(repos.release_ids[(2, 1)])}
        found = {(r.dataset_type.name, r.run) for r in registry.query_datasets(
            ["calexp", "calexpSummary"], butler.collections, where="instrument = 'Cam1' AND band = 'g'")}
        assert found == {("calexp", RELEASE_RUN), ("calexpSummary", MY_RUN)}
        # A personal calexp shadows the release's in this search path, not in the release's own.
        fixed = butler.put({"visit": 1, "detector": 1, "flux": [0, 0]}, "calexp", data_id(1, 1))
        assert butler.get("calexp", data_id(1, 1)) == {"visit": 1, "detector": 1, "flux": [0, 0]}
        assert butler.get("calexp", data_id(1, 1), collections=[RELEASE_RUN]) == pixels(1, 1)

        # A personal chain holding the release run.
        butler.define_chain(MY_CHAIN, [MY_RUN, RELEASE_RUN])
        assert registry.resolve_collections([MY_CHAIN]) == (MY_RUN, RELEASE_RUN)

        # Provenance across the layers.
        assert [q.id for q in registry.find_quanta(input=repos.release_ids[(1, 2)])] == [quantum.id]
        (recorded,) = registry.find_quanta(output=outputs[0])
        assert set(recorded.inputs) == set(repos.release_ids.values()) and set(recorded.outputs) == set(outputs)

    # Reopened through its butler.yaml, over the release it names; the chain finds both layers.
    with Butler(repos.personal, collections=[MY_CHAIN], writeable=False) as reader:
        assert reader.get("calexp", data_id(2, 2)) == pixels(2, 2)
        assert reader.get("calexp", data_id(1, 1)) == {"visit": 1, "detector": 1, "flux": [0, 0]}
        assert reader.get("calexpSummary", data_id(1, 2))["source"] == str(repos.release_ids[(1, 2)])
        summaries = reader.registry.query_datasets("calexpSummary", [MY_CHAIN], where="instrument = 'Cam1'")
        assert summaries.count() == 4
        (consumer,) = reader.registry.find_quanta(input=repos.release_ids[(2, 2)])
        assert consumer.task == "summarize"
        assert reader.registry.find_datasets("calexp", [data_id(1, 1)], [MY_CHAIN]) == [fixed]

    # The release, opened on its own, knows nothing of Alice's work.
    with Butler(repos.release, collections=[RELEASE_RUN], writeable=False) as release:
        assert [c.name for c in release.registry.query_collections()] == [RELEASE_RUN]
        assert [t.name for t in release.registry.query_dataset_types()] == ["calexp"]
        assert release.registry.find_quanta() == []
        assert release.get("calexp", data_id(1, 1)) == pixels(1, 1)


def test_writes_into_the_release_are_refused_and_leave_no_files(repos: Repos) -> None:
    with Butler(repos.personal, run=MY_RUN, collections=[MY_RUN, RELEASE_RUN]) as butler:
        personal_files_before = digests(repos.personal / "datasets") if (repos.personal / "datasets").exists() else {}
        with pytest.raises(ReleaseWriteError, match="'dr1/calexp'"):
            butler.put(pixels(3, 1), "calexp", data_id(3, 1), run=RELEASE_RUN)
        with pytest.raises(ReleaseWriteError, match="'dr1/calexp'"):
            butler.put_many([(pixels(3, 2), "calexp", data_id(3, 2)), (pixels(3, 3), "calexp", data_id(3, 3))],
                            run=RELEASE_RUN)
        theirs = butler.find_dataset("calexp", data_id(1, 1))
        assert theirs is not None and theirs.run == RELEASE_RUN
        with pytest.raises(ReleaseWriteError, match=str(theirs.id)):
            butler.remove([theirs])
        with pytest.raises(ReleaseWriteError, match="of run 'dr1/calexp' belongs to the read-only release"):
            butler.remove_runs([RELEASE_RUN])
        with pytest.raises(ReadOnlyError):
            butler.datastore.remove(butler.registry.get_artifacts([theirs.id])[theirs.id])
        # Nothing was written anywhere, and the release datasets are all still there.
        after = digests(repos.personal / "datasets") if (repos.personal / "datasets").exists() else {}
        assert after == personal_files_before
        assert {r.id for r in butler.registry.datasets_in_collection(RELEASE_RUN)} == set(repos.release_ids.values())
        assert butler.get(theirs) == pixels(1, 1)
        assert butler.registry.datasets_in_collection(MY_RUN) == []
        # The personal run still takes writes after the refusals.
        mine = butler.put(pixels(3, 1), "calexp", data_id(3, 1))
        assert mine.run == MY_RUN and butler.get("calexp", data_id(3, 1)) == pixels(3, 1)
    assert sorted(os.listdir(repos.release / "datasets" / "dr1")) == ["calexp"]
