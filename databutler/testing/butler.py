"""The Butler contract suite: get/put/ingest/remove/collections over any (Registry, Datastore) pair, in topic groups.

Plug an adapter pair in with a ``make_butler`` fixture returning a fresh, empty Butler, subclassing
``ButlerContract`` (every group) or only the groups the pair is ready for, and declaring what the
pair reports::

    class TestMyPair(ButlerContract):
        capabilities = {RegistryCapability.WRITE, DatastoreCapability.WRITE, ...}

        @pytest.fixture
        def make_butler(self, tmp_path):
            def make(run="test/run", collections=None):
                return Butler.from_parts(MyRegistry(...), MyDatastore(...), run=run, collections=collections)
            return make

The groups and their modules (each needs only ``make_butler``; ``butler_support`` documents it):

- ``ButlerPutGetContract`` (butler_put_get): put, get, refusals, transactional put.
- ``ButlerCollectionsContract`` (butler_collections): search paths, TAGGED, removing runs and datasets.
- ``ButlerCalibrationsContract`` (butler_calibrations): get, find_dataset and query_datasets by time (CALIBRATIONS).
- ``ButlerIngestContract`` (butler_ingest): ingest by each declared mode, verify.
- ``ButlerPersistenceContract`` (butler_persistence): what the registry records, names at their limits, reopening.
- ``ButlerOrphanContract`` (butler_orphans): finding and removing orphan files (LIST).
- ``ButlerOwnershipContract`` (butler_ownership): shared files, in-place ingest, failed removals.
- ``ButlerDisassemblyContract`` (butler_disassembly): composites in parts (DISASSEMBLY), or stored whole.
"""

from __future__ import annotations

from .butler_calibrations import ButlerCalibrationsContract
from .butler_collections import ButlerCollectionsContract
from .butler_disassembly import ButlerDisassemblyContract
from .butler_ingest import ButlerIngestContract
from .butler_orphans import ButlerOrphanContract
from .butler_ownership import ButlerOwnershipContract
from .butler_persistence import ButlerPersistenceContract
from .butler_put_get import ButlerPutGetContract
from .butler_support import (
    HAS_NUMPY,
    INSTRUMENT,
    RUN,
    ButlerFixtures,
    InjectedFaultError,
    MakeButler,
    data_id,
    payload,
    setup_units,
)

GROUPS = (ButlerPutGetContract, ButlerCollectionsContract, ButlerCalibrationsContract, ButlerIngestContract,
          ButlerPersistenceContract, ButlerOrphanContract, ButlerOwnershipContract, ButlerDisassemblyContract)
"""The topic groups of the Butler contract, in the order ``ButlerContract`` runs them."""


class ButlerContract(*GROUPS):  # type: ignore[misc]
    """Behaviour every (Registry, Datastore) pair must give a Butler (every topic group)."""


__all__ = ["GROUPS", "HAS_NUMPY", "INSTRUMENT", "RUN", "ButlerCalibrationsContract", "ButlerCollectionsContract",
           "ButlerContract",
           "ButlerDisassemblyContract",
           "ButlerFixtures", "ButlerIngestContract", "ButlerOrphanContract", "ButlerOwnershipContract",
           "ButlerPersistenceContract", "ButlerPutGetContract", "InjectedFaultError", "MakeButler", "data_id",
           "payload", "setup_units"]
