"""Butler.lineage: a Dataset found by ref, id, or DatasetType and DataId in the Butler's search path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from databutler import Butler
from databutler.domain import CollectionKind, Quantum
from databutler.domain.errors import CollectionError, DataIdError, DatasetNotFoundError
from databutler.domain.lineage import Direction
from databutler.testing.data import insert_standard_data_units
from databutler.testing.registry import CALEXP, RAW
from databutler.testing.registry_lineage import Graph, write_graph


@pytest.fixture
def butler(tmp_path: Path) -> Iterator[Butler]:
    with Butler.create(tmp_path / "repo", run="run2", collections=["run2", "run1"]) as butler:
        insert_standard_data_units(butler.registry)
        butler.registry.register_dataset_type(CALEXP)
        butler.registry.register_dataset_type(RAW)
        butler.registry.register_collection("run1", CollectionKind.RUN)
        butler.registry.register_collection("run2", CollectionKind.RUN)
        yield butler


@pytest.fixture
def graph(butler: Butler) -> Graph:
    return write_graph(butler.registry)


def test_lineage_by_dataset_type_and_data_id_in_the_search_path(butler: Butler, graph: Graph) -> None:
    by_kwargs = butler.lineage("visitSummary", instrument="Cam1", visit=2)
    assert by_kwargs.root == graph.id("m2")
    assert set(by_kwargs.depths.values()) == {0, 1, 2, 3}
    by_dict = butler.lineage("raw", {"instrument": "Cam1", "exposure": 102, "detector": 1}, direction="down",
                             depth=1, collections="run1")
    assert set(by_dict.datasets) == {graph.id("r2"), graph.id("c2")}
    assert by_dict.direction is Direction.DOWN


def test_lineage_by_ref_or_id(butler: Butler, graph: Graph) -> None:
    assert butler.lineage(graph.refs["m1"]) == butler.lineage(graph.id("m1")) == butler.registry.lineage(
        graph.id("m1"))
    with pytest.raises(DataIdError):
        butler.lineage(graph.refs["m1"], {"visit": 1})


def test_a_dataset_not_in_the_search_path_is_a_clear_error(butler: Butler, graph: Graph) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"'visitSummary'.*\['run1'\]"):
        butler.lineage("visitSummary", instrument="Cam1", visit=2, collections=["run1"])
    with Butler(butler.root) as without_collections, pytest.raises(CollectionError, match="no collections"):
        without_collections.lineage("visitSummary", instrument="Cam1", visit=2)


def test_the_provenance_of_a_run(butler: Butler, graph: Graph) -> None:
    extra = Quantum("note", "run1", None, inputs=[graph.id("r1")])
    butler.registry.insert_quanta([extra])
    assert set(butler.run_provenance("run1").quanta) == {extra.id}
    assert len(butler.run_provenance("run2").quanta) == len(graph.quanta)
