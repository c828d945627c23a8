"""The Registry contract, topic group. Provenance: quanta round-trip, idempotent inserts, and finding quanta
(PROVENANCE_QUERIES).

Adopt it alone by subclassing ``RegistryProvenanceContract`` and providing ``make_registry``;
``RegistryContract`` includes it.
"""

from __future__ import annotations

import datetime
import uuid

import pytest

from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef
from ..domain.errors import (
    CapabilityError,
    ConflictingDefinitionError,
)
from ..domain.quantum import Quantum, QuantumStatus
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .registry_support import (
    RegistryFixtures,
    calexp_id,
)
from .requirements import refuses, requires


class RegistryProvenanceContract(RegistryFixtures):
    """Provenance of the Registry contract."""

    # == Provenance ============================================================================

    def _quanta(self, registry: Registry) -> tuple[list[DatasetRef], list[Quantum]]:
        raws = registry.insert_datasets("raw", "run1", [{"instrument": "Cam1", "exposure": e, "detector": 1}
                                                        for e in (101, 102)])
        calexps = registry.insert_datasets("calexp", "run2", [calexp_id(1), calexp_id(2)])
        start = datetime.datetime(2024, 1, 3, 12, 0, 0)
        minute = datetime.timedelta(minutes=1)
        quanta = [Quantum("calibrate", "run2", DataId(calexp_id(v)), inputs=[raw.id], outputs=[calexp.id],
                          started=start + v * minute, ended=start + v * minute + minute / 2,
                          host="node1", metadata={"visit": v, "stats": [1.5, 2.5]})
                  for v, raw, calexp in zip((1, 2), raws, calexps, strict=True)]
        quanta.append(Quantum("summarize", "run2", None, inputs=[c.id for c in calexps],
                              status=QuantumStatus.FAILED, started=start + datetime.timedelta(hours=1)))
        return raws + calexps, quanta

    def test_quanta_round_trip_with_every_field(self, with_runs: Registry) -> None:
        _, quanta = self._quanta(with_runs)
        with_runs.insert_quanta(quanta)
        unknown = uuid.uuid4()
        assert with_runs.get_quanta([quanta[2].id, unknown, quanta[0].id]) == [quanta[2], None, quanta[0]]

    def test_inserting_a_quantum_twice_is_a_no_op_but_different_content_is_a_conflict(
            self, with_runs: Registry) -> None:
        _, quanta = self._quanta(with_runs)
        with_runs.insert_quanta(quanta[:1])
        with_runs.insert_quanta(quanta)
        changed = Quantum("calibrate", "run2", quanta[0].data_id, status=QuantumStatus.FAILED, id=quanta[0].id)
        with pytest.raises(ConflictingDefinitionError):
            with_runs.insert_quanta([changed])
        assert with_runs.get_quanta([q.id for q in quanta]) == quanta

    @requires(RegistryCapability.PROVENANCE_QUERIES)
    def test_find_quanta_by_run_task_input_and_output(self, with_runs: Registry) -> None:
        refs, quanta = self._quanta(with_runs)
        with_runs.insert_quanta(quanta)
        raw1, _, calexp1, calexp2 = refs
        assert with_runs.find_quanta(run="run2") == quanta
        assert with_runs.find_quanta(run="run1") == []
        assert with_runs.find_quanta(task="summarize") == [quanta[2]]
        assert with_runs.find_quanta(input=raw1.id) == [quanta[0]]
        assert with_runs.find_quanta(output=calexp2.id) == [quanta[1]]
        assert with_runs.find_quanta(input=calexp1.id, task="summarize") == [quanta[2]]
        assert with_runs.find_quanta(input=calexp1.id, task="calibrate") == []

    @refuses(RegistryCapability.PROVENANCE_QUERIES)
    def test_find_quanta_is_refused_without_provenance_queries(self, registry: Registry) -> None:
        with pytest.raises(CapabilityError, match="provenance_queries"):
            registry.find_quanta(run="run1")
