"""DbbRegistry: the Registry port over the Data Backbone's file catalog (DESDM tables), on RegistryBase.

The rules are RegistryBase's; this class is the storage hooks, each delegating to one part:
``collections`` (PFW_ATTEMPT, PROCTAG, chains), ``dataset_types`` (OPS_FILETYPE), ``datasets``
(DESFILE + metadata tables), ``artifacts`` (FILE_ARCHIVE_INFO), ``provenance`` (TASK, OPM_USED),
and the SQL registry's DataUnit storage and query engine over the ``DBB_`` side tables. Make one
with ``DbbRegistry.create`` (side tables) or ``DbbRegistry.open``; see ``factory`` for butler.yaml.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from ...domain.collection import Collection, CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.dataset_type import DatasetType
from ...domain.errors import ConfigError, ConflictingDefinitionError, DataButlerError
from ...domain.quantum import Quantum
from ...domain.records import Key
from ...domain.universe import Universe
from ...ports.capabilities import RegistryCapability
from ...ports.registry_base import RegistryBase
from ..sql.data_unit_hooks import DataUnitHooks
from ..sql.data_units import DataUnitManager
from ..sql.errors import translating
from ..sql.query.entry_points import QueryEntryPoints
from ..sql.query.executor import Streamer
from ..sql.session import Session
from .adoption import adopt_data_units
from .artifacts import Artifacts
from .collections import Collections
from .dataset_types import DatasetTypes
from .datasets import Datasets
from .grants import writer_grants
from .indexes import index_statements, missing_indexes, wanted_indexes
from .mapping import OWN_TABLE
from .opening import Opened
from .provenance import Provenance
from .queries import DbbQueries
from .tags import Tags

log = logging.getLogger(__name__)


class DbbRegistry(DataUnitHooks, QueryEntryPoints, RegistryBase):
    """A Registry whose datasets, runs, tags, file types and provenance are DESDM rows (see the package doc)."""

    def __init__(self, opened: Opened, *, writeable: bool) -> None:
        self._opened = opened
        self._universe = opened.universe
        self._writeable = writeable
        catalog = opened.catalog
        self._session = Session(opened.engine, opened.connection, writeable=writeable, name=repr(self),
                                on_rollback=self._clear_caches)
        capabilities = {RegistryCapability.QUERIES, RegistryCapability.PROVENANCE_QUERIES,
                        RegistryCapability.PERSISTENT, RegistryCapability.CONCURRENT_WRITERS}
        if writeable:
            capabilities.add(RegistryCapability.WRITE)
        self._capabilities = frozenset(capabilities)
        self._data_units = DataUnitManager(self._universe, opened.layout)
        self._types = DatasetTypes(self._universe, catalog)
        self._runs = Collections(catalog)
        self._resolved: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._datasets = Datasets(self._universe, catalog, self._types, self._runs, self._data_units)
        self._tags = Tags(self._datasets)
        self._artifacts = Artifacts(catalog, self._datasets, self._types)
        self._provenance = Provenance(catalog, self._datasets, self._runs)
        self._queries = DbbQueries(self._universe, opened.layout.reads,
                                   Streamer(self._session, opened.engine, shared_only=False),
                                   types=self._types, collections=self._runs, datasets=self._datasets,
                                   resolve=self.resolve_collections)
        self._warn_of_missing_indexes()

    def __repr__(self) -> str:
        mode = "" if self._writeable else ", writeable=False"
        return f"DbbRegistry({self._opened.shown!r}{mode})"

    @property
    def universe(self) -> Universe:
        """The DataUnit universe stored in the side tables."""
        return self._universe

    @property
    def capabilities(self) -> frozenset[RegistryCapability]:
        """QUERIES, PROVENANCE_QUERIES, PERSISTENT, CONCURRENT_WRITERS, and WRITE unless read-only (no SQL_SELECT)."""
        return self._capabilities

    @property
    def url(self) -> str:
        """The database URL this registry was opened with."""
        return self._opened.url

    def writer_grants(self, role: str, *, removal: bool = False) -> list[str]:
        """The PostgreSQL GRANTs an operator runs so that ``role`` can write through databutler (see ``grants``)."""
        catalog = self._opened.catalog
        if catalog.namespace is None:
            raise ConfigError("writer grants name the PostgreSQL schema of the catalog: configure 'namespace'")
        side = [str(t.name) for t in catalog.side.metadata.sorted_tables]
        sites = [name for name in catalog.metadata_tables if name != OWN_TABLE]
        return writer_grants(catalog.namespace, role, side, sites, removal=removal)

    def index_statements(self, *, missing_only: bool = False) -> list[str]:
        """CREATE INDEX statements an operator runs once so that finds probe indexes (see ``indexes``)."""
        namespace = self._opened.catalog.namespace
        with self._reading() as connection:
            records = [r for d in self._types.all(connection) if (r := self._types.find(connection, d.name))]
            wanted = wanted_indexes(self._universe, records)
            if missing_only:
                wanted = missing_indexes(connection, namespace, wanted)
        return index_statements(namespace, wanted)

    def _warn_of_missing_indexes(self) -> None:
        """Log which indexes finds would use are missing (the catalog answers, but reads whole tables)."""
        try:
            missing = self.index_statements(missing_only=True)
        except DataButlerError:
            return
        if missing:
            log.warning("%r: the Data Backbone catalog lacks %d indexes that finds use, so each find reads whole "
                        "tables; an operator creates them once with DbbRegistry.index_statements(): %s",
                        self, len(missing), "; ".join(missing))

    def close(self) -> None:
        """Close the connections."""
        self._queries.close()
        self._session.close()

    def _clear_caches(self) -> None:
        self._data_units.clear_cache()
        self._types.clear_cache()
        self._runs.clear_cache()
        self._datasets.clear_cache()
        self._resolved.clear()
        self._forget_remembered()

    def _reading(self) -> AbstractContextManager[sa.Connection]:
        return self._session.reading()

    def _writing(self, action: str) -> AbstractContextManager[sa.Connection]:
        return self._session.writing(action)

    # -- DataUnits ----------------------------------------------------------------------------

    def adopt_data_units(self) -> dict[str, int]:
        """Insert the DataUnit records production's metadata columns imply; return the new ones per DataUnit.

        Run after production has delivered new data (see ``adoption``); existing records are kept.
        """
        self._check_writeable("adopt DataUnit records")
        with self.transaction(), self._reading() as connection:
            tables = list(self._opened.catalog.metadata_tables.values())
            return adopt_data_units(connection, self._universe, tables, self._insert_new_records)

    def _insert_new_records(self, element: str, records: Sequence[dict[str, Any]]) -> int:
        """Insert those of ``records`` whose keys are not stored (a stored record is kept as it is)."""
        fields = self._universe.key_fields(element)
        stored = {tuple(r[f] for f in fields) for r in self.fetch_data_unit_records(
            element, [{f: r[f] for f in fields} for r in records])}
        return self.insert_data_units(element, [r for r in records if tuple(r[f] for f in fields) not in stored])

    @translating("update DataUnit records")
    def _data_unit_in_use(self, element: str, key: Key) -> bool:
        """Whether a dataset's metadata row carries the record of ``element`` with ``key``."""
        required = self._universe.required(element)
        with self._reading() as connection:
            for definition in self._types.all(connection):
                record = self._types.find(connection, definition.name)
                assert record is not None
                units, implied = self._datasets.carried(record)
                if not all(u in (*units, *implied) for u in required):
                    continue
                source = self._datasets.source(record).subquery("labelled")
                match = [source.c[u] == v for u, v in zip(required, key, strict=True)]
                if connection.execute(sa.select(source.c.desfile_id).where(*match).limit(1)).first() is not None:
                    return True
        return False

    # -- DatasetTypes -------------------------------------------------------------------------

    @translating("register a dataset type")
    def _store_dataset_type(self, dataset_type: DatasetType) -> DatasetType | None:
        """Register ``dataset_type`` as a file type (adopting production's of that name)."""
        action = f"register dataset type {dataset_type.name!r}"
        try:
            with self._writing(action) as connection:
                return self._types.store(connection, dataset_type)
        except sa.exc.IntegrityError:  # registered concurrently: decide against what is there now
            with self._writing(action) as connection:
                return self._types.store(connection, dataset_type)

    def _find_dataset_type(self, name: str) -> DatasetType | None:
        """DatasetType ``name`` (remembered ones need no read), or None."""
        self._session.check_open()
        hit = self._types.cached(name)
        if hit is not None:
            return hit
        with self._reading() as connection:
            record = self._types.find(connection, name)
        return None if record is None else record.definition

    @translating("query dataset types")
    def _dataset_types(self) -> list[DatasetType]:
        """Every registered DatasetType."""
        with self._reading() as connection:
            return self._types.all(connection)

    @translating("remove a dataset type")
    def _remove_dataset_type(self, name: str) -> None:
        """Remove DatasetType ``name`` unless files of it exist."""
        with self._writing(f"remove dataset type {name!r}") as connection:
            self._types.remove(connection, name, self._datasets.count_of_type(connection, name) > 0)

    # -- Collections --------------------------------------------------------------------------

    @translating("register a collection")
    def _register_collection(self, name: str, kind: CollectionKind, doc: str) -> CollectionKind | None:
        """Register ``name`` (a RUN becomes a PFW_ATTEMPT), or return the kind of the one there."""
        self._resolved.clear()
        try:
            with self._writing(f"register collection {name!r}") as connection:
                return self._runs.register(connection, name, kind, doc)
        except sa.exc.IntegrityError:  # registered concurrently: decide against what is there now
            self._runs.clear_cache()
            with self._writing(f"register collection {name!r}") as connection:
                return self._runs.register(connection, name, kind, doc)

    @translating("get a collection")
    def _collections(self, names: Sequence[str] | None) -> list[Collection]:
        """The collections with these names (all if None), by name."""
        with self._reading() as connection:
            return self._runs.describe(connection, names)

    def _resolve_collections(self, search_path: tuple[str, ...]) -> tuple[str, ...]:
        """Flatten ``search_path`` into RUN and TAGGED names (remembered until a collection changes here).

        A path through chains is read again every time: another writer may redefine a chain.
        """
        hit = self._resolved.get(search_path)
        if hit is None:
            hit = super()._resolve_collections(search_path)
            if hit == tuple(dict.fromkeys(search_path)):  # no chain on the path
                self._resolved[search_path] = hit
        return hit

    @translating("set a chain")
    def _set_chain(self, name: str, children: tuple[str, ...]) -> None:
        """Replace the children of chain ``name``."""
        self._resolved.clear()
        with self._writing(f"set the children of chain {name!r}") as connection:
            self._runs.set_chain(connection, name, children)

    @translating("remove a collection")
    def _remove_collection(self, name: str) -> None:
        """Remove collection ``name`` (a RUN must be empty; a chain's child is refused)."""
        self._resolved.clear()
        with self._writing(f"remove collection {name!r}") as connection:
            record = self._runs.get(connection, name)
            held = self._datasets.count_in_run(connection, record.id) if record.kind is CollectionKind.RUN else 0
            self._runs.remove(connection, name, held)

    @translating("associate datasets")
    def _associate(self, tagged: str, refs: list[DatasetRef]) -> None:
        """Tag ``refs`` into ``tagged`` one by one (DBB_TAG)."""
        with self._writing(f"tag datasets into {tagged!r}") as connection:
            self._tags.associate(connection, tagged, self._runs.get(connection, tagged), refs)

    @translating("disassociate datasets")
    def _disassociate(self, tagged: str, refs: list[DatasetRef]) -> None:
        """Untag ``refs`` from ``tagged``."""
        with self._writing(f"untag datasets from {tagged!r}") as connection:
            self._tags.disassociate(connection, tagged, [ref.id for ref in refs])

    # -- Datasets -----------------------------------------------------------------------------

    @translating("insert datasets")
    def _insert_datasets(self, refs: list[DatasetRef]) -> None:
        """Write DESFILE and metadata rows for new datasets of one type and run."""
        if not refs:
            return
        with self._writing(f"insert datasets into {refs[0].run!r}") as connection:
            record = self._types.find(connection, refs[0].dataset_type.name)
            assert record is not None
            self._datasets.insert(connection, record, self._runs.get(connection, refs[0].run), refs)

    @translating("import datasets")
    def _import_datasets(self, refs: list[DatasetRef]) -> None:
        """Write those of ``refs`` not stored yet, grouped by type and run."""
        with self._writing("import datasets") as connection:
            present = self._datasets.desfile_ids(connection, [ref.id for ref in refs])
            stored = {ref.id: ref for ref in self._datasets.get(connection, list(present)) if ref is not None}
            for ref in refs:
                old = stored.get(ref.id)
                if old is not None and (old.dataset_type.name, old.run, old.data_id) != (
                        ref.dataset_type.name, ref.run, ref.data_id):
                    raise ConflictingDefinitionError(f"dataset id {ref.id} already exists as {old!r}, not as the "
                                                     "dataset being imported")
            groups: dict[tuple[str, str], list[DatasetRef]] = {}
            for ref in refs:
                if ref.id not in present:
                    groups.setdefault((ref.dataset_type.name, ref.run), []).append(ref)
            for (name, run), group in groups.items():
                record = self._types.find(connection, name)
                assert record is not None
                self._datasets.insert(connection, record, self._runs.get(connection, run), group)

    @translating("find datasets")
    def _find_datasets(self, dataset_type: DatasetType, data_ids: list[DataId],
                       collections: tuple[str, ...]) -> list[DatasetRef | None]:
        """For each DataId, the dataset found first in the search path, or None."""
        names = self.resolve_collections(collections)
        with self._reading() as connection:
            record = self._types.find(connection, dataset_type.name)
            assert record is not None
            found = self._runs.find(connection, names)
            return self._datasets.find(connection, record, data_ids, [found[n] for n in names])

    @translating("get datasets")
    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for an unknown id), in order."""
        with self._reading() as connection:
            return self._datasets.get(connection, ids)

    @translating("list the datasets of a collection")
    def _datasets_in_collection(self, collection: str, dataset_type: str | None) -> list[DatasetRef]:
        """All datasets in ``collection`` (chains followed, in order)."""
        names = self.resolve_collections([collection])
        with self._reading() as connection:
            if dataset_type is None:
                records = [r for d in self._types.all(connection) if (r := self._types.find(connection, d.name))]
            else:
                record = self._types.find(connection, self.get_dataset_type(dataset_type).name)
                records = [record] if record is not None else []
            found = self._runs.find(connection, names)
            return self._datasets.in_collections(connection, [found[n] for n in names], records)

    @translating("remove datasets")
    def _remove_datasets(self, ids: list[uuid.UUID]) -> None:
        """Delete the datasets' DESDM and side rows."""
        with self._writing("remove datasets") as connection:
            self._datasets.remove(connection, ids)

    # -- Artifacts ----------------------------------------------------------------------------

    @translating("record artifacts")
    def _insert_artifacts(self, artifacts: list[StoredArtifact]) -> None:
        """Record artifacts; name each dataset's DESFILE row after its file."""
        with self._writing("record artifacts") as connection:
            self._artifacts.insert(connection, artifacts)

    @translating("get artifacts")
    def _get_artifacts(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The artifacts of each dataset id (production's from FILE_ARCHIVE_INFO)."""
        with self._reading() as connection:
            return self._artifacts.get(connection, ids)

    @translating("remove artifacts")
    def _remove_artifacts(self, ids: list[uuid.UUID]) -> None:
        """Forget the artifacts of these datasets."""
        with self._writing("remove artifact records") as connection:
            self._artifacts.remove(connection, ids)

    @translating("find the datasets sharing artifacts")
    def _artifact_users(self, uris: list[str]) -> dict[str, set[uuid.UUID]]:
        """The datasets whose artifacts have each URI."""
        with self._reading() as connection:
            return self._artifacts.users(connection, uris)

    # -- Provenance ---------------------------------------------------------------------------

    @translating("record quanta")
    def _insert_quanta(self, quanta: list[Quantum]) -> None:
        """Record quanta as TASK rows with OPM_USED and WGB_TASK_ID."""
        with self._writing("record quanta") as connection:
            self._provenance.insert(connection, quanta)

    @translating("get quanta")
    def _get_quanta(self, ids: list[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""
        with self._reading() as connection:
            return self._provenance.get(connection, ids)

    @translating("find quanta")
    def find_quanta(self, *, run: str | None = None, task: str | None = None,
                    input: uuid.UUID | None = None, output: uuid.UUID | None = None) -> list[Quantum]:
        """Quanta matching all given filters (production's tasks included), ordered by start time."""
        with self._reading() as connection:
            return self._provenance.find(connection, run=run, task=task, input=input, output=output)

    # -- Queries ------------------------------------------------------------------------------
