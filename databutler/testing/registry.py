"""The Registry contract suite: one set of tests every Registry adapter must pass, in topic groups.

An adapter plugs in by subclassing ``RegistryContract`` (every group) or only the groups it is ready
for, in its own test module, providing ``make_registry`` (and, if it can, ``reopen_registry``) and
declaring what its registry reports::

    class TestSqliteRegistry(RegistryContract):
        capabilities = {RegistryCapability.WRITE, RegistryCapability.PERSISTENT}

        @pytest.fixture
        def make_registry(self, tmp_path): ...

The groups, their modules, and the fixtures each needs (``registry_support`` documents them):

- ``RegistryDataUnitsContract`` (registry_units): make_registry (one test needs reopen_registry)
- ``RegistryDatasetTypesContract`` (registry_dataset_types): make_registry
- ``RegistryCollectionsContract`` (registry_collections): make_registry
- ``RegistryCalibrationsContract``, ``RegistryCalibrationsRefusedContract`` (registry_calibrations): make_registry
- ``RegistryCalibrationQueriesContract`` (registry_calibration_queries): make_registry
- ``RegistryDatasetsContract`` (registry_datasets): make_registry
- ``RegistryArtifactsContract`` (registry_artifacts): make_registry
- ``RegistryProvenanceContract`` (registry_provenance): make_registry
- ``RegistryLineageContract`` (registry_lineage): make_registry
- ``RegistryTransactionsContract`` (registry_transactions): make_registry
- ``RegistryReadOnlyContract`` (registry_read_only): make_registry, reopen_registry
- ``RegistryPersistenceContract`` (registry_persistence): make_registry, reopen_registry

Tests that need a capability (or ``reopen_registry``) say so with ``@requires(...)``; for every
capability that is not declared, a test marked ``@refuses(...)`` checks that the call is refused with
CapabilityError. Both are decided at collection from the class's ``capabilities``.
"""

from __future__ import annotations

from .registry_artifacts import RegistryArtifactsContract
from .registry_calibration_queries import RegistryCalibrationQueriesContract
from .registry_calibrations import RegistryCalibrationsContract, RegistryCalibrationsRefusedContract
from .registry_collections import RegistryCollectionsContract
from .registry_dataset_types import RegistryDatasetTypesContract
from .registry_datasets import RegistryDatasetsContract
from .registry_lineage import RegistryLineageContract
from .registry_persistence import RegistryPersistenceContract
from .registry_provenance import RegistryProvenanceContract
from .registry_read_only import RegistryReadOnlyContract
from .registry_support import (
    CALEXP,
    CHAINED,
    COADD,
    RAW,
    RUN,
    TAGGED,
    TINY_UNIVERSE,
    BoomError,
    MakeRegistry,
    RegistryFixtures,
    ReopenRegistry,
    all_records,
    artifact,
    calexp_id,
    registry_records_of,
)
from .registry_transactions import RegistryTransactionsContract
from .registry_units import RegistryDataUnitsContract

GROUPS = (RegistryDataUnitsContract, RegistryDatasetTypesContract, RegistryCollectionsContract,
          RegistryCalibrationsContract, RegistryCalibrationsRefusedContract, RegistryCalibrationQueriesContract,
          RegistryDatasetsContract,
          RegistryArtifactsContract, RegistryProvenanceContract, RegistryLineageContract,
          RegistryTransactionsContract, RegistryReadOnlyContract, RegistryPersistenceContract)
"""The topic groups of the Registry contract, in the order ``RegistryContract`` runs them."""


class RegistryContract(*GROUPS):  # type: ignore[misc]
    """What every Registry must do (every topic group); subclass it and provide ``make_registry``."""


__all__ = [
    "CALEXP",
    "CHAINED",
    "COADD",
    "GROUPS",
    "RAW",
    "RUN",
    "TAGGED",
    "TINY_UNIVERSE",
    "BoomError",
    "MakeRegistry",
    "RegistryArtifactsContract",
    "RegistryCollectionsContract",
    "RegistryContract",
    "RegistryDataUnitsContract",
    "RegistryDatasetTypesContract",
    "RegistryDatasetsContract",
    "RegistryFixtures",
    "RegistryLineageContract",
    "RegistryPersistenceContract",
    "RegistryProvenanceContract",
    "RegistryReadOnlyContract",
    "RegistryTransactionsContract",
    "ReopenRegistry",
    "all_records",
    "artifact",
    "calexp_id",
    "registry_records_of",
]
