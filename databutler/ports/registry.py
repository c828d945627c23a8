"""The Registry port: DataUnits, DatasetTypes, Collections, Datasets, artifacts and provenance."""

from __future__ import annotations

import abc
import collections.abc
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Self

from ..domain.calibration import Certification
from ..domain.collection import Collection, CollectionKind
from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType, check_dataset_type
from ..domain.errors import CapabilityError
from ..domain.lineage import Direction, Lineage, ProvenanceGraph
from ..domain.quantum import Quantum
from ..domain.universe import Universe
from ..domain.values import Timespan
from .capabilities import RegistryCapability
from .query_results import QueryResults
from .subset import RegistrySubset, export_subset

DataIdLike = Mapping[str, Any]


class Registry(abc.ABC):
    """The database client of a repository (the seed's "Registry").

    Every method that touches many things takes many things, so an adapter can make one round
    trip per batch. Every failure is a domain error from ``databutler.domain.errors``; driver
    exceptions never escape. Methods needing a capability the adapter does not declare raise
    ``CapabilityError``. A storage backend subclasses ``RegistryBase`` (ports/registry_base.py),
    which applies the rules and leaves storage hooks; a wrapper around another registry subclasses
    this interface and forwards.
    """

    @property
    @abc.abstractmethod
    def universe(self) -> Universe:
        """The DataUnit universe this registry was created with."""

    @property
    @abc.abstractmethod
    def capabilities(self) -> frozenset[RegistryCapability]:
        """The capabilities this registry declares."""

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Group writes so that they all happen or none do; transactions nest (savepoints)."""

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release connections and files."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- DataUnits ------------------------------------------------------------------------------

    @abc.abstractmethod
    def insert_data_units(self, element: str, records: Sequence[Mapping[str, Any]], *,
                          skip_existing: bool = False) -> int:
        """Insert records of DataUnit or join element ``element``; return how many were new.

        A record with the key of an existing one raises ConflictingDefinitionError unless
        ``skip_existing`` is true and the two are identical in the given fields. Records of units
        ``populated_by`` this element (band from physical_filter) are inserted as needed.
        """

    @abc.abstractmethod
    def update_data_units(self, element: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Set fields of existing records of ``element``; return how many records changed.

        Each record holds the key fields and the fields to set (None clears a nullable field);
        fields not given keep their values. Key fields never change: they are the record's
        identity. Metadata may always change; an implied unit (visit -> physical_filter) may change
        only while no dataset is labelled with the record (ConflictingDefinitionError otherwise).
        A key the registry does not hold raises DataIdError, and nothing is updated.
        """

    @abc.abstractmethod
    def fetch_data_unit_records(self, element: str,
                                keys: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Return the records of ``element`` with the given primary keys (all records if None)."""

    @abc.abstractmethod
    def expand_data_ids(self, units: Sequence[str], data_ids: Sequence[DataIdLike]) -> list[DataId]:
        """Validate ``data_ids`` for ``units`` against the records and fill in implied values.

        Raises DataIdError naming the first value that is unknown to the registry, or an implied
        value that contradicts the records.
        """

    # -- DatasetTypes ---------------------------------------------------------------------------

    _storage_classes: collections.abc.Collection[str] | None = None

    @property
    def restricted_storage_classes(self) -> collections.abc.Collection[str] | None:
        """The StorageClass names DatasetTypes may use (``restrict_storage_classes``), or None if any."""
        return self._storage_classes

    def restrict_storage_classes(self, names: Iterable[str]) -> None:
        """From now on, refuse to register DatasetTypes whose storage class is not in ``names``.

        The repository loader gives every registry its repository's StorageClasses, so a misspelled
        one is refused when the DatasetType is registered, not at the first put. A Collection is
        kept as it is (a live one, such as the repository's StorageClassRegistry, learns the
        StorageClasses of plug-ins when asked); any other iterable is copied.
        """
        if isinstance(names, collections.abc.Collection) and not isinstance(names, str | list | set | dict):
            self._storage_classes = names
        else:
            self._storage_classes = frozenset(names)

    def register_dataset_type(self, dataset_type: DatasetType) -> bool:
        """Register ``dataset_type``; return False if an identical one exists.

        Raises ConflictingDefinitionError if the name exists with other units or storage class,
        and StorageClassError, registering nothing, if its storage class is not one the
        repository knows (see ``restrict_storage_classes``).
        """
        return self._register_dataset_type(check_dataset_type(dataset_type, self._storage_classes))

    @abc.abstractmethod
    def _register_dataset_type(self, dataset_type: DatasetType) -> bool:
        """Storage hook of ``register_dataset_type``: store ``dataset_type``, already checked by the shared rules."""

    @abc.abstractmethod
    def get_dataset_type(self, name: str) -> DatasetType:
        """Return the registered DatasetType ``name`` or raise MissingDatasetTypeError."""

    @abc.abstractmethod
    def query_dataset_types(self, pattern: str | None = None) -> list[DatasetType]:
        """Return the registered DatasetTypes whose names match glob ``pattern``, sorted by name."""

    @abc.abstractmethod
    def remove_dataset_type(self, name: str) -> None:
        """Remove DatasetType ``name``; refused with DatasetTypeError while datasets of it exist."""

    # -- Collections ----------------------------------------------------------------------------

    @abc.abstractmethod
    def register_collection(self, name: str, kind: CollectionKind, doc: str = "") -> bool:
        """Register collection ``name``; return False if it already exists with this kind.

        Raises CollectionKindError if it exists with another kind.
        """

    @abc.abstractmethod
    def get_collection(self, name: str) -> Collection:
        """Return collection ``name`` or raise MissingCollectionError."""

    @abc.abstractmethod
    def query_collections(self, pattern: str | None = None,
                          kinds: Sequence[CollectionKind] | None = None) -> list[Collection]:
        """Return collections whose names match glob ``pattern`` and whose kind is in ``kinds``."""

    @abc.abstractmethod
    def set_chain(self, name: str, children: Sequence[str]) -> None:
        """Set the ordered children of CHAINED collection ``name``; a cycle raises CollectionError."""

    @abc.abstractmethod
    def resolve_collections(self, search_path: Sequence[str]) -> tuple[str, ...]:
        """Flatten ``search_path`` (chains expanded) into RUN, TAGGED and CALIBRATION names, first occurrence kept."""

    @abc.abstractmethod
    def remove_collection(self, name: str) -> None:
        """Remove collection ``name``.

        A RUN must hold no datasets; a TAGGED or CALIBRATION loses its associations; a collection still a child
        of a chain is refused with CollectionError naming the chain.
        """

    @abc.abstractmethod
    def associate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Add ``refs`` to TAGGED collection ``tagged``; re-adding a member is a no-op.

        A different dataset of the same DatasetType and DataId already there raises
        ConflictingDefinitionError.
        """

    @abc.abstractmethod
    def disassociate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Remove ``refs`` from TAGGED collection ``tagged``; absent refs are ignored."""

    # -- Calibrations (CALIBRATION collections; need CALIBRATIONS) ------------------------------

    def certify(self, collection: str, refs: Sequence[DatasetRef], timespan: Timespan) -> None:
        """Certify ``refs`` (of calibration types) in CALIBRATION ``collection`` for the validity range ``timespan``.

        A range overlapping one already certified there for the same DatasetType and DataId raises
        CalibrationConflictError naming both, and nothing is certified.
        """
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.CALIBRATIONS.value}', needed to certify calibrations")

    def decertify(self, collection: str, dataset_type: str, timespan: Timespan, *,
                  data_ids: Sequence[DataIdLike] | None = None) -> None:
        """Clear ``timespan`` in CALIBRATION ``collection`` for ``dataset_type`` (those ``data_ids``, or all).

        Validity ranges inside ``timespan`` are removed; those overlapping it are trimmed, or split in two.
        """
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.CALIBRATIONS.value}', needed to decertify calibrations")

    def query_certifications(self, collection: str, dataset_type: str | None = None, *,
                             timespan: Timespan | None = None) -> list[Certification]:
        """The certifications in CALIBRATION ``collection`` (of ``dataset_type``, overlapping ``timespan``)."""
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.CALIBRATIONS.value}', needed to read certifications")

    # -- Datasets -------------------------------------------------------------------------------

    @abc.abstractmethod
    def insert_datasets(self, dataset_type: str, run: str, data_ids: Sequence[DataIdLike],
                        ids: Sequence[uuid.UUID] | None = None) -> list[DatasetRef]:
        """Insert new datasets of ``dataset_type`` in RUN ``run``; return their refs in order.

        DataIds are validated and expanded. A (DatasetType, DataId, run) that already exists, or
        appears twice in the batch, raises ConflictingDefinitionError and inserts nothing.
        """

    @abc.abstractmethod
    def import_datasets(self, refs: Sequence[DatasetRef]) -> list[DatasetRef]:
        """Insert datasets with the ids and runs of ``refs``; refs already present are skipped.

        A ref whose id exists with another definition raises ConflictingDefinitionError.
        """

    @abc.abstractmethod
    def find_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike],
                      collections: Sequence[str], *, timespan: Timespan | None = None) -> list[DatasetRef | None]:
        """For each DataId, the dataset found first in the ``collections`` search path, or None.

        CALIBRATION collections in the path are searched only with a ``timespan`` (as the reference's
        ``findDataset``, they are skipped without one): the certification whose validity range overlaps it
        is found; several in one collection raise CalibrationLookupError.
        """

    def find_stored_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike], collections: Sequence[str],
                             *, timespan: Timespan | None = None
                             ) -> list[tuple[DatasetRef, list[StoredArtifact]] | None]:
        """``find_datasets`` together with each found dataset's artifacts (Butler.get's lookup).

        Adapters may override it to answer in one round trip; this default makes two calls.
        """
        refs = self.find_datasets(dataset_type, data_ids, collections, timespan=timespan)
        artifacts = self.get_artifacts([ref.id for ref in refs if ref is not None])
        return [None if ref is None else (ref, artifacts.get(ref.id, [])) for ref in refs]

    @abc.abstractmethod
    def get_datasets(self, ids: Sequence[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for an unknown id), in order."""

    @abc.abstractmethod
    def datasets_in_collection(self, collection: str,
                               dataset_type: str | None = None) -> list[DatasetRef]:
        """All datasets directly in RUN, TAGGED or CALIBRATION ``collection`` (chains are followed, in order)."""

    def dataset_ids_in_collection(self, collection: str) -> list[uuid.UUID]:
        """The ids of ``datasets_in_collection(collection)``, in its order (adapters may read only the ids)."""
        return [ref.id for ref in self.datasets_in_collection(collection)]

    @abc.abstractmethod
    def remove_datasets(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget datasets: their rows, artifact records and TAGGED associations.

        Provenance (quanta naming them) is kept. Unknown ids are ignored.
        """

    # -- Artifacts (where datastores put the bytes) ---------------------------------------------

    @abc.abstractmethod
    def insert_artifacts(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Record where the bytes of datasets are; the datasets must exist."""

    @abc.abstractmethod
    def get_artifacts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The recorded artifacts of each dataset id (ids without artifacts are absent)."""

    @abc.abstractmethod
    def remove_artifacts(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget the artifact records of these datasets, keeping the datasets."""

    @abc.abstractmethod
    def artifact_users(self, uris: Sequence[str]) -> dict[str, set[uuid.UUID]]:
        """The ids of the datasets whose recorded artifacts have each URI (compared exactly as recorded).

        URIs that no artifact records are absent. Inside ``transaction()`` it sees the transaction's
        own writes, so a removal can check, before it commits, that no other dataset shares a file.
        """

    # -- Provenance -----------------------------------------------------------------------------

    @abc.abstractmethod
    def insert_quanta(self, quanta: Sequence[Quantum]) -> None:
        """Record quanta; inserting a quantum id twice with the same content is a no-op."""

    @abc.abstractmethod
    def get_quanta(self, ids: Sequence[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""

    # -- Subsets for limited registries ------------------------------------------------------

    def export_subset(self, refs: Sequence[DatasetRef]) -> RegistrySubset:
        """The DataUnit records, DatasetTypes, datasets and artifacts a job on ``refs`` needs.

        Seeds a limited registry (see ``databutler.adapters.nosql``); unknown refs are left out.
        """
        return export_subset(self, refs)

    def find_quanta(self, *, run: str | None = None, task: str | None = None,
                    input: uuid.UUID | None = None, output: uuid.UUID | None = None) -> list[Quantum]:
        """Quanta matching all given filters (needs PROVENANCE_QUERIES)."""
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.PROVENANCE_QUERIES.value}', needed to find quanta")

    def lineage(self, dataset_id: uuid.UUID, *, direction: Direction | str = Direction.UP,
                depth: int | None = None) -> Lineage:
        """The ancestors ("up") or descendants ("down") of a dataset, ``depth`` quanta deep at most (needs LINEAGE).

        An unknown dataset id raises DatasetNotFoundError; a dataset without provenance has a
        lineage of itself alone.
        """
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.LINEAGE.value}', needed to follow lineage")

    def run_provenance(self, run: str) -> ProvenanceGraph:
        """Every quantum recorded in ``run`` with the datasets it read and wrote (needs LINEAGE)."""
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.LINEAGE.value}', needed to return the provenance of a run")

    # -- Queries --------------------------------------------------------------------------------

    def query_datasets(self, dataset_types: str | Sequence[str], collections: Sequence[str], *,
                       where: str = "", bind: Mapping[str, Any] | None = None,
                       data_id: DataIdLike | None = None, find_first: bool = False,
                       order_by: Sequence[str] = (), limit: int | None = None) -> QueryResults[DatasetRef]:
        """Datasets of the given types in ``collections`` matching ``where`` (needs QUERIES).

        ``find_first`` keeps, per DatasetType and DataId, only the dataset found first in the
        search path. ``order_by``/``limit`` are shortcuts for the result's own methods. Through
        CALIBRATION collections a certified dataset counts only where its validity range overlaps the
        timespan of the temporal DataUnit the query names (exposure, else visit, else day_obs); with
        ``find_first``, several matches for one DataId in its first collection raise
        CalibrationLookupError (as the reference).
        """
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.QUERIES.value}', needed to query datasets")

    def query_data_ids(self, units: str | Sequence[str], *, where: str = "", bind: Mapping[str, Any] | None = None,
                       datasets: str | Sequence[str] | None = None, collections: Sequence[str] | None = None,
                       data_id: DataIdLike | None = None) -> QueryResults[DataId]:
        """Distinct DataIds of ``units`` related through the universe, matching ``where`` (needs QUERIES).

        With ``datasets``, only DataIds for which a dataset of each given type exists in
        ``collections`` are returned (a certified one only where its validity range overlaps the
        timespan of the query's exposure, visit or day_obs, as in ``query_datasets``).
        """
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.QUERIES.value}', needed to query data IDs")

    def query_data_unit_records(self, element: str, *, where: str = "", bind: Mapping[str, Any] | None = None,
                                data_id: DataIdLike | None = None) -> QueryResults[dict[str, Any]]:
        """Records of DataUnit or join element ``element`` matching ``where`` (needs QUERIES)."""
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.QUERIES.value}', needed to query DataUnit records")

    def select_sql(self, sql: str, bind: Mapping[str, Any] | None = None, *,
                   timeout_s: float | None = None) -> QueryResults[dict[str, Any]]:
        """Run one read-only SQL SELECT over the documented views (needs SQL_SELECT).

        A statement running longer than ``timeout_s`` (default: the registry's) raises QueryError.
        """
        raise CapabilityError(f"{type(self).__name__} does not declare the capability "
                              f"'{RegistryCapability.SQL_SELECT.value}', needed to run SQL SELECT statements")
