"""Named capabilities that adapters declare, and the check that refuses undeclared ones."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from ..domain.errors import CapabilityError


class RegistryCapability(enum.Enum):
    """What a Registry can do beyond the mandatory get/put/provenance-recording core."""

    WRITE = "write"
    """Registry accepts inserts and removals (a read-only registry refuses them)."""
    QUERIES = "queries"
    """Registry answers query_datasets / query_data_ids / query_data_unit_records, with `where`."""
    SQL_SELECT = "sql_select"
    """Registry runs read-only SQL SELECT statements over its documented views."""
    PROVENANCE_QUERIES = "provenance_queries"
    """Registry finds quanta by run, task, input or output dataset."""
    LINEAGE = "lineage"
    """Registry follows provenance recursively (ancestors, descendants) and returns the graph of a run."""
    CONCURRENT_WRITERS = "concurrent_writers"
    """Several processes may write to the same registry at once without losing anything."""
    PERSISTENT = "persistent"
    """Registry content outlives the process that wrote it."""
    CALIBRATIONS = "calibrations"
    """Registry holds CALIBRATION collections: certify, decertify, and finds calibrations by time."""


class DatastoreCapability(enum.Enum):
    """What a Datastore can do."""

    WRITE = "write"
    """Datastore accepts put (a read-only datastore refuses it)."""
    REMOVE = "remove"
    """Datastore deletes artifacts."""
    INGEST = "ingest"
    """Datastore ingests existing files (see `ingest_modes` for the transfer modes)."""
    CHECKSUMS = "checksums"
    """Datastore records checksums and verifies them on read."""
    PARTIAL_READ = "partial_read"
    """Datastore reads part of an artifact (byte ranges) when a formatter allows it."""
    PERSISTENT = "persistent"
    """Artifacts outlive the process that wrote them."""
    ARTIFACT_BYTES = "artifact_bytes"
    """Datastore hands out the stored bytes of an artifact (``open_artifact``), for caches and transfers."""
    LIST = "list"
    """Datastore lists every artifact file it holds (``list_artifacts``, ``remove_uris``), to find orphans."""
    DISASSEMBLY = "disassembly"
    """Datastore writes each component of a composite that has an assembler to its own artifact (parts)."""


DATASTORE_WRITE_SIDE = frozenset({DatastoreCapability.WRITE, DatastoreCapability.REMOVE, DatastoreCapability.INGEST})
"""The capabilities that change what is stored: a read-only datastore has none of them."""


def require(capabilities: Iterable[enum.Enum], needed: enum.Enum, owner: str, action: str) -> None:
    """Raise CapabilityError unless ``needed`` is among ``capabilities``."""
    if needed not in set(capabilities):
        raise CapabilityError(f"{owner} does not declare the capability {needed.value!r}, "
                              f"needed to {action}")
