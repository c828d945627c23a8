"""The Registry contract, topic group. Lineage (LINEAGE): ancestors and descendants followed recursively, with
depths and a depth limit, and the provenance graph of a run.

The graph every test uses: a chain ``raw r1 -isr-> calexp c1 -measure-> src s1 -summarize-> summary m1``
and a diamond ``raw r2 -isr-> calexp c2 -characterize-> {src s2, bkg b2} -summarize-> summary m2``
(one quantum writing two datasets, one reading both), all quanta in RUN ``run2``.

Adopt it alone by subclassing ``RegistryLineageContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import uuid

import attrs
import pytest

from ..domain.dataset import DatasetRef
from ..domain.dataset_type import DatasetType
from ..domain.errors import ArgumentError, CapabilityError, DatasetNotFoundError, MissingCollectionError
from ..domain.lineage import Direction, Lineage
from ..domain.quantum import Quantum
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .registry_support import CALEXP, RegistryFixtures, calexp_id
from .requirements import refuses, requires

SRC = DatasetType("src", CALEXP.units, "StructuredData")
BKG = DatasetType("bkg", CALEXP.units, "StructuredData")
SUMMARY = DatasetType("visitSummary", ("instrument", "visit"), "StructuredData")


@attrs.frozen
class Graph:
    """The datasets (by short name: r1, c1, s1, m1, r2, c2, s2, b2, m2) and quanta (by task and visit) written."""

    refs: dict[str, DatasetRef]
    quanta: dict[str, Quantum]

    def id(self, name: str) -> uuid.UUID:
        """The id of dataset ``name``."""
        return self.refs[name].id

    def depths(self, **depths: int) -> dict[uuid.UUID, int]:
        """``{dataset id: depth}`` from short names."""
        return {self.id(name): depth for name, depth in depths.items()}

    def quantum_ids(self, *names: str) -> set[uuid.UUID]:
        """The ids of the quanta named."""
        return {self.quanta[name].id for name in names}


def write_graph(registry: Registry) -> Graph:
    """Insert the chain and the diamond of the module docstring into a registry holding the ``with_runs`` data."""
    for dataset_type in (SRC, BKG, SUMMARY):
        registry.register_dataset_type(dataset_type)
    refs: dict[str, DatasetRef] = {}
    for visit in (1, 2):
        raw_id = {"instrument": "Cam1", "exposure": 100 + visit, "detector": 1}
        (refs[f"r{visit}"],) = registry.insert_datasets("raw", "run1", [raw_id])
        (refs[f"c{visit}"],) = registry.insert_datasets("calexp", "run2", [calexp_id(visit)])
        (refs[f"s{visit}"],) = registry.insert_datasets("src", "run2", [calexp_id(visit)])
        summary_id = {"instrument": "Cam1", "visit": visit}
        (refs[f"m{visit}"],) = registry.insert_datasets("visitSummary", "run2", [summary_id])
    (refs["b2"],) = registry.insert_datasets("bkg", "run2", [calexp_id(2)])

    def quantum(task: str, inputs: list[str], outputs: list[str]) -> Quantum:
        return Quantum(task, "run2", None, inputs=[refs[n].id for n in inputs], outputs=[refs[n].id for n in outputs])

    quanta = {"isr1": quantum("isr", ["r1"], ["c1"]), "measure1": quantum("measure", ["c1"], ["s1"]),
              "summarize1": quantum("summarize", ["s1"], ["m1"]), "isr2": quantum("isr", ["r2"], ["c2"]),
              "characterize2": quantum("characterize", ["c2"], ["s2", "b2"]),
              "summarize2": quantum("summarize", ["s2", "b2"], ["m2"])}
    registry.insert_quanta(list(quanta.values()))
    return Graph(refs, quanta)


class RegistryLineageContract(RegistryFixtures):
    """Lineage of the Registry contract."""

    @pytest.fixture
    def graph(self, with_runs: Registry) -> Graph:
        """The chain and the diamond, written into ``with_runs``."""
        return write_graph(with_runs)

    @requires(RegistryCapability.LINEAGE)
    def test_ancestors_of_a_chain_reach_every_level_with_the_quanta_on_the_way(
            self, with_runs: Registry, graph: Graph) -> None:
        lineage = with_runs.lineage(graph.id("m1"))
        assert isinstance(lineage, Lineage)
        assert lineage.root == graph.id("m1") and lineage.direction is Direction.UP
        assert lineage.root_ref == graph.refs["m1"]
        assert lineage.depths == graph.depths(m1=0, s1=1, c1=2, r1=3)
        assert set(lineage.datasets.values()) == {graph.refs[n] for n in ("m1", "s1", "c1", "r1")}
        assert set(lineage.quanta) == graph.quantum_ids("summarize1", "measure1", "isr1")
        assert set(lineage.quanta.values()) == {graph.quanta[n] for n in ("summarize1", "measure1", "isr1")}
        measure = graph.quanta["measure1"].id
        assert lineage.inputs[measure] == (graph.id("c1"),) and lineage.outputs[measure] == (graph.id("s1"),)
        assert [q.task for q in lineage.producers(graph.id("c1"))] == ["isr"]
        assert [ref.id for ref in lineage.refs()] == [graph.id(n) for n in ("m1", "s1", "c1", "r1")]
        assert lineage.removed == frozenset()

    @requires(RegistryCapability.LINEAGE)
    def test_descendants_of_a_chain_reach_every_level(self, with_runs: Registry, graph: Graph) -> None:
        lineage = with_runs.lineage(graph.id("r1"), direction="down")
        assert lineage.direction is Direction.DOWN
        assert lineage.depths == graph.depths(r1=0, c1=1, s1=2, m1=3)
        assert set(lineage.quanta) == graph.quantum_ids("isr1", "measure1", "summarize1")
        assert [q.task for q in lineage.consumers(graph.id("s1"))] == ["summarize"]
        assert with_runs.lineage(graph.id("r1"), direction=Direction.DOWN) == lineage

    @requires(RegistryCapability.LINEAGE)
    def test_a_diamond_is_walked_once_with_the_shortest_depths(self, with_runs: Registry, graph: Graph) -> None:
        up = with_runs.lineage(graph.id("m2"), direction="up")
        assert up.depths == graph.depths(m2=0, s2=1, b2=1, c2=2, r2=3)
        assert set(up.quanta) == graph.quantum_ids("summarize2", "characterize2", "isr2")
        characterize = graph.quanta["characterize2"].id
        assert up.outputs[characterize] == (graph.id("s2"), graph.id("b2"))
        assert set(up.inputs[graph.quanta["summarize2"].id]) == {graph.id("s2"), graph.id("b2")}
        down = with_runs.lineage(graph.id("r2"), direction="down")
        assert down.depths == graph.depths(r2=0, c2=1, s2=2, b2=2, m2=3)
        assert set(down.quanta) == graph.quantum_ids("isr2", "characterize2", "summarize2")
        assert graph.id("m1") not in down.dataset_ids and graph.id("r1") not in up.dataset_ids

    @requires(RegistryCapability.LINEAGE)
    def test_edges_keep_only_datasets_of_the_lineage(self, with_runs: Registry, graph: Graph) -> None:
        """The ancestors of s2 include the quantum that also wrote b2, but not b2."""
        lineage = with_runs.lineage(graph.id("s2"))
        assert lineage.depths == graph.depths(s2=0, c2=1, r2=2)
        characterize = graph.quanta["characterize2"]
        assert lineage.outputs[characterize.id] == (graph.id("s2"),)
        assert lineage.quanta[characterize.id] == characterize, "the quantum itself is complete"
        down = with_runs.lineage(graph.id("b2"), direction="down")
        assert down.depths == graph.depths(b2=0, m2=1)
        assert down.inputs[graph.quanta["summarize2"].id] == (graph.id("b2"),)

    @requires(RegistryCapability.LINEAGE)
    def test_a_depth_limit_stops_the_walk(self, with_runs: Registry, graph: Graph) -> None:
        one = with_runs.lineage(graph.id("m1"), depth=1)
        assert one.depths == graph.depths(m1=0, s1=1)
        assert set(one.quanta) == graph.quantum_ids("summarize1")
        two = with_runs.lineage(graph.id("r2"), direction="down", depth=2)
        assert two.depths == graph.depths(r2=0, c2=1, s2=2, b2=2)
        assert set(two.quanta) == graph.quantum_ids("isr2", "characterize2")
        deep = with_runs.lineage(graph.id("m2"), depth=100)
        assert deep == with_runs.lineage(graph.id("m2"))
        zero = with_runs.lineage(graph.id("m2"), depth=0)
        assert zero.depths == graph.depths(m2=0) and zero.quanta == {}

    @requires(RegistryCapability.LINEAGE)
    def test_a_dataset_without_provenance_has_a_lineage_of_itself(self, with_runs: Registry, graph: Graph) -> None:
        (lonely,) = with_runs.insert_datasets("raw", "run1", [{"instrument": "Cam1", "exposure": 103, "detector": 1}])
        for direction in ("up", "down"):
            lineage = with_runs.lineage(lonely.id, direction=direction)
            assert lineage.datasets == {lonely.id: lonely}
            assert lineage.depths == {lonely.id: 0}
            assert lineage.quanta == {} and lineage.inputs == {} and lineage.outputs == {}
        top = with_runs.lineage(graph.id("r1"))
        assert top.depths == graph.depths(r1=0) and top.quanta == {}, "a raw has no ancestors"

    @requires(RegistryCapability.LINEAGE)
    def test_a_quantum_without_inputs_is_still_on_the_way(self, with_runs: Registry, graph: Graph) -> None:
        (made,) = with_runs.insert_datasets("raw", "run1", [{"instrument": "Cam1", "exposure": 104, "detector": 1}])
        ingest = Quantum("ingest", "run1", None, outputs=[made.id])
        with_runs.insert_quanta([ingest])
        lineage = with_runs.lineage(made.id)
        assert lineage.depths == {made.id: 0}
        assert lineage.quanta == {ingest.id: ingest} and lineage.outputs == {ingest.id: (made.id,)}
        assert lineage.inputs == {ingest.id: ()}

    @requires(RegistryCapability.LINEAGE)
    def test_lineage_goes_through_removed_datasets(self, with_runs: Registry, graph: Graph) -> None:
        with_runs.remove_datasets([graph.id("c1")])
        lineage = with_runs.lineage(graph.id("m1"))
        assert lineage.depths == graph.depths(m1=0, s1=1, c1=2, r1=3)
        assert lineage.removed == {graph.id("c1")}
        assert graph.id("c1") not in lineage.datasets and graph.id("r1") in lineage.datasets

    @requires(RegistryCapability.LINEAGE)
    def test_cycles_in_recorded_provenance_do_not_loop(self, with_runs: Registry, graph: Graph) -> None:
        """Provenance is not checked for cycles when recorded; lineage still ends."""
        loop = Quantum("loop", "run2", None, inputs=[graph.id("m1")], outputs=[graph.id("c1")])
        with_runs.insert_quanta([loop])
        up = with_runs.lineage(graph.id("m1"))
        assert up.depths == graph.depths(m1=0, s1=1, c1=2, r1=3)
        assert set(up.quanta) == graph.quantum_ids("summarize1", "measure1", "isr1") | {loop.id}
        down = with_runs.lineage(graph.id("r1"), direction="down")
        assert down.depths == graph.depths(r1=0, c1=1, s1=2, m1=3)

    @requires(RegistryCapability.LINEAGE)
    def test_an_unknown_dataset_id_is_a_clear_error(self, with_runs: Registry, graph: Graph) -> None:
        unknown = uuid.uuid4()
        with pytest.raises(DatasetNotFoundError, match=str(unknown)):
            with_runs.lineage(unknown)

    @requires(RegistryCapability.LINEAGE)
    def test_bad_arguments_are_refused(self, with_runs: Registry, graph: Graph) -> None:
        with pytest.raises(ArgumentError, match="direction"):
            with_runs.lineage(graph.id("m1"), direction="sideways")
        for depth in (-1, 1.5, True):
            with pytest.raises(ArgumentError, match="depth"):
                with_runs.lineage(graph.id("m1"), depth=depth)  # type: ignore[arg-type]
        with pytest.raises(ArgumentError, match="dataset id"):
            with_runs.lineage(str(graph.id("m1")))  # type: ignore[arg-type]

    @requires(RegistryCapability.LINEAGE)
    def test_the_provenance_of_a_run_holds_all_its_quanta_and_their_datasets(
            self, with_runs: Registry, graph: Graph) -> None:
        run = with_runs.run_provenance("run2")
        assert set(run.quanta.values()) == set(graph.quanta.values())
        assert set(run.datasets.values()) == set(graph.refs.values()), "raws of run1 read by run2's quanta too"
        characterize = graph.quanta["characterize2"]
        assert run.inputs[characterize.id] == characterize.inputs
        assert run.outputs[characterize.id] == characterize.outputs
        assert with_runs.run_provenance("run1").quanta == {}, "run1 holds datasets but no quanta"
        with pytest.raises(MissingCollectionError, match="nowhere"):
            with_runs.run_provenance("nowhere")

    @refuses(RegistryCapability.LINEAGE)
    def test_lineage_is_refused_without_the_capability(self, registry: Registry) -> None:
        with pytest.raises(CapabilityError, match="lineage"):
            registry.lineage(uuid.uuid4())
        with pytest.raises(CapabilityError, match="lineage"):
            registry.run_provenance("run1")
