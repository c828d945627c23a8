"""SqlRegistry: the Registry port on SQLAlchemy Core (SQLite today, PostgreSQL-portable)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from ...domain.collection import Collection, CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.dataset_type import DatasetType
from ...domain.errors import (
    DataIdError,
)
from ...domain.quantum import Quantum
from ...domain.universe import Universe
from ...ports.capabilities import RegistryCapability
from ...ports.query_results import QueryResults
from ...ports.registry import DataIdLike, Registry
from .artifacts import ArtifactManager
from .collections import CollectionManager, as_names
from .data_unit_updates import DataUnitUpdater
from .data_units import DataUnitManager
from .dataset_types import DatasetTypeManager
from .datasets import DatasetManager
from .engine import DEFAULT_BUSY_TIMEOUT_S, is_memory
from .errors import translating
from .layout import Layout
from .quanta import QuantumManager
from .query.executor import Streamer
from .query.queries import RegistryQueries
from .query.read_only import DEFAULT_SELECT_TIMEOUT_S, ReadOnlyConnections
from .query.select_sql import check_timeout
from .release import Layering, Release
from .session import Session
from .setup import create_database, open_database
from .tags import TagManager


class SqlRegistry(Registry):
    """A Registry in a SQL database: one connection, one universe, tables generated from it.

    Make one with ``SqlRegistry.create`` (new schema) or ``SqlRegistry.open`` (existing schema,
    whose stored universe is authoritative). DatasetTypes, collection ids and DataUnit keys found
    in the database are remembered (all forgotten when a write rolls back), so a single get or put
    costs a few statements. A registry is not thread-safe: give each thread its own.

    Given a ``release``, the registry is a personal registry layered over that read-only release
    registry in the same database (see ``release``): it reads both layers as one and writes only
    its own tables; a write aimed at the release raises ReleaseWriteError.
    """

    def __init__(self, engine: sa.Engine, connection: sa.Connection, universe: Universe, layout: Layout, *,
                 url: str, namespace: str | None, writeable: bool, layering: Layering | None = None,
                 select_timeout_s: float = DEFAULT_SELECT_TIMEOUT_S) -> None:
        self._universe = universe
        self._select_timeout_s = check_timeout(select_timeout_s)
        self._layout = layout
        self._layering = layering
        self._url = url
        self._shown = engine.url.render_as_string(hide_password=True)
        self._namespace = namespace
        self._writeable = writeable
        self._session = Session(engine, connection, writeable=writeable, name=repr(self),
                                on_rollback=self._clear_caches)
        capabilities = {RegistryCapability.PROVENANCE_QUERIES}
        if writeable:
            capabilities.add(RegistryCapability.WRITE)
        if not is_memory(engine.url):
            capabilities |= {RegistryCapability.PERSISTENT, RegistryCapability.CONCURRENT_WRITERS}
        if engine.dialect.name in ("sqlite", "postgresql"):
            capabilities |= {RegistryCapability.QUERIES, RegistryCapability.SQL_SELECT}
        self._capabilities = frozenset(capabilities)
        self._data_units = DataUnitManager(universe, layout)
        self._updates = DataUnitUpdater(self._data_units, universe, layout)
        self._types = DatasetTypeManager(universe, layout)
        self._collections = CollectionManager(layout)
        self._datasets = DatasetManager(universe, layout, self._types, self._collections, self._data_units)
        self._tags = TagManager(layout, self._collections)
        self._artifacts = ArtifactManager(layout)
        self._quanta = QuantumManager(layout)
        memory = is_memory(engine.url)
        prepare = None if layering is None else (
            lambda dbapi_connection: layering.prepare(dbapi_connection, engine.dialect))
        self._queries = RegistryQueries(
            universe, layout.reads, Streamer(self._session, engine, shared_only=memory),
            read_only=ReadOnlyConnections(engine, self._session, namespace, memory, prepare=prepare),
            types=self._types, collections=self._collections, datasets=self._datasets)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def create(cls, url: str, universe: Universe, *, namespace: str | None = None, release: Release | None = None,
               busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, echo: bool = False,
               select_timeout_s: float = DEFAULT_SELECT_TIMEOUT_S) -> SqlRegistry:
        """Create the registry schema for ``universe`` at ``url`` (over ``release``, if given), writeable."""
        check_timeout(select_timeout_s)
        made = create_database(url, universe, namespace=namespace, release=release, busy_timeout_s=busy_timeout_s,
                               echo=echo)
        return cls(made.engine, made.connection, made.universe, made.layout, url=url, namespace=namespace,
                   writeable=True, layering=made.layering, select_timeout_s=select_timeout_s)

    @classmethod
    def open(cls, url: str, *, namespace: str | None = None, release: Release | None = None, writeable: bool = True,
             busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, echo: bool = False,
             select_timeout_s: float = DEFAULT_SELECT_TIMEOUT_S) -> SqlRegistry:
        """Open the existing registry at ``url``, with the universe it was created with.

        A personal registry is opened over the release it was created over, unless ``release``
        says where that release is now.
        """
        check_timeout(select_timeout_s)
        made = open_database(url, namespace=namespace, release=release, busy_timeout_s=busy_timeout_s, echo=echo)
        return cls(made.engine, made.connection, made.universe, made.layout, url=url, namespace=namespace,
                   writeable=writeable, layering=made.layering, select_timeout_s=select_timeout_s)

    def __repr__(self) -> str:
        mode = "" if self._writeable else ", writeable=False"
        return f"SqlRegistry({self._shown!r}{mode})"

    @property
    def url(self) -> str:
        """The database URL this registry was opened with (what ``open`` needs to open it again)."""
        return self._url

    @property
    def namespace(self) -> str | None:
        """The PostgreSQL schema holding the tables, or None."""
        return self._namespace

    @property
    def release(self) -> Release | None:
        """The read-only release this personal registry is layered over, or None."""
        return None if self._layering is None else self._layering.release

    @property
    def universe(self) -> Universe:
        """The DataUnit universe stored in this registry."""
        return self._universe

    @property
    def capabilities(self) -> frozenset[RegistryCapability]:
        """WRITE (unless read-only), PERSISTENT and CONCURRENT_WRITERS (unless in memory), PROVENANCE_QUERIES."""
        return self._capabilities

    def close(self) -> None:
        """Close the connection and release the database file."""
        self._queries.close()
        self._session.close()

    # -- transactions -------------------------------------------------------------------------

    def _clear_caches(self) -> None:
        self._data_units.clear_cache()
        self._types.clear_cache()
        self._collections.clear_cache()

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes so that they all happen or none do; transactions nest (savepoints)."""
        return self._session.transaction()

    # -- DataUnits ----------------------------------------------------------------------------

    @translating("insert DataUnit records")
    def insert_data_units(self, element: str, records: Sequence[Mapping[str, Any]], *,
                          skip_existing: bool = False) -> int:
        """Insert records of DataUnit or join element ``element``; return how many were new."""
        self._universe.element(element)
        if isinstance(records, Mapping):
            raise DataIdError(f"insert_data_units({element!r}, ...) takes a sequence of records, not one record")
        with self._session.writing(f"insert {element} records") as connection:
            return self._data_units.insert(connection, element, list(records), skip_existing)

    @translating("update DataUnit records")
    def update_data_units(self, element: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Set the given fields of existing records of ``element``; return how many records changed."""
        self._universe.element(element)
        if isinstance(records, Mapping):
            raise DataIdError(f"update_data_units({element!r}, ...) takes a sequence of records, not one record")
        with self._session.writing(f"update {element} records") as connection:
            return self._updates.update(connection, element, list(records))

    @translating("fetch DataUnit records")
    def fetch_data_unit_records(self, element: str,
                                keys: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Return the records of ``element`` with the given primary keys (all records if None)."""
        if isinstance(keys, Mapping):
            keys = [keys]
        with self._session.reading() as connection:
            return self._data_units.fetch(connection, element, keys)

    @translating("expand data IDs")
    def expand_data_ids(self, units: Sequence[str], data_ids: Sequence[DataIdLike]) -> list[DataId]:
        """Validate ``data_ids`` for ``units`` against the records and fill in implied values."""
        with self._session.reading() as connection:
            return self._data_units.expand(connection, as_names(units), list(data_ids))

    # -- DatasetTypes -------------------------------------------------------------------------

    @translating("register a dataset type")
    def _register_dataset_type(self, dataset_type: DatasetType) -> bool:
        """Store ``dataset_type``; return False if an identical one exists."""
        try:
            with self._session.writing(f"register dataset type {dataset_type.name!r}", atomic=True) as connection:
                return self._types.register(connection, dataset_type)
        except sa.exc.IntegrityError:  # registered concurrently: decide against what is there now
            with self._session.writing(f"register dataset type {dataset_type.name!r}", atomic=True) as connection:
                return self._types.register(connection, dataset_type)

    @translating("get a dataset type")
    def get_dataset_type(self, name: str) -> DatasetType:
        """Return the registered DatasetType ``name`` or raise MissingDatasetTypeError."""
        with self._session.reading() as connection:
            return self._types.get(connection, name)[1]

    @translating("query dataset types")
    def query_dataset_types(self, pattern: str | None = None) -> list[DatasetType]:
        """Return the registered DatasetTypes whose names match glob ``pattern``, sorted by name."""
        with self._session.reading() as connection:
            return self._types.query(connection, pattern)

    @translating("remove a dataset type")
    def remove_dataset_type(self, name: str) -> None:
        """Remove DatasetType ``name``; refused with DatasetTypeError while datasets of it exist."""
        with self._session.writing(f"remove dataset type {name!r}", atomic=True) as connection:
            self._types.remove(connection, name)

    # -- Collections --------------------------------------------------------------------------

    @translating("register a collection")
    def register_collection(self, name: str, kind: CollectionKind, doc: str = "") -> bool:
        """Register collection ``name``; return False if it already exists with this kind."""
        try:
            with self._session.writing(f"register collection {name!r}") as connection:
                return self._collections.register(connection, name, kind, doc)
        except sa.exc.IntegrityError:  # registered concurrently: decide against what is there now
            with self._session.writing(f"register collection {name!r}") as connection:
                return self._collections.register(connection, name, kind, doc)

    @translating("get a collection")
    def get_collection(self, name: str) -> Collection:
        """Return collection ``name`` or raise MissingCollectionError."""
        with self._session.reading() as connection:
            return self._collections.describe(connection, name)

    @translating("query collections")
    def query_collections(self, pattern: str | None = None,
                          kinds: Sequence[CollectionKind] | None = None) -> list[Collection]:
        """Return collections whose names match glob ``pattern`` and whose kind is in ``kinds``."""
        with self._session.reading() as connection:
            return self._collections.query(connection, pattern, kinds)

    @translating("set a chain")
    def set_chain(self, name: str, children: Sequence[str]) -> None:
        """Set the ordered children of CHAINED collection ``name``; a cycle raises CollectionError."""
        with self._session.writing(f"set the children of chain {name!r}") as connection:
            self._collections.set_chain(connection, name, children)

    @translating("resolve collections")
    def resolve_collections(self, search_path: Sequence[str]) -> tuple[str, ...]:
        """Flatten ``search_path`` (chains expanded) into RUN and TAGGED names, first occurrence kept."""
        with self._session.reading() as connection:
            return tuple(r.name for r in self._collections.resolve(connection, search_path))

    @translating("remove a collection")
    def remove_collection(self, name: str) -> None:
        """Remove collection ``name`` (a RUN must be empty; a chain's child is refused)."""
        with self._session.writing(f"remove collection {name!r}") as connection:
            self._collections.remove(connection, name)

    @translating("associate datasets")
    def associate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Add ``refs`` to TAGGED collection ``tagged``; re-adding a member is a no-op."""
        with self._session.writing(f"tag datasets into {tagged!r}", atomic=len(refs) <= 1) as connection:
            self._tags.associate(connection, tagged, list(refs))

    @translating("disassociate datasets")
    def disassociate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Remove ``refs`` from TAGGED collection ``tagged``; absent refs are ignored."""
        with self._session.writing(f"untag datasets from {tagged!r}", atomic=len(refs) <= 1) as connection:
            self._tags.disassociate(connection, tagged, list(refs))

    # -- Datasets -----------------------------------------------------------------------------

    @translating("insert datasets")
    def insert_datasets(self, dataset_type: str, run: str, data_ids: Sequence[DataIdLike],
                        ids: Sequence[uuid.UUID] | None = None) -> list[DatasetRef]:
        """Insert new datasets of ``dataset_type`` in RUN ``run``; return their refs in order."""
        if isinstance(data_ids, Mapping):
            raise DataIdError("insert_datasets takes a sequence of data IDs, not one data ID")
        data_ids = list(data_ids)
        try:
            with self._session.writing(f"insert datasets into {run!r}", atomic=len(data_ids) <= 1) as connection:
                return self._datasets.insert(connection, dataset_type, run, data_ids, ids)
        except sa.exc.IntegrityError:
            with self._session.reading() as connection:
                raise self._datasets.explain_insert_conflict(connection, dataset_type, run, data_ids,
                                                             ids) from None

    @translating("import datasets")
    def import_datasets(self, refs: Sequence[DatasetRef]) -> list[DatasetRef]:
        """Insert datasets with the ids and runs of ``refs``; refs already present are skipped."""
        with self._session.writing("import datasets") as connection:
            return self._datasets.import_refs(connection, list(refs))

    @translating("find datasets")
    def find_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike],
                      collections: Sequence[str]) -> list[DatasetRef | None]:
        """For each DataId, the dataset found first in the ``collections`` search path, or None."""
        if isinstance(data_ids, Mapping):
            raise DataIdError("find_datasets takes a sequence of data IDs, not one data ID")
        with self._session.reading() as connection:
            return self._datasets.find(connection, dataset_type, data_ids, collections)

    @translating("find datasets")
    def find_stored_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike], collections: Sequence[str]
                             ) -> list[tuple[DatasetRef, list[StoredArtifact]] | None]:
        """``find_datasets`` with each found dataset's artifacts, in one read transaction."""
        if isinstance(data_ids, Mapping):
            raise DataIdError("find_stored_datasets takes a sequence of data IDs, not one data ID")
        with self._session.reading() as connection:
            refs = self._datasets.find(connection, dataset_type, data_ids, collections)
            artifacts = self._artifacts.get(connection, [ref.id for ref in refs if ref is not None])
        return [None if ref is None else (ref, artifacts.get(ref.id, [])) for ref in refs]

    @translating("get datasets")
    def get_datasets(self, ids: Sequence[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for an unknown id), in order."""
        with self._session.reading() as connection:
            return self._datasets.get(connection, list(ids))

    @translating("list the datasets of a collection")
    def datasets_in_collection(self, collection: str, dataset_type: str | None = None) -> list[DatasetRef]:
        """All datasets directly in RUN or TAGGED ``collection`` (chains are followed, in order)."""
        with self._session.reading() as connection:
            return self._datasets.in_collection(connection, collection, dataset_type)

    @translating("remove datasets")
    def remove_datasets(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget datasets, their artifact records and TAGGED associations; quanta are kept."""
        with self._session.writing("remove datasets") as connection:
            self._datasets.remove(connection, list(ids))

    # -- Artifacts ----------------------------------------------------------------------------

    @translating("record artifacts")
    def insert_artifacts(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Record where the bytes of datasets are; the datasets must exist."""
        rows = self._artifacts.rows(list(artifacts))
        try:
            with self._session.writing("record artifacts", atomic=len(rows) <= 1) as connection:
                self._artifacts.insert(connection, rows)
        except sa.exc.IntegrityError:
            with self._session.reading() as connection:
                raise self._artifacts.explain_insert_conflict(connection, rows) from None

    @translating("get artifacts")
    def get_artifacts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The recorded artifacts of each dataset id (ids without artifacts are absent)."""
        with self._session.reading() as connection:
            return self._artifacts.get(connection, list(ids))

    @translating("remove artifacts")
    def remove_artifacts(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget the artifact records of these datasets, keeping the datasets."""
        with self._session.writing("remove artifact records") as connection:
            self._artifacts.remove(connection, list(ids))

    @translating("find the datasets sharing artifacts")
    def artifact_users(self, uris: Sequence[str]) -> dict[str, set[uuid.UUID]]:
        """The ids of the datasets whose recorded artifacts have each URI (inside a transaction, as it sees them)."""
        with self._session.reading() as connection:
            return self._artifacts.users(connection, list(uris))

    # -- Provenance ---------------------------------------------------------------------------

    @translating("record quanta")
    def insert_quanta(self, quanta: Sequence[Quantum]) -> None:
        """Record quanta; inserting a quantum id twice with the same content is a no-op."""
        with self._session.writing("record quanta") as connection:
            self._quanta.insert(connection, list(quanta))

    @translating("get quanta")
    def get_quanta(self, ids: Sequence[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""
        with self._session.reading() as connection:
            return self._quanta.get(connection, list(ids))

    @translating("find quanta")
    def find_quanta(self, *, run: str | None = None, task: str | None = None,
                    input: uuid.UUID | None = None, output: uuid.UUID | None = None) -> list[Quantum]:
        """Quanta matching all given filters, ordered by start time."""
        with self._session.reading() as connection:
            return self._quanta.find(connection, run=run, task=task, input=input, output=output)

    # -- Queries ------------------------------------------------------------------------------

    @translating("query datasets")
    def query_datasets(self, dataset_types: str | Sequence[str], collections: Sequence[str], *,
                       where: str = "", bind: Mapping[str, Any] | None = None,
                       data_id: DataIdLike | None = None, find_first: bool = False,
                       order_by: Sequence[str] = (), limit: int | None = None) -> QueryResults[DatasetRef]:
        """Datasets of the given types in ``collections`` matching ``where``."""
        results = self._queries.datasets(dataset_types, collections, where=where, bind=bind, data_id=data_id,
                                         find_first=find_first)
        if order_by:
            results = results.order_by(*order_by)
        return results if limit is None else results.limit(limit)

    @translating("query data IDs")
    def query_data_ids(self, units: str | Sequence[str], *, where: str = "", bind: Mapping[str, Any] | None = None,
                       datasets: str | Sequence[str] | None = None, collections: Sequence[str] | None = None,
                       data_id: DataIdLike | None = None) -> QueryResults[DataId]:
        """Distinct DataIds of ``units`` related through the universe, matching ``where``."""
        return self._queries.data_ids(units, where=where, bind=bind, datasets=datasets, collections=collections,
                                      data_id=data_id)

    @translating("query DataUnit records")
    def query_data_unit_records(self, element: str, *, where: str = "", bind: Mapping[str, Any] | None = None,
                                data_id: DataIdLike | None = None) -> QueryResults[dict[str, Any]]:
        """Records of DataUnit or join element ``element`` matching ``where``."""
        return self._queries.records(element, where, bind, data_id)

    def select_sql(self, sql: str, bind: Mapping[str, Any] | None = None, *,
                   timeout_s: float | None = None) -> QueryResults[dict[str, Any]]:
        """Run one read-only SQL SELECT over the documented views (see adapters/sql/query/views.py).

        Each statement (and each fetch of a batch of rows) stops after ``timeout_s`` seconds, by
        default the registry's ``select_timeout_s``.
        """
        return self._queries.select_sql(sql, bind, self._select_timeout_s if timeout_s is None else timeout_s)
