"""The quantum graph as a file: versioned, self-describing JSON (gzip-compressed when the name ends in .gz).

Format ``databutler-quantum-graph`` version 1, one JSON object::

    format, version         "databutler-quantum-graph", 1
    created                 ISO 8601 UTC time of preflight
    universe                [namespace, version] of the repository planned on
    input_collections       [names]; output_run: name; options: how it was built
    tasks                   [{label, class ("pkg.mod:Cls"), config {...}}] in run order
    dataset_types           [[name, [units], storage_class]]
    runs                    [run names]
    datasets                [[id, dataset type index, run index, {unit: value} (required + implied)]]
    quanta                  [{id, task (label), data_id {...}, inputs {conn: [dataset index]},
                              prerequisites {...}, outputs {...}, clobber [dataset index]}] in run order
    dropped                 [[label, data_id, reason]];  skipped: {label: count}

Refs are stored once and named by index, so a graph of 10^5 quanta stays compact.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef
from ...domain.dataset_type import DatasetType
from ...domain.errors import PipelineError
from ...domain.pipeline import GRAPH_FORMAT, GRAPH_VERSION, DroppedQuantum, PlannedQuantum, QuantumGraph
from ...domain.universe import Universe
from .loading import pipeline_from_tasks


def graph_to_dict(graph: QuantumGraph) -> dict[str, Any]:
    """The graph as plain JSON-ready values."""
    types: dict[str, int] = {}
    type_rows: list[list[Any]] = []
    runs: dict[str, int] = {}
    datasets: dict[uuid.UUID, int] = {}
    rows: list[list[Any]] = []

    def index(ref: DatasetRef) -> int:
        found = datasets.get(ref.id)
        if found is None:
            name = ref.dataset_type.name
            if name not in types:
                types[name] = len(type_rows)
                type_rows.append([name, list(ref.dataset_type.units), ref.dataset_type.storage_class])
            run = runs.setdefault(ref.run, len(runs))
            found = datasets[ref.id] = len(rows)
            rows.append([str(ref.id), types[name], run, ref.data_id.full])
        return found

    def refs(mapping: Mapping[str, Sequence[DatasetRef]]) -> dict[str, list[int]]:
        return {name: [index(r) for r in refs] for name, refs in mapping.items()}

    quanta = [{"id": str(q.id), "task": q.label, "data_id": q.data_id.full, "inputs": refs(q.inputs),
               "prerequisites": refs(q.prerequisites), "outputs": refs(q.outputs),
               "clobber": [index(r) for r in q.clobber]} for q in graph.quanta]
    return {
        "format": GRAPH_FORMAT, "version": GRAPH_VERSION, "created": graph.created.isoformat(),
        "universe": list(graph.universe), "input_collections": list(graph.input_collections),
        "output_run": graph.output_run, "options": dict(graph.options),
        "tasks": [{"label": n.label, "class": n.class_name, "config": n.config_values()}
                  for n in graph.pipeline.tasks],
        "dataset_types": type_rows, "runs": list(runs), "datasets": rows, "quanta": quanta,
        "dropped": [[d.label, d.data_id.full, d.reason] for d in graph.dropped], "skipped": dict(graph.skipped),
    }


def save_graph(graph: QuantumGraph, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` to ``path`` (atomically: a partial file never has the final name)."""
    path = os.fspath(path)
    data = json.dumps(graph_to_dict(graph), separators=(",", ":"), default=str).encode()
    if path.endswith(".gz"):
        data = gzip.compress(data, compresslevel=5)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as stream:
        stream.write(data)
    os.replace(tmp, path)


def load_graph(path: str | os.PathLike[str], universe: Universe, *,
               import_task: Callable[[str], type[Any]] | None = None) -> QuantumGraph:
    """Read a graph saved by ``save_graph``, for a repository with ``universe``."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except OSError as err:
        raise PipelineError(f"cannot read quantum graph {path!r}: {err.strerror or err}") from None
    except (ValueError, EOFError) as err:
        raise PipelineError(f"{path!r} is not a quantum graph file (truncated or corrupt: {err})") from None
    return graph_from_dict(data, universe, where=path, import_task=import_task)


def graph_from_dict(data: Any, universe: Universe, *, where: str = "graph",
                    import_task: Callable[[str], type[Any]] | None = None) -> QuantumGraph:
    """A graph from the values ``graph_to_dict`` gives; wrong format, version or universe are errors."""
    if not isinstance(data, dict) or data.get("format") != GRAPH_FORMAT:
        raise PipelineError(f"{where!r} is not a databutler quantum graph (no format {GRAPH_FORMAT!r})")
    version = data.get("version")
    if not isinstance(version, int) or version > GRAPH_VERSION or version < 1:
        raise PipelineError(f"{where!r} has quantum graph format version {version!r}; this databutler reads "
                            f"versions 1 to {GRAPH_VERSION} (upgrade databutler to read it)")
    try:
        namespace, universe_version = data["universe"]
        if (namespace, universe_version) != (universe.namespace, universe.version):
            raise PipelineError(f"{where!r} was planned on a repository with universe {namespace} version "
                                f"{universe_version}, not {universe.namespace} version {universe.version}")
        pipeline = pipeline_from_tasks(data["tasks"], import_task=import_task)
        types = [DatasetType(name, units, storage_class) for name, units, storage_class in data["dataset_types"]]
        runs = list(data["runs"])
        refs = [DatasetRef(types[t], _data_id(universe, types[t].units, values), runs[r], uuid.UUID(i))
                for i, t, r, values in data["datasets"]]

        def pick(mapping: Mapping[str, Sequence[int]]) -> dict[str, tuple[DatasetRef, ...]]:
            return {name: tuple(refs[i] for i in indexes) for name, indexes in mapping.items()}

        quanta = []
        for q in data["quanta"]:
            node = pipeline[q["task"]]
            quanta.append(PlannedQuantum(node.label, _data_id(universe, universe.closure(node.units)
                                                              if node.units else (), q["data_id"]),
                                         pick(q["inputs"]), pick(q["prerequisites"]), pick(q["outputs"]),
                                         uuid.UUID(q["id"]), tuple(refs[i] for i in q["clobber"])))
        dropped = [DroppedQuantum(label, _data_id(universe, universe.closure(pipeline[label].units)
                                                  if pipeline[label].units else (), values), reason)
                   for label, values, reason in data["dropped"]]
        return QuantumGraph(pipeline, quanta, data["input_collections"], data["output_run"], dropped,
                            dict(data["skipped"]), datetime.datetime.fromisoformat(data["created"]),
                            dict(data["options"]), (namespace, universe_version))
    except PipelineError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise PipelineError(f"{where!r} is a damaged quantum graph: {type(err).__name__}: {err}") from None


def _data_id(universe: Universe, units: Sequence[str], values: Mapping[str, Any]) -> DataId:
    required = universe.closure(units) if units else ()
    return DataId({u: values[u] for u in required}, {k: v for k, v in values.items() if k not in required})

