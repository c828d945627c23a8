"""The Registry contract, topic group. Persistence: a PERSISTENT registry keeps its content when reopened;
CONCURRENT_WRITERS see each other's writes.

Adopt it alone by subclassing ``RegistryPersistenceContract`` and providing ``make_registry`` and
``reopen_registry`` (the tests are skipped at collection without it); ``RegistryContract`` includes it.
"""

from __future__ import annotations

import pytest

from ..domain.collection import CollectionKind
from ..domain.errors import (
    ConflictingDefinitionError,
)
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .data import insert_standard_data_units
from .registry_support import (
    CALEXP,
    RUN,
    MakeRegistry,
    RegistryFixtures,
    ReopenRegistry,
    artifact,
    calexp_id,
    registry_records_of,
)
from .requirements import Harness, requires


class RegistryPersistenceContract(RegistryFixtures):
    """Persistence of the Registry contract."""

    @requires(RegistryCapability.PERSISTENT, Harness.REOPEN_REGISTRY)
    def test_a_persistent_registry_keeps_its_content_when_reopened(self, make_registry: MakeRegistry,
                                                                   reopen_registry: ReopenRegistry) -> None:
        registry = make_registry()
        insert_standard_data_units(registry)
        registry.register_dataset_type(CALEXP)
        registry.register_collection("run1", RUN)
        (ref,) = registry.insert_datasets("calexp", "run1", [calexp_id()])
        registry.insert_artifacts([artifact(ref)])
        again = reopen_registry(registry)
        registry.close()
        try:
            assert again.universe == registry.universe
            assert again.find_datasets("calexp", [calexp_id()], ["run1"]) == [ref]
            assert again.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}
            assert again.fetch_data_unit_records("visit") == registry_records_of(again, "visit")
        finally:
            again.close()

    @requires(RegistryCapability.CONCURRENT_WRITERS, Harness.REOPEN_REGISTRY)
    def test_concurrent_writers_see_each_others_writes(self, with_runs: Registry,
                                                       reopen_registry: ReopenRegistry) -> None:
        other = reopen_registry(with_runs)
        try:
            (a,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
            (b,) = other.insert_datasets("calexp", "run1", [calexp_id(2)])
            with pytest.raises(ConflictingDefinitionError):
                other.insert_datasets("calexp", "run1", [calexp_id(1)])
            other.register_collection("run3", RUN)
            (c,) = with_runs.insert_datasets("calexp", "run3", [calexp_id(3)])
            for registry in (with_runs, other):
                assert registry.find_datasets("calexp", [calexp_id(v) for v in (1, 2)], ["run1"]) == [a, b]
                assert registry.find_datasets("calexp", [calexp_id(3)], ["run3"]) == [c]
        finally:
            other.close()

    @requires(RegistryCapability.CONCURRENT_WRITERS, Harness.REOPEN_REGISTRY)
    def test_a_chain_another_writer_redefines_is_searched_as_it_is_now(self, with_runs: Registry,
                                                                      reopen_registry: ReopenRegistry) -> None:
        """Resolved chains may be remembered, but never past a change made by another writer."""
        (a,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        (b,) = with_runs.insert_datasets("calexp", "run2", [calexp_id(1)])
        with_runs.register_collection("chain", CollectionKind.CHAINED)
        with_runs.set_chain("chain", ["run1", "run2"])
        other = reopen_registry(with_runs)
        try:
            for _ in range(2):  # the second search may answer from what the first resolved
                assert with_runs.find_datasets("calexp", [calexp_id(1)], ["chain"]) == [a]
            other.set_chain("chain", ["run2", "run1"])
            assert with_runs.find_datasets("calexp", [calexp_id(1)], ["chain"]) == [b]
            other.set_chain("chain", ["run1"])
            assert [r.id for r in with_runs.query_datasets("calexp", ["chain"])] == [a.id]
            other.register_collection("inner", CollectionKind.CHAINED)
            other.set_chain("inner", ["run2"])
            other.set_chain("chain", ["inner"])
            assert with_runs.find_datasets("calexp", [calexp_id(1)], ["chain"]) == [b]
            other.set_chain("chain", [])
            other.remove_collection("inner")
            assert with_runs.find_datasets("calexp", [calexp_id(1)], ["chain"]) == [None]
            other.set_chain("chain", ["run2"])
            assert with_runs.find_datasets("calexp", [calexp_id(1)], ["chain"]) == [b]
        finally:
            other.close()
