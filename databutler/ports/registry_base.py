"""RegistryBase: the Registry port's rules, written once, over small storage hooks an adapter implements.

Every public method checks its arguments, refuses writes to a read-only registry, applies the
registry's rules (record validation, DataId expansion, chain rules, conflicts with what is stored)
and only then calls a protected hook (``_insert_data_units``, ``_set_chain``, ...) that stores or
reads, as cosmicpython's ``AbstractRepository.add`` calls ``_add``. Where a rule needs data (which
records exist, a chain's children), the base asks for it through a small read hook. A hook is
called once per batch, never once per record, so an adapter can make one round trip.

A wrapper that forwards to another Registry (a proxy, a fault injector) subclasses ``Registry``
instead: the registry it wraps applies the rules.
"""

from __future__ import annotations

import abc
import functools
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.arguments import check_many
from ..domain.collection import CollectionKind, as_names
from ..domain.data_id import DataId, normalize_data_id
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType, missing_dataset_type, same_dataset_type
from ..domain.errors import DataIdError, DatasetTypeError, ReadOnlyError
from ..domain.quantum import Quantum
from ..domain.records import Implied, Key, RecordRules
from ..domain.values import Timespan, shown
from . import calibration_rules, collection_rules, dataset_rules
from .calibration_rules import CalibrationRules
from .capabilities import RegistryCapability
from .collection_rules import CollectionRules, matching
from .data_unit_rules import DataUnitRules
from .registry import DataIdLike, Registry


class RegistryBase(CalibrationRules, CollectionRules, Registry, abc.ABC):
    """A Registry whose rules are shared: an adapter implements the storage hooks below, not the rules.

    Hooks marked *optional* have a correct default an adapter may override to be faster or stricter.
    Caches the base keeps (expanded DataIds) must be forgotten when a transaction rolls back: an
    adapter calls ``_forget_remembered()`` then.
    """

    # -- shared state -------------------------------------------------------------------------

    @functools.cached_property
    def _records(self) -> RecordRules:
        return RecordRules(self.universe)

    @functools.cached_property
    def _data_unit_rules(self) -> DataUnitRules:
        return DataUnitRules(self.universe, self._records, self)

    def _forget_remembered(self) -> None:
        """Forget every DataId expanded so far (after a rollback the records they named may be gone)."""
        if "_data_unit_rules" in self.__dict__:
            self._data_unit_rules.forget()

    def _check_writeable(self, action: str) -> None:
        """Refuse ``action`` with ReadOnlyError unless this registry declares WRITE."""
        if RegistryCapability.WRITE not in self.capabilities:
            raise ReadOnlyError(f"{self!r} was opened read-only (it lacks the capability "
                                f"{RegistryCapability.WRITE.value!r}); cannot {action}")

    # -- DataUnits ------------------------------------------------------------------------------

    def insert_data_units(self, element: str, records: Sequence[Mapping[str, Any]], *,
                          skip_existing: bool = False) -> int:
        """Insert records of DataUnit or join element ``element``; return how many were new."""
        self.universe.element(element)
        check_many(records, f"insert_data_units({element!r}, ...)", "record")
        self._check_writeable(f"insert {element} records")
        with self.transaction():
            return self._data_unit_rules.insert(element, list(records), skip_existing)

    def update_data_units(self, element: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Set the given fields of existing records of ``element``; return how many records changed."""
        self.universe.element(element)
        check_many(records, f"update_data_units({element!r}, ...)", "record")
        self._check_writeable(f"update {element} records")
        with self.transaction():
            return self._data_unit_rules.update(element, list(records))

    def fetch_data_unit_records(self, element: str,
                                keys: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Return the records of ``element`` with the given primary keys (all records if None)."""
        self.universe.element(element)
        if keys is None:
            return self._fetch_data_unit_records(element, None)
        if isinstance(keys, Mapping):
            keys = [keys]
        return self._fetch_data_unit_records(element, list(dict.fromkeys(self._records.keys(element, keys))))

    def expand_data_ids(self, units: Sequence[str], data_ids: Sequence[DataIdLike]) -> list[DataId]:
        """Validate ``data_ids`` for ``units`` against the records and fill in implied values."""
        return self._data_unit_rules.expand(as_names(units), list(data_ids))

    @abc.abstractmethod
    def _lookup_data_units(self, unit: str, keys: Sequence[Key]) -> dict[Key, Implied]:
        """Storage read: the implied values of the records of DataUnit ``unit`` with these keys (unknown: absent)."""

    @abc.abstractmethod
    def _fetch_data_unit_records(self, element: str, keys: Sequence[Key] | None) -> list[dict[str, Any]]:
        """Storage read: the records of ``element`` with these distinct keys, in that order (all, by key, if None)."""

    @abc.abstractmethod
    def _insert_data_units(self, element: str, records: Sequence[dict[str, Any]], *,
                           ignore_conflicts: bool = False) -> None:
        """Storage write: add validated new records (with ``ignore_conflicts``, skip keys stored meanwhile)."""

    @abc.abstractmethod
    def _update_data_units(self, element: str, records: Mapping[Key, dict[str, Any]]) -> None:
        """Storage write: replace the stored records with these keys by these complete, validated records."""

    @abc.abstractmethod
    def _data_unit_in_use(self, element: str, key: Key) -> bool:
        """Storage read: whether any dataset is labelled with the record of ``element`` with ``key``."""

    def _check_records_writable(self, element: str, keys: Sequence[Key], action: str) -> None:
        """Optional: refuse ``action`` if some of these records are read-only here (a release layer)."""

    # -- DatasetTypes ---------------------------------------------------------------------------

    def _register_dataset_type(self, dataset_type: DatasetType) -> bool:
        """Store ``dataset_type`` (checked by ``register_dataset_type``) unless the name is taken; compare if so."""
        self._check_writeable(f"register dataset type {dataset_type.name!r}")
        if dataset_type.is_calibration:
            calibration_rules.require_calibrations(self, f"register calibration dataset type {dataset_type.name!r}")
        normalized = dataset_type.normalized(self.universe)
        existing = self._store_dataset_type(normalized)
        return existing is None or not same_dataset_type(existing, normalized)

    def get_dataset_type(self, name: str) -> DatasetType:
        """Return the registered DatasetType ``name`` or raise MissingDatasetTypeError."""
        if not isinstance(name, str):
            raise DatasetTypeError(f"a dataset type is named by a string, not {type(name).__name__}")
        found = self._find_dataset_type(name)
        if found is None:
            raise missing_dataset_type(name, (t.name for t in self._dataset_types()))
        return found

    def query_dataset_types(self, pattern: str | None = None) -> list[DatasetType]:
        """Return the registered DatasetTypes whose names match glob ``pattern``, sorted by name."""
        return matching(self._dataset_types(), pattern)

    def remove_dataset_type(self, name: str) -> None:
        """Remove DatasetType ``name``; refused with DatasetTypeError while datasets of it exist."""
        self._check_writeable(f"remove dataset type {name!r}")
        self._remove_dataset_type(name)

    @abc.abstractmethod
    def _store_dataset_type(self, dataset_type: DatasetType) -> DatasetType | None:
        """Storage write: add ``dataset_type``, or return the stored one of that name (storing nothing)."""

    @abc.abstractmethod
    def _dataset_types(self) -> list[DatasetType]:
        """Storage read: every registered DatasetType."""

    def _find_dataset_type(self, name: str) -> DatasetType | None:
        """Optional storage read: DatasetType ``name``, or None (the default scans ``_dataset_types``)."""
        return next((t for t in self._dataset_types() if t.name == name), None)

    @abc.abstractmethod
    def _remove_dataset_type(self, name: str) -> None:
        """Storage write: delete DatasetType ``name`` (DatasetTypeError while it has datasets)."""

    # -- Datasets -------------------------------------------------------------------------------

    def insert_datasets(self, dataset_type: str, run: str, data_ids: Sequence[DataIdLike],
                        ids: Sequence[uuid.UUID] | None = None) -> list[DatasetRef]:
        """Insert new datasets of ``dataset_type`` in RUN ``run``; return their refs in order."""
        check_many(data_ids, "insert_datasets", "data ID")
        self._check_writeable(f"insert datasets into {run!r}")
        data_ids = list(data_ids)
        definition = self.get_dataset_type(dataset_type)
        collection_rules.check_kind(self, run, CollectionKind.RUN)
        self._check_collection_writable(run, f"insert datasets into run {run!r}")
        if ids is not None and len(ids) != len(data_ids):
            raise DataIdError(f"got {len(ids)} dataset ids for {len(data_ids)} data IDs; give one id per data ID")
        expanded = self._data_unit_rules.expand(definition.units, data_ids)
        dataset_rules.check_distinct(dataset_type, expanded)
        new_ids = list(ids) if ids is not None else [uuid.uuid4() for _ in expanded]
        refs = [DatasetRef(definition, d, run, i) for d, i in zip(expanded, new_ids, strict=True)]
        self._insert_datasets(refs)
        return refs

    def import_datasets(self, refs: Sequence[DatasetRef]) -> list[DatasetRef]:
        """Insert datasets with the ids and runs of ``refs``; refs already present are skipped."""
        self._check_writeable("import datasets")
        refs = list(refs)
        with self.transaction():
            result, unique = dataset_rules.prepare_import(self, list(refs))
            self._import_datasets(unique)
        return result

    def find_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike],
                      collections: Sequence[str], *, timespan: Timespan | None = None) -> list[DatasetRef | None]:
        """For each DataId, the dataset found first in the ``collections`` search path, or None."""
        check_many(data_ids, "find_datasets", "data ID")
        definition, normalized = self._normalized(dataset_type, data_ids)
        if definition.is_calibration and RegistryCapability.CALIBRATIONS in self.capabilities:
            return calibration_rules.find(self, definition, normalized, as_names(collections), _timespan(timespan))
        return self._find_datasets(definition, normalized, as_names(collections))

    def find_stored_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike], collections: Sequence[str],
                             *, timespan: Timespan | None = None
                             ) -> list[tuple[DatasetRef, list[StoredArtifact]] | None]:
        """``find_datasets`` together with each found dataset's artifacts (Butler.get's lookup)."""
        check_many(data_ids, "find_stored_datasets", "data ID")
        definition, normalized = self._normalized(dataset_type, data_ids)
        if definition.is_calibration and RegistryCapability.CALIBRATIONS in self.capabilities:
            refs = calibration_rules.find(self, definition, normalized, as_names(collections), _timespan(timespan))
            artifacts = self._get_artifacts([ref.id for ref in refs if ref is not None])
            return [None if ref is None else (ref, artifacts.get(ref.id, [])) for ref in refs]
        return self._find_stored_datasets(definition, normalized, as_names(collections))

    def _normalized(self, dataset_type: str, data_ids: Sequence[DataIdLike]) -> tuple[DatasetType, list[DataId]]:
        """The registered ``dataset_type`` and ``data_ids`` normalized for it; given implied values are checked."""
        definition = self.get_dataset_type(dataset_type)
        normalized = [normalize_data_id(self.universe, definition.units, d) for d in data_ids]
        if any(d.implied for d in normalized):  # given implied values must agree with the records
            self._data_unit_rules.expand(definition.units, [d.full for d in normalized if d.implied])
        return definition, normalized

    def get_datasets(self, ids: Sequence[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for an unknown id), in order."""
        return self._get_datasets(list(ids))

    def datasets_in_collection(self, collection: str, dataset_type: str | None = None) -> list[DatasetRef]:
        """All datasets directly in RUN or TAGGED ``collection`` (chains are followed, in order)."""
        return self._datasets_in_collection(collection, dataset_type)

    def dataset_ids_in_collection(self, collection: str) -> list[uuid.UUID]:
        """The ids of ``datasets_in_collection(collection)``, in its order."""
        return self._dataset_ids_in_collection(collection)

    def _dataset_ids_in_collection(self, collection: str) -> list[uuid.UUID]:
        """Optional storage read: see ``dataset_ids_in_collection`` (the default lists the datasets)."""
        return [ref.id for ref in self._datasets_in_collection(collection, None)]

    def remove_datasets(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget datasets, their artifact records and TAGGED associations; quanta are kept."""
        self._check_writeable("remove datasets")
        self._remove_datasets(list(ids))

    @abc.abstractmethod
    def _insert_datasets(self, refs: list[DatasetRef]) -> None:
        """Storage write: add new datasets of one type and run, DataIds expanded (a stored one is a conflict)."""

    @abc.abstractmethod
    def _import_datasets(self, refs: list[DatasetRef]) -> None:
        """Storage write: add those of ``refs`` (distinct ids, expanded) not stored yet; conflicts are refused."""

    @abc.abstractmethod
    def _find_datasets(self, dataset_type: DatasetType, data_ids: list[DataId],
                       collections: tuple[str, ...]) -> list[DatasetRef | None]:
        """Storage read: for each normalized DataId, the dataset found first in the search path, or None."""

    def _find_stored_datasets(self, dataset_type: DatasetType, data_ids: list[DataId], collections: tuple[str, ...]
                              ) -> list[tuple[DatasetRef, list[StoredArtifact]] | None]:
        """Optional storage read: ``_find_datasets`` with artifacts (the default makes two calls)."""
        refs = self._find_datasets(dataset_type, data_ids, collections)
        artifacts = self._get_artifacts([ref.id for ref in refs if ref is not None])
        return [None if ref is None else (ref, artifacts.get(ref.id, [])) for ref in refs]

    @abc.abstractmethod
    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef | None]:
        """Storage read: the datasets with these ids (None for an unknown id), in order."""

    @abc.abstractmethod
    def _datasets_in_collection(self, collection: str, dataset_type: str | None) -> list[DatasetRef]:
        """Storage read: see ``datasets_in_collection``."""

    @abc.abstractmethod
    def _remove_datasets(self, ids: list[uuid.UUID]) -> None:
        """Storage write: forget datasets, their artifacts and tags (unknown ids ignored)."""

    # -- Artifacts and provenance ---------------------------------------------------------------

    def insert_artifacts(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Record where the bytes of datasets are; the datasets must exist."""
        self._check_writeable("record artifacts")
        self._insert_artifacts(list(artifacts))

    def get_artifacts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The recorded artifacts of each dataset id (ids without artifacts are absent)."""
        return self._get_artifacts(list(ids))

    def remove_artifacts(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget the artifact records of these datasets, keeping the datasets."""
        self._check_writeable("remove artifact records")
        self._remove_artifacts(list(ids))

    def artifact_users(self, uris: Sequence[str]) -> dict[str, set[uuid.UUID]]:
        """The ids of the datasets whose recorded artifacts have each URI (inside a transaction, as it sees them)."""
        return self._artifact_users(list(uris))

    def insert_quanta(self, quanta: Sequence[Quantum]) -> None:
        """Record quanta; inserting a quantum id twice with the same content is a no-op."""
        self._check_writeable("record quanta")
        self._insert_quanta(list(quanta))

    def get_quanta(self, ids: Sequence[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""
        return self._get_quanta(list(ids))

    @abc.abstractmethod
    def _insert_artifacts(self, artifacts: list[StoredArtifact]) -> None:
        """Storage write: record artifacts of existing datasets."""

    @abc.abstractmethod
    def _get_artifacts(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """Storage read: see ``get_artifacts``."""

    @abc.abstractmethod
    def _remove_artifacts(self, ids: list[uuid.UUID]) -> None:
        """Storage write: forget the artifact records of these datasets."""

    @abc.abstractmethod
    def _artifact_users(self, uris: list[str]) -> dict[str, set[uuid.UUID]]:
        """Storage read: see ``artifact_users``."""

    @abc.abstractmethod
    def _insert_quanta(self, quanta: list[Quantum]) -> None:
        """Storage write: record quanta (the same quantum twice is a no-op; different content a conflict)."""

    @abc.abstractmethod
    def _get_quanta(self, ids: list[uuid.UUID]) -> list[Quantum | None]:
        """Storage read: the quanta with these ids (None for unknown ids), in order."""


def _timespan(timespan: object) -> Timespan | None:
    """``timespan`` if it is None or a Timespan; DataIdError otherwise."""
    if timespan is not None and not isinstance(timespan, Timespan):
        raise DataIdError(f"a lookup time is a Timespan(begin, end) or None, not {shown(timespan)}")
    return timespan
