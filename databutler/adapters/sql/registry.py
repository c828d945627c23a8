"""SqlRegistry: the Registry port on SQLAlchemy Core (SQLite today, PostgreSQL-portable)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ...domain.calibration import Certification
from ...domain.collection import Collection, CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.dataset_type import DatasetType
from ...domain.lineage import Direction, Edge
from ...domain.quantum import Quantum
from ...domain.records import Key
from ...domain.universe import Universe
from ...domain.values import Timespan
from ...ports.capabilities import RegistryCapability
from ...ports.lineage_rules import LineageRules
from ...ports.query_results import QueryResults
from ...ports.registry_base import RegistryBase
from .artifacts import ArtifactManager
from .calibrations import CalibrationManager
from .collections import CollectionManager
from .data_unit_hooks import DataUnitHooks
from .data_units import DataUnitManager
from .dataset_types import DatasetTypeManager
from .datasets import DatasetManager
from .engine import DEFAULT_BUSY_TIMEOUT_S, is_memory
from .errors import translated, translating
from .layout import Layout
from .lineage import lineage_edges
from .quanta import QuantumManager
from .query.entry_points import QueryEntryPoints
from .query.executor import Streamer
from .query.queries import RegistryQueries
from .query.read_only import DEFAULT_SELECT_TIMEOUT_S, ReadOnlyConnections
from .query.select_sql import check_timeout
from .release import Layering, Release
from .session import Session
from .setup import create_database, open_database
from .statistics import PlannerStatistics, optimize_at_close
from .tags import TagManager


class SqlRegistry(DataUnitHooks, QueryEntryPoints, LineageRules, RegistryBase):
    """A Registry in a SQL database: one connection, one universe, tables generated from it.

    Make one with ``SqlRegistry.create`` (new schema) or ``SqlRegistry.open`` (existing schema,
    whose stored universe is authoritative). DatasetTypes, collection ids and DataUnit keys found
    in the database are remembered (all forgotten when a write rolls back), so a single get or put
    costs a few statements. A registry is not thread-safe: give each thread its own.

    Given a ``release``, the registry is a personal registry layered over that read-only release
    registry in the same database (see ``release``): it reads both layers as one and writes only
    its own tables; a write aimed at the release raises ReleaseWriteError.
    """

    _queries: RegistryQueries

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
            capabilities |= {RegistryCapability.QUERIES, RegistryCapability.SQL_SELECT, RegistryCapability.LINEAGE,
                             RegistryCapability.CALIBRATIONS}
        self._capabilities = frozenset(capabilities)
        self._data_units = DataUnitManager(universe, layout)
        self._types = DatasetTypeManager(universe, layout)
        self._collections_table = CollectionManager(layout)
        self._datasets = DatasetManager(universe, layout, self._types, self._collections_table)
        self._tags = TagManager(layout, self._collections_table)
        self._calibrations = CalibrationManager(layout, self._collections_table, self._types, self._datasets)
        self._artifacts = ArtifactManager(layout)
        self._quanta = QuantumManager(layout)
        self._statistics: PlannerStatistics = PlannerStatistics()
        self._memory = is_memory(engine.url)
        memory = is_memory(engine.url)
        prepare = None if layering is None else (
            lambda dbapi_connection: layering.prepare(dbapi_connection, engine.dialect))
        self._queries = RegistryQueries(
            universe, layout.reads, Streamer(self._session, engine, shared_only=memory),
            read_only=ReadOnlyConnections(engine, self._session, namespace, memory, prepare=prepare),
            types=self._types, collections=self._collections_table, datasets=self._datasets)

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
        """PROVENANCE_QUERIES, QUERIES, SQL_SELECT, LINEAGE; WRITE unless read-only; PERSISTENT etc. unless in memory"""
        return self._capabilities

    def close(self) -> None:
        """Close the connection and release the database file (SQLite: its planner statistics refreshed if stale)."""
        self._queries.close()
        if self._writeable and not self._session.closed and not self._memory:
            optimize_at_close(self._session.connection)
        self._session.close()

    # -- transactions -------------------------------------------------------------------------

    def _clear_caches(self) -> None:
        self._statistics.forget()
        self._data_units.clear_cache()
        self._types.clear_cache()
        self._collections_table.clear_cache()
        self._forget_remembered()

    # -- DataUnits (the other storage hooks are DataUnitHooks') ------------------------------------

    @translating("update DataUnit records")
    def _data_unit_in_use(self, element: str, key: Key) -> bool:
        """Whether a dataset is labelled with the record of ``element`` with ``key``."""
        with self._session.reading() as connection:
            return self._data_units.in_use(connection, element, key)

    @translating("update DataUnit records")
    def _check_records_writable(self, element: str, keys: Sequence[Key], action: str) -> None:
        """Refuse ``action`` on records of the read-only release below a personal registry."""
        with self._session.reading() as connection:
            self._layout.check_records(connection, element, self._universe.key_fields(element), keys, action)

    # -- DatasetTypes -------------------------------------------------------------------------

    @translating("register a dataset type")
    def _store_dataset_type(self, dataset_type: DatasetType) -> DatasetType | None:
        """Store ``dataset_type``, or return the registered one of that name."""
        try:
            # Not atomic: storing may also create the index of its unit combination (unit_indexes).
            with self._session.writing(f"register dataset type {dataset_type.name!r}") as connection:
                return self._types.store(connection, dataset_type)
        except sa.exc.IntegrityError:  # registered concurrently: decide against what is there now
            with self._session.writing(f"register dataset type {dataset_type.name!r}") as connection:
                return self._types.store(connection, dataset_type)

    def _find_dataset_type(self, name: str) -> DatasetType | None:
        """DatasetType ``name`` (remembered ones need no read), or None."""
        self._session.check_open()
        hit = self._types.cached(name)
        return hit if hit is not None else self._read_dataset_type(name)

    @translating("get a dataset type")
    def _read_dataset_type(self, name: str) -> DatasetType | None:
        with self._session.reading() as connection:
            found = self._types.find(connection, name)
        return None if found is None else found[1]

    @translating("query dataset types")
    def _dataset_types(self) -> list[DatasetType]:
        """Every registered DatasetType."""
        with self._session.reading() as connection:
            return self._types.query(connection, None)

    @translating("remove a dataset type")
    def _remove_dataset_type(self, name: str) -> None:
        """Remove DatasetType ``name`` unless datasets of it exist."""
        with self._session.writing(f"remove dataset type {name!r}", atomic=True) as connection:
            self._types.remove(connection, name)

    # -- Collections --------------------------------------------------------------------------

    @translating("register a collection")
    def _register_collection(self, name: str, kind: CollectionKind, doc: str) -> CollectionKind | None:
        """Store collection ``name``, or return the kind of the one already there."""
        try:
            with self._session.writing(f"register collection {name!r}") as connection:
                return self._collections_table.register(connection, name, kind, doc)
        except sa.exc.IntegrityError:  # registered concurrently: decide against what is there now
            with self._session.writing(f"register collection {name!r}") as connection:
                return self._collections_table.register(connection, name, kind, doc)

    @translating("get a collection")
    def _collections(self, names: Sequence[str] | None) -> list[Collection]:
        """The collections with these names (all if None), by name."""
        with self._session.reading() as connection:
            return self._collections_table.describe(connection, names)

    def _collection_kind(self, name: str) -> CollectionKind | None:
        """The kind of collection ``name`` (remembered ones need no read), or None."""
        self._session.check_open()
        hit = self._collections_table.cached(name)
        return hit.kind if hit is not None else self._read_collection_kind(name)

    @translating("get a collection")
    def _read_collection_kind(self, name: str) -> CollectionKind | None:
        with self._session.reading() as connection:
            found = self._collections_table.find(connection, name)
        return None if found is None else found.kind

    def _check_collection_writable(self, name: str, action: str) -> None:
        """Refuse ``action`` on a collection of the read-only release below a personal registry."""
        if self._layout.layered:
            with translated("get a collection"), self._session.reading() as connection:
                self._layout.check_collection(self._collections_table.get(connection, name).id, name, action)

    @translating("set a chain")
    def _set_chain(self, name: str, children: tuple[str, ...]) -> None:
        """Replace the children of chain ``name``."""
        with self._session.writing(f"set the children of chain {name!r}") as connection:
            self._collections_table.set_chain(connection, name, children)

    @translating("resolve collections")
    def _resolve_collections(self, search_path: tuple[str, ...]) -> tuple[str, ...]:
        """Flatten ``search_path`` into RUN and TAGGED names (remembered paths need no chain reads)."""
        with self._session.reading() as connection:
            return tuple(r.name for r in self._collections_table.resolve(connection, search_path))

    @translating("remove a collection")
    def _remove_collection(self, name: str) -> None:
        """Remove collection ``name`` (a RUN must be empty; a chain's child is refused)."""
        with self._session.writing(f"remove collection {name!r}") as connection:
            self._collections_table.remove(connection, name)

    @translating("associate datasets")
    def _associate(self, tagged: str, refs: list[DatasetRef]) -> None:
        """Add ``refs`` to TAGGED collection ``tagged``."""
        with self._session.writing(f"tag datasets into {tagged!r}", atomic=len(refs) <= 1) as connection:
            self._tags.associate(connection, tagged, refs)
            self._statistics.inserted(connection, self._layout.writes.dataset_tag, len(refs))

    @translating("disassociate datasets")
    def _disassociate(self, tagged: str, refs: list[DatasetRef]) -> None:
        """Remove ``refs`` from TAGGED collection ``tagged``."""
        with self._session.writing(f"untag datasets from {tagged!r}", atomic=len(refs) <= 1) as connection:
            self._tags.disassociate(connection, tagged, refs)

    # -- Calibrations -------------------------------------------------------------------------

    @translating("read certifications")
    def _certifications(self, collection: str, dataset_type: DatasetType, data_ids: Sequence[DataId] | None,
                        timespan: Timespan | None) -> list[Certification]:
        """Certifications of one type in ``collection`` for ``data_ids`` (all if None) overlapping ``timespan``."""
        with self._session.reading() as connection:
            return self._calibrations.find(connection, collection, dataset_type, data_ids, timespan)

    @translating("certify datasets")
    def _insert_certifications(self, collection: str, certifications: list[Certification]) -> None:
        """Store checked certifications; an overlap the database refuses (PostgreSQL) is explained."""
        try:
            with self._session.writing(f"certify datasets into {collection!r}", atomic=True) as connection:
                self._calibrations.insert(connection, collection, certifications)
        except sa.exc.IntegrityError:
            with self._session.reading() as connection:
                raise self._calibrations.explain_conflict(connection, collection, certifications) from None

    @translating("certify datasets")
    def _lock_certifications(self, collection: str) -> None:
        """On PostgreSQL, lock the certifications table against other writers until the transaction ends."""
        with self._session.writing(f"certify datasets into {collection!r}", atomic=True) as connection:
            self._calibrations.lock(connection)

    @translating("decertify datasets")
    def _remove_certifications(self, collection: str, certifications: list[Certification]) -> None:
        """Delete these certifications."""
        with self._session.writing(f"decertify datasets from {collection!r}") as connection:
            self._calibrations.remove(connection, collection, certifications)

    # -- Datasets -----------------------------------------------------------------------------

    @translating("insert datasets")
    def _insert_datasets(self, refs: list[DatasetRef]) -> None:
        """Store new datasets of one type and run; a clash is explained, naming the dataset in the way."""
        if not refs:
            return
        try:
            action = f"insert datasets into {refs[0].run!r}"
            with self._session.writing(action, one_statement=len(refs) <= 1) as connection:
                self._datasets.insert(connection, refs)
                self._statistics.inserted(connection, self._layout.writes.dataset, len(refs))
        except sa.exc.IntegrityError:
            with self._session.reading() as connection:
                raise self._datasets.explain_insert_conflict(connection, refs) from None

    @translating("import datasets")
    def _import_datasets(self, refs: list[DatasetRef]) -> None:
        """Store those of ``refs`` that are not stored yet."""
        with self._session.writing("import datasets") as connection:
            self._datasets.import_refs(connection, refs)
            self._statistics.inserted(connection, self._layout.writes.dataset, len(refs))

    @translating("find datasets")
    def _find_datasets(self, dataset_type: DatasetType, data_ids: list[DataId],
                       collections: tuple[str, ...]) -> list[DatasetRef | None]:
        """For each DataId, the dataset found first in the ``collections`` search path, or None."""
        with self._session.reading() as connection:
            return self._datasets.find(connection, dataset_type, data_ids, collections)

    @translating("find datasets")
    def _find_stored_datasets(self, dataset_type: DatasetType, data_ids: list[DataId], collections: tuple[str, ...]
                              ) -> list[tuple[DatasetRef, list[StoredArtifact]] | None]:
        """``_find_datasets`` with each found dataset's artifacts, in one read transaction."""
        with self._session.reading() as connection:
            refs = self._datasets.find(connection, dataset_type, data_ids, collections)
            artifacts = self._artifacts.get(connection, [ref.id for ref in refs if ref is not None])
        return [None if ref is None else (ref, artifacts.get(ref.id, [])) for ref in refs]

    @translating("get datasets")
    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for an unknown id), in order."""
        with self._session.reading() as connection:
            return self._datasets.get(connection, ids)

    @translating("list the datasets of a collection")
    def _datasets_in_collection(self, collection: str, dataset_type: str | None) -> list[DatasetRef]:
        """All datasets directly in RUN or TAGGED ``collection`` (chains are followed, in order)."""
        with self._session.reading() as connection:
            return self._datasets.in_collection(connection, collection, dataset_type)

    @translating("list the datasets of a collection")
    def _dataset_ids_in_collection(self, collection: str) -> list[uuid.UUID]:
        """The ids of ``datasets_in_collection(collection)``, in its order (only the ids are read)."""
        with self._session.reading() as connection:
            return self._datasets.ids_in_collection(connection, collection)

    @translating("remove datasets")
    def _remove_datasets(self, ids: list[uuid.UUID]) -> None:
        """Forget datasets, their artifact records and TAGGED associations."""
        with self._session.writing("remove datasets") as connection:
            self._datasets.remove(connection, ids)

    # -- Artifacts ----------------------------------------------------------------------------

    @translating("record artifacts")
    def _insert_artifacts(self, artifacts: list[StoredArtifact]) -> None:
        """Record where the bytes of datasets are; the datasets must exist."""
        rows = self._artifacts.rows(artifacts)
        try:
            with self._session.writing("record artifacts", one_statement=len(rows) <= 1) as connection:
                self._artifacts.insert(connection, rows)
                self._statistics.inserted(connection, self._layout.writes.dataset_artifact, len(rows))
        except sa.exc.IntegrityError:
            with self._session.reading() as connection:
                raise self._artifacts.explain_insert_conflict(connection, rows) from None

    @translating("get artifacts")
    def _get_artifacts(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The recorded artifacts of each dataset id (ids without artifacts are absent)."""
        with self._session.reading() as connection:
            return self._artifacts.get(connection, ids)

    @translating("remove artifacts")
    def _remove_artifacts(self, ids: list[uuid.UUID]) -> None:
        """Forget the artifact records of these datasets, keeping the datasets."""
        with self._session.writing("remove artifact records") as connection:
            self._artifacts.remove(connection, ids)

    @translating("find the datasets sharing artifacts")
    def _artifact_users(self, uris: list[str]) -> dict[str, set[uuid.UUID]]:
        """The ids of the datasets whose recorded artifacts have each URI (inside a transaction, as it sees them)."""
        with self._session.reading() as connection:
            return self._artifacts.users(connection, uris)

    # -- Provenance ---------------------------------------------------------------------------

    @translating("record quanta")
    def _insert_quanta(self, quanta: list[Quantum]) -> None:
        """Record quanta; inserting a quantum id twice with the same content is a no-op."""
        with self._session.writing("record quanta") as connection:
            self._quanta.insert(connection, quanta)

    @translating("get quanta")
    def _get_quanta(self, ids: list[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""
        with self._session.reading() as connection:
            return self._quanta.get(connection, ids)

    @translating("find quanta")
    def find_quanta(self, *, run: str | None = None, task: str | None = None,
                    input: uuid.UUID | None = None, output: uuid.UUID | None = None) -> list[Quantum]:
        """Quanta matching all given filters, ordered by start time."""
        with self._session.reading() as connection:
            return self._quanta.find(connection, run=run, task=task, input=input, output=output)

    @translating("follow lineage")
    def _lineage_edges(self, root: uuid.UUID, direction: Direction, depth: int | None) -> list[Edge]:
        """Every step of the lineage of ``root``, in one recursive query over both layers if layered."""
        with self._session.reading() as connection:
            return lineage_edges(connection, self._layout.reads, root, direction, depth)

    # -- Queries ------------------------------------------------------------------------------

    def select_sql(self, sql: str, bind: Mapping[str, Any] | None = None, *,
                   timeout_s: float | None = None) -> QueryResults[dict[str, Any]]:
        """Run one read-only SQL SELECT over the documented views (see adapters/sql/query/views.py).

        Each statement (and each fetch of a batch of rows) stops after ``timeout_s`` seconds, by
        default the registry's ``select_timeout_s``.
        """
        return self._queries.select_sql(sql, bind, self._select_timeout_s if timeout_s is None else timeout_s)
