"""The Registry contract, topic group. Read-only registries: a second, read-only handle refuses every write
and changes nothing.

Adopt it alone by subclassing ``RegistryReadOnlyContract`` and providing ``make_registry`` and
``reopen_registry`` (the tests are skipped at collection without it); ``RegistryContract`` includes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef
from ..domain.errors import (
    ReadOnlyError,
)
from ..domain.quantum import Quantum
from ..ports.capabilities import RegistryCapability
from ..ports.registry import Registry
from .registry_support import (
    CHAINED,
    COADD,
    RUN,
    TAGGED,
    RegistryFixtures,
    ReopenRegistry,
    all_records,
    artifact,
    calexp_id,
)
from .requirements import Harness, requires


class RegistryReadOnlyContract(RegistryFixtures):
    """Read-only registries of the Registry contract."""

    @requires(Harness.REOPEN_REGISTRY)
    def test_a_read_only_registry_refuses_every_write(self, with_runs: Registry,
                                                      reopen_registry: ReopenRegistry) -> None:
        (ref,) = with_runs.insert_datasets("calexp", "run1", [calexp_id(1)])
        with_runs.insert_artifacts([artifact(ref)])
        with_runs.register_collection("tag", TAGGED)
        with_runs.register_collection("chain", CHAINED)
        before = (all_records(with_runs), with_runs.query_collections(), with_runs.query_dataset_types())
        reader = reopen_registry(with_runs, writeable=False)
        try:
            assert RegistryCapability.WRITE not in reader.capabilities
            writes: dict[str, Callable[[], object]] = {
                "insert_data_units": lambda: reader.insert_data_units("instrument", [{"name": "Cam9"}]),
                "update_data_units": lambda: reader.update_data_units("instrument", [{"name": "Cam1",
                                                                                     "detector_max": 99}]),
                "register_dataset_type": lambda: reader.register_dataset_type(COADD),
                "remove_dataset_type": lambda: reader.remove_dataset_type("raw"),
                "register_collection": lambda: reader.register_collection("run9", RUN),
                "set_chain": lambda: reader.set_chain("chain", ["run1"]),
                "remove_collection": lambda: reader.remove_collection("run2"),
                "associate": lambda: reader.associate("tag", [ref]),
                "disassociate": lambda: reader.disassociate("tag", [ref]),
                "insert_datasets": lambda: reader.insert_datasets("calexp", "run1", [calexp_id(2)]),
                "import_datasets": lambda: reader.import_datasets(
                    [DatasetRef(ref.dataset_type, DataId(calexp_id(3)), "run1", uuid.uuid4())]),
                "remove_datasets": lambda: reader.remove_datasets([ref.id]),
                "insert_artifacts": lambda: reader.insert_artifacts([artifact(ref, "image")]),
                "remove_artifacts": lambda: reader.remove_artifacts([ref.id]),
                "insert_quanta": lambda: reader.insert_quanta([Quantum("t", "run1", None)]),
            }
            for name, write in writes.items():
                with pytest.raises(ReadOnlyError):
                    write()
                    pytest.fail(f"{name} was not refused")
            with pytest.raises(ReadOnlyError), reader.transaction():
                reader.insert_datasets("calexp", "run1", [calexp_id(2)])
            assert reader.find_datasets("calexp", [calexp_id(1)], ["run1"]) == [ref]
            assert reader.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}
        finally:
            reader.close()
        assert (all_records(with_runs), with_runs.query_collections(), with_runs.query_dataset_types()) == before
        assert with_runs.datasets_in_collection("run1") == [ref]
        assert with_runs.get_artifacts([ref.id]) == {ref.id: [artifact(ref)]}
