"""The quantum graph file: a round trip keeps every quantum, ref and id; foreign, newer or damaged files are refused."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler import Butler
from databutler.domain.errors import PipelineError
from databutler.domain.pipeline import GRAPH_VERSION, QuantumGraph
from databutler.service.pipeline import build_quantum_graph, check_graph, load_graph, run_graph, save_graph
from databutler.testing.pipeline_tasks import INPUTS, repository_state, setup_repository, three_task_pipeline

OUT = "out/run"


@pytest.fixture
def butler(tmp_path: Path) -> Iterator[Butler]:
    """A repository with the three-task pipeline's inputs (one flat missing, so the graph has a dropped quantum)."""
    with Butler.create(tmp_path / "repo") as butler:
        setup_repository(butler, visits=(1, 2), detectors=(1, 2, 3), flats=(1, 2))
        yield butler


@pytest.fixture
def graph(butler: Butler) -> QuantumGraph:
    """The pipeline planned over ``butler``, with a config value that must survive the file."""
    return build_quantum_graph(butler, three_task_pipeline(scale=1.5), INPUTS, OUT, where="visit IN (1, 2)")


def _summary(graph: QuantumGraph) -> list[object]:
    return [(q.id, q.label, q.data_id, dict(q.data_id.implied), q.inputs, q.prerequisites, q.outputs, q.clobber)
            for q in graph]


@pytest.mark.parametrize("name", ["graph.json", "graph.json.gz"])
def test_round_trip_keeps_quanta_refs_and_ids(butler: Butler, graph: QuantumGraph, tmp_path: Path,
                                              name: str) -> None:
    save_graph(graph, tmp_path / name)
    loaded = load_graph(tmp_path / name, butler.registry.universe)
    assert _summary(loaded) == _summary(graph)
    assert loaded == graph  # every attrs field: collections, run, dropped, skipped, created, options, universe
    assert loaded.dropped and loaded.dropped == graph.dropped
    assert loaded.pipeline.labels == graph.pipeline.labels
    assert loaded.pipeline["calibrate"].config_values() == graph.pipeline["calibrate"].config_values()
    assert [r.dataset_type for q in loaded for r in q.output_refs()] == [
        r.dataset_type for q in graph for r in q.output_refs()]


def test_a_loaded_graph_runs(butler: Butler, graph: QuantumGraph, tmp_path: Path) -> None:
    save_graph(graph, tmp_path / "graph.json.gz")
    report = run_graph(butler, load_graph(tmp_path / "graph.json.gz", butler.registry.universe))
    assert report.ok and sum(c["done"] for c in report.counts.values()) == len(graph)


def test_graph_from_another_repository_is_refused_at_run(graph: QuantumGraph, tmp_path: Path) -> None:
    save_graph(graph, tmp_path / "graph.json")
    with Butler.create(tmp_path / "other") as other:
        setup_repository(other, visits=(1, 2), detectors=(1, 2, 3), flats=(1, 2))  # same DataIds, other ids
        loaded = load_graph(tmp_path / "graph.json", other.registry.universe)
        before = repository_state(other)
        with pytest.raises(PipelineError, match=r"datasets this graph reads are not in this repository"):
            check_graph(other, loaded)
        with pytest.raises(PipelineError, match=r"planned on another repository"):
            run_graph(other, loaded)
        assert repository_state(other) == before


def test_newer_format_version_is_refused(butler: Butler, graph: QuantumGraph, tmp_path: Path) -> None:
    save_graph(graph, tmp_path / "graph.json")
    data = json.loads((tmp_path / "graph.json").read_text())
    data["version"] = GRAPH_VERSION + 1
    (tmp_path / "graph.json").write_text(json.dumps(data))
    with pytest.raises(PipelineError, match=rf"format version {GRAPH_VERSION + 1}; this databutler reads versions 1 "
                                            rf"to {GRAPH_VERSION} \(upgrade databutler"):
        load_graph(tmp_path / "graph.json", butler.registry.universe)


@pytest.mark.parametrize("name", ["graph.json", "graph.json.gz"])
def test_truncated_file_is_refused(butler: Butler, graph: QuantumGraph, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    save_graph(graph, path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(PipelineError, match=r"is not a quantum graph file \(truncated or corrupt"):
        load_graph(path, butler.registry.universe)


@pytest.mark.parametrize("content", [b"tasks: {}\n", json.dumps({"quanta": []}).encode(),
                                     gzip.compress(b"[1, 2, 3]"), b"\x00\x01binary"])
def test_a_file_that_is_not_a_graph_is_refused(butler: Butler, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not-a-graph"
    path.write_bytes(content)
    with pytest.raises(PipelineError, match=r"not a (databutler )?quantum graph"):
        load_graph(path, butler.registry.universe)


def test_damaged_graph_with_the_right_header_is_refused(butler: Butler, graph: QuantumGraph, tmp_path: Path) -> None:
    save_graph(graph, tmp_path / "graph.json")
    data = json.loads((tmp_path / "graph.json").read_text())
    data["quanta"][0]["inputs"]["raw"] = [10**6]
    (tmp_path / "graph.json").write_text(json.dumps(data))
    with pytest.raises(PipelineError, match=r"is a damaged quantum graph: IndexError"):
        load_graph(tmp_path / "graph.json", butler.registry.universe)


def test_missing_file_is_a_pipeline_error(butler: Butler, tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"cannot read quantum graph"):
        load_graph(tmp_path / "absent.json", butler.registry.universe)
