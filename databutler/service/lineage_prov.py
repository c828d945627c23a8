"""W3C PROV export of lineage: datasets are entities, quanta activities, task classes software agents.

The result is PROV-JSON (https://www.w3.org/submissions/prov-json/), plain dicts and strings, so
writing it needs nothing beyond the standard library; provenance tools, and the ``prov`` package
(``prov.model.ProvDocument.deserialize(content=..., format="json")``), read it back.

- entity ``dataset:<uuid>``: ``databutler:datasetType``, ``databutler:run``, ``databutler:dataId``
  (the DataId as JSON), ``databutler:depth`` for a Lineage; a dataset the registry no longer
  holds is an entity with ``databutler:removed`` true and nothing else known.
- activity ``quantum:<uuid>``: ``prov:startTime``/``prov:endTime``, ``databutler:task``,
  ``databutler:run``, ``databutler:status``, ``databutler:host``, ``databutler:dataId``.
- agent ``task:<task name>`` (``prov:SoftwareAgent``), ``wasAssociatedWith`` its quanta.
- ``used`` (quantum read dataset), ``wasGeneratedBy`` (dataset written by quantum), and
  ``wasDerivedFrom`` every output from every input of the same quantum, naming the quantum.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any

from ..domain.lineage import Lineage, ProvenanceGraph
from ..domain.quantum import Quantum

NAMESPACES = {
    "databutler": "urn:databutler:",
    "dataset": "urn:databutler:dataset:",
    "quantum": "urn:databutler:quantum:",
    "task": "urn:databutler:task:",
}
"""The PROV-JSON prefixes of the export."""


def prov_json(graph: ProvenanceGraph) -> dict[str, Any]:
    """``graph`` (a Lineage or the graph of a run) as a PROV-JSON document."""
    depths: Mapping[uuid.UUID, int] = graph.depths if isinstance(graph, Lineage) else {}
    entities: dict[str, dict[str, Any]] = {}
    for dataset_id in sorted(graph.dataset_ids, key=lambda i: (depths.get(i, 0), str(i))):
        ref = graph.datasets.get(dataset_id)
        attributes: dict[str, Any] = {"prov:type": _name("databutler:Dataset")}
        if ref is None:
            attributes["databutler:removed"] = True
        else:
            attributes.update({"prov:label": f"{ref.dataset_type.name} {_data_id(ref.data_id)} in {ref.run}",
                               "databutler:datasetType": ref.dataset_type.name, "databutler:run": ref.run,
                               "databutler:dataId": _data_id(ref.data_id),
                               "databutler:storageClass": ref.dataset_type.storage_class})
        if dataset_id in depths:
            attributes["databutler:depth"] = depths[dataset_id]
        entities[_dataset(dataset_id)] = attributes
    document: dict[str, Any] = {"prefix": dict(NAMESPACES), "entity": entities,
                                "activity": {_quantum(q.id): _activity(q) for q in graph.quanta.values()},
                                "agent": {f"task:{task}": {"prov:type": _name("prov:SoftwareAgent"), "prov:label": task}
                                          for task in sorted({q.task for q in graph.quanta.values()})}}
    relations: dict[str, dict[str, dict[str, Any]]] = {
        "used": {}, "wasGeneratedBy": {}, "wasDerivedFrom": {}, "wasAssociatedWith": {}}
    for quantum in graph.quanta.values():
        activity = _quantum(quantum.id)
        inputs, outputs = graph.inputs.get(quantum.id, ()), graph.outputs.get(quantum.id, ())
        _add(relations["wasAssociatedWith"], "a", {"prov:activity": activity, "prov:agent": f"task:{quantum.task}"})
        for dataset_id in inputs:
            _add(relations["used"], "u", {"prov:activity": activity, "prov:entity": _dataset(dataset_id)})
        for dataset_id in outputs:
            _add(relations["wasGeneratedBy"], "g", {"prov:entity": _dataset(dataset_id), "prov:activity": activity})
            for source in inputs:
                _add(relations["wasDerivedFrom"], "d", {"prov:generatedEntity": _dataset(dataset_id),
                                                        "prov:usedEntity": _dataset(source),
                                                        "prov:activity": activity})
    document.update({name: found for name, found in relations.items() if found})
    return {key: value for key, value in document.items() if value}


def prov_json_text(graph: ProvenanceGraph, *, indent: int | None = 2) -> str:
    """``prov_json(graph)`` serialised, for a file or a terminal."""
    return json.dumps(prov_json(graph), indent=indent, sort_keys=False)


def _add(relation: dict[str, dict[str, Any]], kind: str, attributes: dict[str, Any]) -> None:
    """Add one relation under a blank-node identifier (``_:u1``, ``_:g2``...), numbered per relation."""
    relation[f"_:{kind}{len(relation) + 1}"] = attributes


def _name(qualified: str) -> dict[str, str]:
    """A qualified-name value (a plain string would be an xsd:string literal)."""
    return {"$": qualified, "type": "prov:QUALIFIED_NAME"}


def _dataset(dataset_id: uuid.UUID) -> str:
    return f"dataset:{dataset_id}"


def _quantum(quantum_id: uuid.UUID) -> str:
    return f"quantum:{quantum_id}"


def _data_id(data_id: Mapping[str, Any]) -> str:
    return json.dumps(dict(data_id), sort_keys=True, default=str)


def _time(value: datetime.datetime) -> str:
    """ISO 8601, in UTC (stored times are naive UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
    return aware.isoformat()


def _activity(quantum: Quantum) -> dict[str, Any]:
    attributes: dict[str, Any] = {"prov:type": _name("databutler:Quantum"), "prov:label": quantum.task,
                                  "databutler:task": quantum.task, "databutler:run": quantum.run,
                                  "databutler:status": quantum.status.value}
    if quantum.started is not None:
        attributes["prov:startTime"] = _time(quantum.started)
    if quantum.ended is not None:
        attributes["prov:endTime"] = _time(quantum.ended)
    if quantum.host is not None:
        attributes["databutler:host"] = quantum.host
    if quantum.data_id is not None:
        attributes["databutler:dataId"] = _data_id(quantum.data_id)
    return attributes
