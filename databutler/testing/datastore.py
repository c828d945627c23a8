"""The Datastore contract suite: what every Datastore promises, run against each adapter, in topic groups.

An adapter plugs in by subclassing ``DatastoreContract`` (every group) or only the groups it is
ready for, providing a ``make_datastore`` fixture (a factory of fresh, empty datastores that know
the builtin StorageClasses and the default formatters), optionally ``corrupt_artifact``, and
declaring what its datastore reports::

    class TestMyDatastore(DatastoreContract):
        capabilities = {DatastoreCapability.WRITE, DatastoreCapability.REMOVE}

        @pytest.fixture
        def make_datastore(self, tmp_path):
            return lambda: MyDatastore(tmp_path / "store", ...)

The groups, their modules, and the fixtures each needs (``datastore_support`` documents them):

- ``DatastoreDeclarationsContract`` (datastore_declarations): make_datastore
- ``DatastorePutGetContract`` (datastore_put_get): make_datastore
- ``DatastoreIntegrityContract`` (datastore_integrity): make_datastore (one test needs corrupt_artifact)
- ``DatastoreIngestContract`` (datastore_ingest): make_datastore
- ``DatastoreListingContract`` (datastore_listing): make_datastore
- ``DatastoreOwnershipContract`` (datastore_ownership): make_datastore
- ``DatastoreDisassemblyContract`` (datastore_disassembly): make_datastore (one test needs corrupt_artifact)

Tests that need a capability say so with ``@requires(...)``; for each capability the datastore does
not declare, a test marked ``@refuses(...)`` checks that the calls needing it are refused. Both are
decided at collection from the class's ``capabilities``.
"""

from __future__ import annotations

from .datastore_declarations import DatastoreDeclarationsContract
from .datastore_disassembly import DatastoreDisassemblyContract
from .datastore_ingest import DatastoreIngestContract
from .datastore_integrity import DatastoreIntegrityContract
from .datastore_listing import DatastoreListingContract
from .datastore_ownership import DatastoreOwnershipContract
from .datastore_put_get import DatastorePutGetContract
from .datastore_support import (
    INSTRUMENT,
    RUN,
    CorruptArtifact,
    DatastoreFixtures,
    MakeDatastore,
    each_mode,
    make_ref,
    read,
)

GROUPS = (DatastoreDeclarationsContract, DatastorePutGetContract, DatastoreIntegrityContract,
          DatastoreIngestContract, DatastoreListingContract, DatastoreOwnershipContract, DatastoreDisassemblyContract)
"""The topic groups of the Datastore contract, in the order ``DatastoreContract`` runs them."""


class DatastoreContract(*GROUPS):  # type: ignore[misc]
    """The contract of the Datastore port (every topic group)."""


__all__ = ["GROUPS", "INSTRUMENT", "RUN", "CorruptArtifact", "DatastoreContract", "DatastoreDeclarationsContract",
           "DatastoreDisassemblyContract",
           "DatastoreFixtures", "DatastoreIngestContract", "DatastoreIntegrityContract", "DatastoreListingContract",
           "DatastoreOwnershipContract", "DatastorePutGetContract", "MakeDatastore", "each_mode", "make_ref", "read"]
