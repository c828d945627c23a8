"""LimitedRegistry: a registry for batch workers, kept as journals in a document store (no database server).

The durable state is a directory (any fsspec URL) holding ``universe.json`` and ``journal/``, one
append-only journal per writer (see ``journal``). Each committed transaction appends one record
listing the writes it made; opening the registry replays every journal, in the order the
writers started, into a *working* registry held in memory. That working registry is a Registry
port given by the caller (the container gives the SQL adapter on private in-memory SQLite), so
validation and lookups behave exactly as in a full registry, and this adapter imports no other.

It declares WRITE and PERSISTENT only: no QUERIES, SQL_SELECT, PROVENANCE_QUERIES or
CONCURRENT_WRITERS (writers on one store do not see each other's writes until reopened).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from ...domain.arguments import check_many
from ...domain.collection import Collection, CollectionKind
from ...domain.data_id import DataId
from ...domain.dataset import DatasetRef, StoredArtifact
from ...domain.dataset_type import DatasetType
from ...domain.errors import ConflictingDefinitionError, ReadOnlyError, RegistryError, UniverseError
from ...domain.quantum import Quantum
from ...domain.remedies import Action, Remedy
from ...domain.universe import Universe
from ...domain.values import Timespan
from ...ports.capabilities import RegistryCapability, require
from ...ports.registry import DataIdLike, Registry
from ...ports.subset import RegistrySubset
from . import codec
from .journal import JournalWriter, filesystem
from .merge import load_subset, merge
from .replay import replay_journal

MakeWorking = Callable[[Universe], Registry]
"""Makes the empty, writeable, in-memory registry that holds the working state."""

UNIVERSE_FILE = "universe.json"
JOURNALS = "journal"


class LimitedRegistry(Registry):
    """A registry in journals on an fsspec URL; see the module docstring."""

    def __init__(self, url: str, working: Registry, *, writeable: bool,
                 updated: dict[str, set[tuple[Any, ...]]] | None = None) -> None:
        self._url = url
        self._updated = updated if updated is not None else {}
        """The keys of the records updated here, by element: merge_into updates them in the full registry."""
        self._fs, self._root = filesystem(url)
        self._working = working
        self._writeable = writeable
        self._pending: list[list[list[Any]]] = []
        self._writer: JournalWriter | None = None
        self._closed = False
        capabilities = {RegistryCapability.PERSISTENT}
        if writeable:
            capabilities.add(RegistryCapability.WRITE)
        self._capabilities = frozenset(capabilities)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def create(cls, url: str, universe: Universe, make_working: MakeWorking) -> LimitedRegistry:
        """Create an empty limited registry for ``universe`` at ``url`` and return it, writeable."""
        fs, root = filesystem(url)
        path = f"{root}/{UNIVERSE_FILE}"
        try:
            if fs.exists(path):
                raise ConflictingDefinitionError(f"a limited registry already exists at {url}; open it instead")
            fs.makedirs(f"{root}/{JOURNALS}", exist_ok=True)
            fs.pipe_file(path, json.dumps(universe.to_mapping()).encode())
        except OSError as err:
            raise RegistryError(f"cannot create a limited registry at {url}: {err}") from None
        return cls(url, make_working(universe), writeable=True)

    @classmethod
    def open(cls, url: str, make_working: MakeWorking, *, writeable: bool = True) -> LimitedRegistry:
        """Open the limited registry at ``url``: replay its journals into a new working registry."""
        fs, root = filesystem(url)
        try:
            stored = fs.cat_file(f"{root}/{UNIVERSE_FILE}")
        except FileNotFoundError:
            raise RegistryError(f"there is no limited registry at {url}",
                                remedy=Remedy(Action.CREATE_REGISTRY, url, "LimitedRegistry.create")) from None
        except OSError as err:
            raise RegistryError(f"cannot open the limited registry at {url}: {err}") from None
        try:
            universe = Universe.from_mapping(json.loads(stored))
        except (ValueError, UniverseError) as err:
            raise RegistryError(f"the universe stored at {url} is unreadable: {err}") from None
        working = make_working(universe)
        updated: dict[str, set[tuple[Any, ...]]] = {}
        try:
            fs.invalidate_cache(f"{root}/{JOURNALS}")  # object-store listings are cached; journals may be new
            paths = sorted(fs.glob(f"{root}/{JOURNALS}/*.log"))
            for path in paths:
                replay_journal(working, fs, path, observe=functools.partial(_note_replayed_update, working,
                                                                            updated=updated))
        except BaseException:
            working.close()
            raise
        return cls(url, working, writeable=writeable, updated=updated)

    def __repr__(self) -> str:
        mode = "" if self._writeable else ", writeable=False"
        return f"LimitedRegistry({self._url!r}{mode})"

    @property
    def url(self) -> str:
        """Where the journals are (what ``open`` needs to open the registry again)."""
        return self._url

    @property
    def universe(self) -> Universe:
        """The DataUnit universe stored with the journals."""
        return self._working.universe

    @property
    def capabilities(self) -> frozenset[RegistryCapability]:
        """WRITE (unless read-only) and PERSISTENT; nothing else."""
        return self._capabilities

    def close(self) -> None:
        """Close the journal and drop the working state (a second call does nothing)."""
        if not self._closed:
            self._closed = True
            try:
                if self._writer is not None:
                    self._writer.close()
            finally:
                self._working.close()

    # -- transactions and journaling ------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._working.transaction():
            self._pending.append([])
            try:
                yield
            except BaseException:
                self._pending.pop()
                raise
            operations = self._pending.pop()
            if self._pending:
                self._pending[-1].extend(operations)
            elif operations:  # journaled before the working state commits: a failed write undoes both
                try:
                    payload = codec.dumps(operations)
                except (TypeError, ValueError) as err:
                    raise RegistryError(f"cannot journal the writes to {self!r}: a value is not storable ({err})") \
                        from None
                self._journal().append(payload)

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes so that they all happen or none do; one journal record per outermost commit."""
        return self._transaction()

    def _journal(self) -> JournalWriter:
        if self._writer is None:
            self._writer = JournalWriter(self._fs, f"{self._root}/{JOURNALS}")
        return self._writer

    @contextmanager
    def _writing(self, action: str) -> Iterator[list[list[Any]]]:
        if self._closed:
            raise RegistryError(f"{self!r} is closed")
        if not self._writeable:
            raise ReadOnlyError(f"{self!r} was opened read-only (it lacks the capability "
                                f"{RegistryCapability.WRITE.value!r}); cannot {action}")
        with self._transaction():
            yield self._pending[-1]

    # -- DataUnits ----------------------------------------------------------------------------

    def insert_data_units(self, element: str, records: Sequence[Mapping[str, Any]], *,
                          skip_existing: bool = False) -> int:
        """Insert records of DataUnit or join element ``element``; return how many were new."""
        check_many(records, f"insert_data_units({element!r}, ...)", "record")
        records = [dict(r) if isinstance(r, Mapping) else r for r in records]
        with self._writing(f"insert {element} records") as journal:
            count = self._working.insert_data_units(element, records, skip_existing=skip_existing)
            journal.append(["insert_data_units", element, records, skip_existing])
            return count

    def update_data_units(self, element: str, records: Sequence[Mapping[str, Any]]) -> int:
        """Set the given fields of existing records of ``element``; return how many records changed."""
        check_many(records, f"update_data_units({element!r}, ...)", "record")
        records = [dict(r) if isinstance(r, Mapping) else r for r in records]
        with self._writing(f"update {element} records") as journal:
            count = self._working.update_data_units(element, records)
            if count:
                journal.append(["update_data_units", element, records])
                _note_updates(self._working, element, records, self._updated)
            return count

    def fetch_data_unit_records(self, element: str,
                                keys: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Return the records of ``element`` with the given primary keys (all records if None)."""
        return self._working.fetch_data_unit_records(element, keys)

    def expand_data_ids(self, units: Sequence[str], data_ids: Sequence[DataIdLike]) -> list[DataId]:
        """Validate ``data_ids`` for ``units`` against the records and fill in implied values."""
        return self._working.expand_data_ids(units, data_ids)

    # -- DatasetTypes ---------------------------------------------------------------------------

    def _register_dataset_type(self, dataset_type: DatasetType) -> bool:
        """Store ``dataset_type`` in the working registry and journal it; return False if an identical one exists."""
        with self._writing(f"register dataset type {getattr(dataset_type, 'name', dataset_type)!r}") as journal:
            new = self._working.register_dataset_type(dataset_type)
            if new:
                journal.append(["register_dataset_type", dataset_type.name, list(dataset_type.units),
                                dataset_type.storage_class, *([True] if dataset_type.is_calibration else [])])
            return new

    def get_dataset_type(self, name: str) -> DatasetType:
        """Return the registered DatasetType ``name`` or raise MissingDatasetTypeError."""
        return self._working.get_dataset_type(name)

    def query_dataset_types(self, pattern: str | None = None) -> list[DatasetType]:
        """Return the registered DatasetTypes whose names match glob ``pattern``, sorted by name."""
        return self._working.query_dataset_types(pattern)

    def remove_dataset_type(self, name: str) -> None:
        """Remove DatasetType ``name``; refused with DatasetTypeError while datasets of it exist."""
        with self._writing(f"remove dataset type {name!r}") as journal:
            self._working.remove_dataset_type(name)
            journal.append(["remove_dataset_type", name])

    # -- Collections ----------------------------------------------------------------------------

    def register_collection(self, name: str, kind: CollectionKind, doc: str = "") -> bool:
        """Register collection ``name``; return False if it already exists with this kind (no CALIBRATION ones)."""
        if kind is CollectionKind.CALIBRATION:
            require(self._capabilities, RegistryCapability.CALIBRATIONS, type(self).__name__,
                    f"register CALIBRATION collection {name!r}")
        with self._writing(f"register collection {name!r}") as journal:
            new = self._working.register_collection(name, kind, doc)
            if new:
                journal.append(["register_collection", name, kind.value, doc])
            return new

    def get_collection(self, name: str) -> Collection:
        """Return collection ``name`` or raise MissingCollectionError."""
        return self._working.get_collection(name)

    def query_collections(self, pattern: str | None = None,
                          kinds: Sequence[CollectionKind] | None = None) -> list[Collection]:
        """Return collections whose names match glob ``pattern`` and whose kind is in ``kinds``."""
        return self._working.query_collections(pattern, kinds)

    def set_chain(self, name: str, children: Sequence[str]) -> None:
        """Set the ordered children of CHAINED collection ``name``; a cycle raises CollectionError."""
        with self._writing(f"set the children of chain {name!r}") as journal:
            self._working.set_chain(name, children)
            journal.append(["set_chain", name, [children] if isinstance(children, str) else list(children)])

    def resolve_collections(self, search_path: Sequence[str]) -> tuple[str, ...]:
        """Flatten ``search_path`` (chains expanded) into RUN and TAGGED names, first occurrence kept."""
        return self._working.resolve_collections(search_path)

    def remove_collection(self, name: str) -> None:
        """Remove collection ``name`` (a RUN must be empty; a chain's child is refused)."""
        with self._writing(f"remove collection {name!r}") as journal:
            self._working.remove_collection(name)
            journal.append(["remove_collection", name])

    def associate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Add ``refs`` to TAGGED collection ``tagged``; re-adding a member is a no-op."""
        with self._writing(f"tag datasets into {tagged!r}") as journal:
            self._working.associate(tagged, refs)
            journal.append(["associate", tagged, [ref.id for ref in refs]])

    def disassociate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Remove ``refs`` from TAGGED collection ``tagged``; absent refs are ignored."""
        with self._writing(f"untag datasets from {tagged!r}") as journal:
            self._working.disassociate(tagged, refs)
            journal.append(["disassociate", tagged, [ref.id for ref in refs]])

    # -- Datasets -------------------------------------------------------------------------------

    def insert_datasets(self, dataset_type: str, run: str, data_ids: Sequence[DataIdLike],
                        ids: Sequence[uuid.UUID] | None = None) -> list[DatasetRef]:
        """Insert new datasets of ``dataset_type`` in RUN ``run``; return their refs in order."""
        check_many(data_ids, "insert_datasets", "data ID")
        with self._writing(f"insert datasets into {run!r}") as journal:
            refs = self._working.insert_datasets(dataset_type, run, data_ids, ids)
            journal.append(["import_datasets", [codec.ref_to_json(ref) for ref in refs]])
            return refs

    def import_datasets(self, refs: Sequence[DatasetRef]) -> list[DatasetRef]:
        """Insert datasets with the ids and runs of ``refs``; refs already present are skipped."""
        with self._writing("import datasets") as journal:
            imported = self._working.import_datasets(refs)
            journal.append(["import_datasets", [codec.ref_to_json(ref) for ref in imported]])
            return imported

    def find_datasets(self, dataset_type: str, data_ids: Sequence[DataIdLike],
                      collections: Sequence[str], *, timespan: Timespan | None = None) -> list[DatasetRef | None]:
        """For each DataId, the dataset found first in the ``collections`` search path, or None.

        This registry holds no CALIBRATION collections, so ``timespan`` changes nothing (it is only checked).
        """
        return self._working.find_datasets(dataset_type, data_ids, collections, timespan=timespan)

    def get_datasets(self, ids: Sequence[uuid.UUID]) -> list[DatasetRef | None]:
        """The datasets with these ids (None for an unknown id), in order."""
        return self._working.get_datasets(ids)

    def datasets_in_collection(self, collection: str, dataset_type: str | None = None) -> list[DatasetRef]:
        """All datasets directly in RUN or TAGGED ``collection`` (chains are followed, in order)."""
        return self._working.datasets_in_collection(collection, dataset_type)

    def remove_datasets(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget datasets, their artifact records and TAGGED associations; quanta are kept."""
        with self._writing("remove datasets") as journal:
            self._working.remove_datasets(ids)
            journal.append(["remove_datasets", list(ids)])

    # -- Artifacts ------------------------------------------------------------------------------

    def insert_artifacts(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Record where the bytes of datasets are; the datasets must exist."""
        with self._writing("record artifacts") as journal:
            self._working.insert_artifacts(artifacts)
            journal.append(["insert_artifacts", [codec.artifact_to_json(a) for a in artifacts]])

    def get_artifacts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredArtifact]]:
        """The recorded artifacts of each dataset id (ids without artifacts are absent)."""
        return self._working.get_artifacts(ids)

    def remove_artifacts(self, ids: Sequence[uuid.UUID]) -> None:
        """Forget the artifact records of these datasets, keeping the datasets."""
        with self._writing("remove artifact records") as journal:
            self._working.remove_artifacts(ids)
            journal.append(["remove_artifacts", list(ids)])

    def artifact_users(self, uris: Sequence[str]) -> dict[str, set[uuid.UUID]]:
        """The ids of the datasets whose recorded artifacts have each URI."""
        return self._working.artifact_users(uris)

    # -- Provenance -----------------------------------------------------------------------------

    def insert_quanta(self, quanta: Sequence[Quantum]) -> None:
        """Record quanta; inserting a quantum id twice with the same content is a no-op."""
        with self._writing("record quanta") as journal:
            self._working.insert_quanta(quanta)
            journal.append(["insert_quanta", [codec.quantum_to_json(q) for q in quanta]])

    def get_quanta(self, ids: Sequence[uuid.UUID]) -> list[Quantum | None]:
        """The quanta with these ids (None for unknown ids), in order."""
        return self._working.get_quanta(ids)

    def all_quanta(self) -> list[Quantum]:
        """Every recorded quantum (for ``merge_into``; finding quanta by filter is not offered)."""
        return self._working.find_quanta()

    # -- seeding and merging --------------------------------------------------------------------

    def load_subset(self, subset: RegistrySubset) -> None:
        """Seed this registry with ``subset`` (from ``export_subset`` on a full registry); one journal record."""
        load_subset(self, subset)

    def merge_into(self, full: Registry) -> dict[str, int]:
        """Copy the new datasets, their artifacts, TAGGED and CHAINED collections and the quanta into ``full``.

        Returns how many of each were new.

        Idempotent: merging again copies nothing. Runs in one transaction of ``full``.
        """
        return merge(self, full, self.all_quanta(), updated=self._updated)


def _note_replayed_update(working: Registry, operation: list[Any], *,
                          updated: dict[str, set[tuple[Any, ...]]]) -> None:
    """Note the keys of a replayed ``update_data_units`` operation (others are ignored)."""
    if operation[0] == "update_data_units":
        _note_updates(working, operation[1], operation[2], updated)


def _note_updates(working: Registry, element: str, records: Sequence[Mapping[str, Any]],
                  updated: dict[str, set[tuple[Any, ...]]]) -> None:
    """Add the keys of ``records`` (as the working registry stores them) to ``updated[element]``."""
    fields = working.universe.key_fields(element)
    stored = working.fetch_data_unit_records(element, [{f: r[f] for f in fields} for r in records])
    updated.setdefault(element, set()).update(tuple(r[f] for f in fields) for r in stored)
