"""The batch-worker round trip: full registry -> export_subset -> limited worker Butler -> merge_into."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, ConflictingDefinitionError, DatasetType
from databutler.adapters.nosql import LimitedRegistry
from databutler.adapters.sql import SqlRegistry
from databutler.domain import CollectionKind, DatasetRef, Universe
from databutler.domain.quantum import Quantum
from databutler.ports import Registry
from databutler.testing.data import insert_standard_data_units
from databutler.testing.registry import RAW

ISR = DatasetType("postISRCCD", ("instrument", "detector", "exposure"), "StructuredData")
INPUT_RUN, OUTPUT_RUN = "raw/run", "worker/run"


def make_full_repo(root: Path) -> tuple[Butler, list[DatasetRef]]:
    """A full repo (SQLite + POSIX) holding two raws in INPUT_RUN, plus unrelated DataUnit records."""
    butler = Butler.create(root, run=INPUT_RUN)
    insert_standard_data_units(butler.registry)
    butler.registry.register_dataset_type(RAW)
    butler.registry.register_collection(INPUT_RUN, CollectionKind.RUN)
    raws = [butler.put({"pixels": [e, d]}, "raw", instrument="Cam1", exposure=e, detector=d)
            for e, d in ((101, 1), (102, 2))]
    return butler, raws


def shared_datastore(tmp_path: Path) -> dict[str, Any]:
    """The full repo's POSIX datastore, which the workers write into."""
    return {"adapter": "posix", "root": str(tmp_path / "full" / "datasets")}


def start_worker(root: Path, datastore: dict[str, Any]) -> Butler:
    """A worker Butler: a limited registry (journals under ``root``) writing OUTPUT_RUN into ``datastore``."""
    config = {"registry": {"adapter": "limited", "root": "{root}/registry"}, "datastore": datastore}
    return Butler.create(root, config=config, run=OUTPUT_RUN, collections=[INPUT_RUN])


def state(butler: Butler) -> tuple[Any, ...]:
    """What a merge may change in the full registry, to show a second merge changes nothing."""
    registry = butler.registry
    refs = registry.datasets_in_collection(OUTPUT_RUN) if registry.query_collections(OUTPUT_RUN) else []
    return (registry.query_collections(), registry.query_dataset_types(), refs,
            registry.get_artifacts([r.id for r in refs]), registry.find_quanta(run=OUTPUT_RUN))


def test_a_worker_seeded_with_a_subset_puts_outputs_that_merge_back_with_their_provenance(tmp_path: Path) -> None:
    full, raws = make_full_repo(tmp_path / "full")
    subset = full.registry.export_subset(raws)
    assert {r.id for r in subset.refs} == {r.id for r in raws}
    assert sorted(r["id"] for r in subset.records["detector"]) == [1, 2]  # only what the job needs
    assert sorted(r["id"] for r in subset.records["exposure"]) == [101, 102]
    assert {r["name"] for r in subset.records["physical_filter"]} == {"Cam1-g"}  # implied by the exposures
    assert "visit" not in subset.records

    # The worker: a limited registry (journals in a local directory) and the shared POSIX datastore.
    started = datetime.datetime(2024, 1, 2, 3, 4, 5)
    quanta = []
    with start_worker(tmp_path / "worker", shared_datastore(tmp_path)) as worker:
        registry = worker.registry
        assert isinstance(registry, LimitedRegistry)
        registry.load_subset(subset)
        registry.register_dataset_type(ISR)
        registry.register_collection(OUTPUT_RUN, CollectionKind.RUN)
        for raw in raws:
            pixels = worker.get(raw)["pixels"]
            output = worker.put({"pixels": pixels, "isr": True}, "postISRCCD", dict(raw.data_id))
            quanta.append(Quantum("isr", OUTPUT_RUN, raw.data_id, inputs=[raw.id], outputs=[output.id],
                                  started=started, ended=started + datetime.timedelta(seconds=3), host="node7"))
        registry.insert_quanta(quanta)
        outputs = registry.datasets_in_collection(OUTPUT_RUN)

    # Back on the full side, after the job: merge (twice; the second changes nothing).
    with LimitedRegistry.open(str(tmp_path / "worker" / "registry"), _working, writeable=False) as finished:
        assert finished.merge_into(full.registry) == {"data_unit_records": 0, "datasets": 2, "artifacts": 2,
                                                      "tags": 0, "chains": 0, "quanta": 2}
        before = state(full)
        assert finished.merge_into(full.registry) == {"data_unit_records": 0, "datasets": 0, "artifacts": 0,
                                                      "tags": 0, "chains": 0, "quanta": 0}
        assert state(full) == before
    for raw, quantum, output in zip(raws, quanta, outputs, strict=True):
        expected = {"pixels": [raw.data_id["exposure"], raw.data_id["detector"]], "isr": True}
        assert full.get("postISRCCD", dict(raw.data_id), collections=[OUTPUT_RUN]) == expected
        assert full.registry.find_quanta(output=output.id) == [quantum]
        assert full.registry.find_quanta(input=raw.id, task="isr") == [quantum]
    assert full.registry.get_dataset_type("postISRCCD") == ISR
    full.close()


def _working(universe: Universe) -> Registry:
    return SqlRegistry.create("sqlite://", universe)


def test_a_worker_round_trip_from_a_personal_registry_over_a_release(tmp_path: Path) -> None:
    """Personal processing of release inputs on a batch node merges back into the personal layer only."""
    release, raws = make_full_repo(tmp_path / "release")
    release.close()
    release_file = tmp_path / "release" / "registry.sqlite3"
    before = release_file.read_bytes()
    datastore = {"adapter": "chained", "children": [
        {"name": "mine", "datastore": {"adapter": "posix", "root": str(tmp_path / "mine" / "datasets")}},
        {"name": "dr", "read_only": True, "relative_uris": True,
         "datastore": {"adapter": "posix", "root": str(tmp_path / "release" / "datasets")}}]}
    personal = Butler.create(tmp_path / "mine", {
        "registry": {"adapter": "sql", "url": "sqlite:///{root}/registry.sqlite3",
                     "release": {"url": f"sqlite:///{release_file}"}},
        "datastore": datastore}, collections=[INPUT_RUN])
    subset = personal.registry.export_subset(raws)  # release datasets, read through the personal registry
    assert {r.id for r in subset.refs} == {r.id for r in raws}

    with start_worker(tmp_path / "worker", datastore) as worker:
        registry = worker.registry
        assert isinstance(registry, LimitedRegistry)
        registry.load_subset(subset)
        registry.register_dataset_type(ISR)
        registry.register_collection(OUTPUT_RUN, CollectionKind.RUN)
        quanta = []
        for raw in raws:
            output = worker.put({"isr": worker.get(raw)["pixels"]}, "postISRCCD", dict(raw.data_id))
            quanta.append(Quantum("isr", OUTPUT_RUN, raw.data_id, inputs=[raw.id], outputs=[output.id]))
        registry.insert_quanta(quanta)

    with LimitedRegistry.open(str(tmp_path / "worker" / "registry"), _working, writeable=False) as finished:
        assert finished.merge_into(personal.registry) == {"data_unit_records": 0, "datasets": 2, "artifacts": 2,
                                                          "tags": 0, "chains": 0, "quanta": 2}
        assert finished.merge_into(personal.registry)["datasets"] == 0
    for raw, quantum in zip(raws, quanta, strict=True):
        assert personal.get("postISRCCD", dict(raw.data_id), collections=[OUTPUT_RUN, INPUT_RUN]) == {
            "isr": [raw.data_id["exposure"], raw.data_id["detector"]]}
        assert personal.registry.find_quanta(input=raw.id) == [quantum]
    personal.close()
    # The outputs live in the personal layer only: the release registry is byte-for-byte what it was.
    assert release_file.read_bytes() == before
    with SqlRegistry.open(f"sqlite:///{release_file}", writeable=False) as plain_release:
        assert plain_release.query_collections(OUTPUT_RUN) == []
        assert plain_release.find_quanta() == []


def test_tagged_memberships_and_chains_made_on_the_worker_merge_back(tmp_path: Path) -> None:
    full, raws = make_full_repo(tmp_path / "full")
    full.registry.register_collection("best", CollectionKind.TAGGED)
    full.registry.associate("best", raws[:1])  # already tagged on the full side
    with start_worker(tmp_path / "worker", shared_datastore(tmp_path)) as worker:
        registry = worker.registry
        registry.load_subset(full.registry.export_subset(raws))
        registry.register_dataset_type(ISR)
        output = worker.put({"isr": True}, "postISRCCD", dict(raws[0].data_id))
        registry.register_collection("best", CollectionKind.TAGGED)
        registry.associate("best", [raws[0], raws[1]])
        registry.register_collection("picked", CollectionKind.TAGGED)
        registry.associate("picked", [output])
        registry.register_collection("worker/all", CollectionKind.CHAINED)
        registry.register_collection("worker/outer", CollectionKind.CHAINED)
        registry.set_chain("worker/outer", ["worker/all"])  # a chain whose child is a chain made later in order
        registry.set_chain("worker/all", ["picked", OUTPUT_RUN, INPUT_RUN])
    with LimitedRegistry.open(str(tmp_path / "worker" / "registry"), _working, writeable=False) as finished:
        counts = finished.merge_into(full.registry)
        assert (counts["tags"], counts["chains"]) == (2, 2)  # raws[1] into best, the output into picked
        assert finished.merge_into(full.registry) == {"data_unit_records": 0, "datasets": 0, "artifacts": 0,
                                                      "tags": 0, "chains": 0, "quanta": 0}
    target = full.registry
    assert {r.id for r in target.datasets_in_collection("best")} == {raws[0].id, raws[1].id}
    assert [r.id for r in target.datasets_in_collection("picked")] == [output.id]
    assert target.get_collection("worker/all").children == ("picked", OUTPUT_RUN, INPUT_RUN)
    assert target.get_collection("worker/outer").children == ("worker/all",)
    assert full.get("postISRCCD", dict(raws[0].data_id), collections=["worker/outer"]) == {"isr": True}
    full.close()


def test_a_chain_defined_differently_on_both_sides_is_a_conflict_and_merges_nothing(tmp_path: Path) -> None:
    full, raws = make_full_repo(tmp_path / "full")
    full.registry.register_collection("all", CollectionKind.CHAINED)
    full.registry.set_chain("all", [INPUT_RUN])
    with start_worker(tmp_path / "worker", shared_datastore(tmp_path)) as worker:
        worker.registry.load_subset(full.registry.export_subset(raws))
        worker.registry.register_dataset_type(ISR)
        worker.put({"isr": True}, "postISRCCD", dict(raws[0].data_id))
        worker.registry.register_collection("all", CollectionKind.CHAINED)
        worker.registry.set_chain("all", [OUTPUT_RUN, INPUT_RUN])
    with (LimitedRegistry.open(str(tmp_path / "worker" / "registry"), _working, writeable=False) as finished,
          pytest.raises(ConflictingDefinitionError, match="'all'")):
        finished.merge_into(full.registry)
    # All or nothing: the outputs did not arrive either, and the chain is as it was.
    assert full.registry.query_collections(OUTPUT_RUN) == []
    assert full.registry.get_collection("all").children == (INPUT_RUN,)
    full.close()


def test_records_updated_on_the_worker_replay_and_merge_back_as_updates(tmp_path: Path) -> None:
    full, raws = make_full_repo(tmp_path / "full")
    with start_worker(tmp_path / "worker", shared_datastore(tmp_path)) as worker:
        registry = worker.registry
        registry.load_subset(full.registry.export_subset(raws))
        assert registry.update_data_units("instrument", [{"name": "Cam1", "detector_max": 200}]) == 1
        registry.update_data_units("detector", [{"instrument": "Cam1", "id": 1, "purpose": "WAVEFRONT"}])
    untouched = full.registry.fetch_data_unit_records("detector", [{"instrument": "Cam1", "id": 2}])
    with LimitedRegistry.open(str(tmp_path / "worker" / "registry"), _working, writeable=False) as finished:
        replayed = finished.fetch_data_unit_records("instrument", [{"name": "Cam1"}])
        assert replayed[0]["detector_max"] == 200, "the update was journaled and replays on open"
        assert finished.merge_into(full.registry)["data_unit_records"] == 2
        assert finished.merge_into(full.registry)["data_unit_records"] == 0, "merging again changes nothing"
    target = full.registry
    assert target.fetch_data_unit_records("instrument", [{"name": "Cam1"}])[0]["detector_max"] == 200
    assert target.fetch_data_unit_records("detector", [{"instrument": "Cam1", "id": 1}])[0]["purpose"] == "WAVEFRONT"
    assert target.fetch_data_unit_records("detector", [{"instrument": "Cam1", "id": 2}]) == untouched
    assert [r.id for r in target.datasets_in_collection(INPUT_RUN)] == [r.id for r in raws]
    full.close()
