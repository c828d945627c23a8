"""W3C PROV export of lineage, read back with the ``prov`` package: entities, activities, agents and relations."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pytest
from prov.model import (
    ProvActivity,
    ProvAgent,
    ProvAssociation,
    ProvDerivation,
    ProvDocument,
    ProvEntity,
    ProvGeneration,
    ProvUsage,
)

from databutler.adapters.sql import SqlRegistry
from databutler.config.universe import default_universe
from databutler.domain import CollectionKind, Quantum
from databutler.service.lineage_prov import prov_json, prov_json_text
from databutler.testing.data import insert_standard_data_units
from databutler.testing.registry import CALEXP, RAW
from databutler.testing.registry_lineage import Graph, write_graph

START = datetime.datetime(2024, 1, 3, 12, 0, 0)


@pytest.fixture
def registry() -> Iterator[SqlRegistry]:
    with SqlRegistry.create("sqlite://", default_universe()) as registry:
        insert_standard_data_units(registry)
        registry.register_dataset_type(CALEXP)
        registry.register_dataset_type(RAW)
        registry.register_collection("run1", CollectionKind.RUN)
        registry.register_collection("run2", CollectionKind.RUN)
        yield registry


@pytest.fixture
def graph(registry: SqlRegistry) -> Graph:
    return write_graph(registry)


def read_back(text: str) -> ProvDocument:
    return ProvDocument.deserialize(content=text, format="json")


def local(identifier: object) -> str:
    """The local part of a PROV qualified name (a dataset or quantum UUID, a task name)."""
    return str(getattr(identifier, "localpart", identifier))


def records(document: ProvDocument, kind: type) -> list:  # type: ignore[type-arg]
    return [r for r in document.get_records() if isinstance(r, kind)]


def pairs(document: ProvDocument, kind: type, first: str, second: str) -> set[tuple[str, str]]:
    return {(local(r.get_attribute(first).pop()), local(r.get_attribute(second).pop()))
            for r in records(document, kind)}


def test_entities_are_the_datasets_with_type_run_and_data_id(registry: SqlRegistry, graph: Graph) -> None:
    document = read_back(prov_json_text(registry.lineage(graph.id("m2"))))
    entities = {local(e.identifier): e for e in records(document, ProvEntity)}
    assert set(entities) == {str(graph.id(n)) for n in ("m2", "s2", "b2", "c2", "r2")}
    calexp = entities[str(graph.id("c2"))]
    attributes = {local(k): v for k, v in calexp.attributes}
    assert attributes["datasetType"] == "calexp"
    assert attributes["run"] == "run2"
    assert attributes["dataId"] == '{"detector": 1, "instrument": "Cam1", "visit": 2}'
    assert attributes["depth"] == 2
    assert local(attributes["type"]) == "Dataset"


def test_relations_are_used_generated_derived_and_associated(registry: SqlRegistry, graph: Graph) -> None:
    document = read_back(prov_json_text(registry.lineage(graph.id("m2"))))
    q = {name: str(graph.quanta[name].id) for name in ("isr2", "characterize2", "summarize2")}
    d = {name: str(graph.id(name)) for name in ("r2", "c2", "s2", "b2", "m2")}
    assert {local(a.identifier) for a in records(document, ProvActivity)} == set(q.values())
    assert pairs(document, ProvUsage, "prov:activity", "prov:entity") == {
        (q["isr2"], d["r2"]), (q["characterize2"], d["c2"]), (q["summarize2"], d["s2"]), (q["summarize2"], d["b2"])}
    assert pairs(document, ProvGeneration, "prov:entity", "prov:activity") == {
        (d["c2"], q["isr2"]), (d["s2"], q["characterize2"]), (d["b2"], q["characterize2"]),
        (d["m2"], q["summarize2"])}
    assert pairs(document, ProvDerivation, "prov:generatedEntity", "prov:usedEntity") == {
        (d["c2"], d["r2"]), (d["s2"], d["c2"]), (d["b2"], d["c2"]), (d["m2"], d["s2"]), (d["m2"], d["b2"])}
    assert {local(a.identifier) for a in records(document, ProvAgent)} == {"isr", "characterize", "summarize"}
    assert pairs(document, ProvAssociation, "prov:activity", "prov:agent") == {
        (q["isr2"], "isr"), (q["characterize2"], "characterize"), (q["summarize2"], "summarize")}


def test_activities_carry_start_and_end_times_and_status(registry: SqlRegistry, graph: Graph) -> None:
    (extra,) = registry.insert_datasets("calexp", "run2", [{"instrument": "Cam1", "visit": 3, "detector": 1}])
    timed = Quantum("recalibrate", "run2", None, inputs=[graph.id("c1")], outputs=[extra.id], started=START,
                    ended=START + datetime.timedelta(seconds=90), host="node7")
    registry.insert_quanta([timed])
    document = read_back(prov_json_text(registry.lineage(extra.id)))
    (activity,) = [a for a in records(document, ProvActivity) if local(a.identifier) == str(timed.id)]
    assert activity.get_startTime() == START.replace(tzinfo=datetime.UTC)
    assert activity.get_endTime() == START.replace(tzinfo=datetime.UTC) + datetime.timedelta(seconds=90)
    attributes = {local(k): v for k, v in activity.attributes}
    assert attributes["task"] == "recalibrate" and attributes["host"] == "node7"
    assert attributes["status"] == "SUCCEEDED"


def test_a_removed_dataset_is_an_entity_marked_removed(registry: SqlRegistry, graph: Graph) -> None:
    registry.remove_datasets([graph.id("c1")])
    document = prov_json(registry.lineage(graph.id("m1")))
    removed = document["entity"][f"dataset:{graph.id('c1')}"]
    assert removed["databutler:removed"] is True and "databutler:run" not in removed
    read_back(prov_json_text(registry.lineage(graph.id("m1"))))  # still valid PROV-JSON


def test_the_graph_of_a_run_exports_every_quantum(registry: SqlRegistry, graph: Graph) -> None:
    document = read_back(prov_json_text(registry.run_provenance("run2")))
    assert {local(a.identifier) for a in records(document, ProvActivity)} == {
        str(q.id) for q in graph.quanta.values()}
    assert len(records(document, ProvEntity)) == len(graph.refs)


def test_a_lonely_dataset_exports_one_entity_and_nothing_else(registry: SqlRegistry, graph: Graph) -> None:
    document = prov_json(registry.lineage(graph.id("r1")))
    assert set(document) == {"prefix", "entity"}
    assert list(document["entity"]) == [f"dataset:{graph.id('r1')}"]
    assert uuid.UUID(next(iter(document["entity"])).split(":", 1)[1]) == graph.id("r1")
