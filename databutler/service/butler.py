"""Butler: get, put, ingest and remove Datasets on collections, over one Registry and one Datastore."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from ..domain.arguments import check_parameters, check_put_items, check_refs, check_search_path
from ..domain.collection import CollectionKind, check_collection_name
from ..domain.conversion import ConverterRegistry
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType, split_component
from ..domain.errors import (
    ArtifactExistsError,
    CollectionError,
    ConflictingDefinitionError,
    DataIdError,
    DatasetNotFoundError,
    DatasetTypeError,
    ReadOnlyError,
)
from ..domain.remedies import Action, Remedy
from ..domain.storage_class import StorageClassRegistry
from ..domain.values import Timespan
from ..ports.datastore import Datastore, ReadRequest
from ..ports.registry import DataIdLike, Registry
from ..ports.repository import Repository
from .butler_export import ButlerExport
from .butler_ingest import ButlerIngest
from .butler_integrity import ButlerIntegrity
from .butler_lineage import ButlerLineage
from .butler_queries import ButlerQueries
from .butler_resolved import ButlerResolvedPuts
from .butler_transfer import ButlerTransfer
from .calibration_lookup import UNBOUNDED, lookup_time
from .loader import repository_loader
from .ownership import delete_unrecorded, unshared
from .progress import Progress, in_batches
from .put_plan import explain_existing, new_refs
from .read_view import read_view

log = logging.getLogger(__name__)

DatasetTypeLike = str | DatasetType


def _merge_data_id(data_id: DataIdLike | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    if data_id is not None and not isinstance(data_id, Mapping):
        raise DataIdError(f"a data ID is a mapping of DataUnit names to values, not {type(data_id).__name__}")
    merged = dict(data_id or {})
    for name, value in kwargs.items():
        if name in merged and merged[name] != value:
            raise DataIdError(f"{name!r} given twice with different values ({merged[name]!r} and {value!r})")
        merged[name] = value
    return merged


class Butler(ButlerQueries, ButlerIntegrity, ButlerIngest, ButlerExport, ButlerLineage, ButlerResolvedPuts,
             ButlerTransfer):
    """The convenience layer of a repository: one Registry, one Datastore, a run and a search path.

    ``Butler("repo/", run="u/alice/run1", collections=["u/alice/run1", "release/dr1"])`` opens
    the repository configured by ``repo/butler.yaml``. ``run`` is where ``put`` and ``ingest``
    write; ``collections`` is the search path of ``get`` (default: ``[run]``).
    """

    def __init__(self, repo: str | os.PathLike[str] | Repository, *, run: str | None = None,
                 collections: Sequence[str] | str | None = None, writeable: bool = True) -> None:
        if not isinstance(repo, Repository):
            repo = repository_loader().open(os.fspath(repo), writeable=writeable)
        self._repo = repo
        self._writeable = writeable
        self.run = run
        search = check_search_path(collections)
        self.collections: tuple[str, ...] = search if search else ((run,) if run else ())
        self._runs_registered: set[str] = set()
        if run is not None and writeable:
            self._output_run(run)

    @classmethod
    def create(cls, root: str | os.PathLike[str], config: str | Mapping[str, Any] | None = None, *,
               run: str | None = None,
               collections: Sequence[str] | str | None = None) -> Butler:
        """Create a repository at ``root`` (default: embedded SQLite + local files) and open it."""
        repo = repository_loader().create(os.fspath(root), config)
        return cls(repo, run=run, collections=collections)

    @classmethod
    def from_parts(cls, registry: Registry, datastore: Datastore, *,
                   storage_classes: StorageClassRegistry | None = None, run: str | None = None,
                   collections: Sequence[str] | str | None = None, root: str = "",
                   converters: ConverterRegistry | None = None) -> Butler:
        """Build a Butler over already-constructed adapters (tests, embedding, proxies).

        A registry not yet restricted to a repository's StorageClasses is restricted to
        ``storage_classes`` (default: the builtin ones), so an unknown one is refused when a
        DatasetType is registered.
        """
        storage_classes = StorageClassRegistry() if storage_classes is None else storage_classes
        if registry.restricted_storage_classes is None:
            registry.restrict_storage_classes(storage_classes if isinstance(storage_classes, Collection)
                                              else storage_classes.names())
        converters = ConverterRegistry() if converters is None else converters
        repo = Repository(root, registry, datastore, storage_classes, {}, converters)
        return cls(repo, run=run, collections=collections)

    # -- properties -----------------------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        """The Registry of this repository."""
        return self._repo.registry

    @property
    def datastore(self) -> Datastore:
        """The Datastore of this repository."""
        return self._repo.datastore

    @property
    def storage_classes(self) -> StorageClassRegistry:
        """The StorageClasses this repository knows."""
        return self._repo.storage_classes

    @property
    def config(self) -> Mapping[str, Any]:
        """The repository's configuration, as opened (placeholders resolved)."""
        return self._repo.config

    @property
    def root(self) -> str:
        """The repository root it was opened from."""
        return self._repo.root

    def close(self) -> None:
        """Release the registry's connections and the datastore's resources."""
        self._repo.registry.close()
        self._repo.datastore.close()

    def __enter__(self) -> Butler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Butler({self.root!r}, run={self.run!r}, collections={list(self.collections)!r})"

    # -- helpers --------------------------------------------------------------------------------

    def _check_writeable(self, action: str) -> None:
        if not self._writeable:
            raise ReadOnlyError(f"this Butler was opened read-only; cannot {action}")

    def _output_name(self, run: str | None) -> str:
        """The name of the run to write to: ``run``, or the Butler's."""
        run = run or self.run
        if run is None:
            raise CollectionError("no output run", remedy=Remedy(Action.PASS_RUN))
        if not isinstance(run, str):
            raise CollectionError(f"the output run is a collection name, not {type(run).__name__}")
        return check_collection_name(run)  # before any file is written under the run's name

    def _output_run(self, run: str | None, *, remember: bool = True) -> str:
        """The run to write to, registered if new (remembered only with ``remember``: not before a commit)."""
        run = self._output_name(run)
        if run not in self._runs_registered:
            self.registry.register_collection(run, CollectionKind.RUN)
            if remember:
                self._runs_registered.add(run)
        return run

    def _search_path(self, collections: Sequence[str] | str | None) -> tuple[str, ...]:
        path = check_search_path(collections) or self.collections
        if not path:
            raise CollectionError("no collections to search", remedy=Remedy(Action.PASS_COLLECTIONS))
        return path

    @staticmethod
    def _split(dataset: DatasetTypeLike, component: str | None) -> tuple[str, str | None]:
        """The parent DatasetType name and the component asked for (``"calexp.wcs"`` or ``component=``)."""
        name = dataset.name if isinstance(dataset, DatasetType) else dataset
        parent, named_component = split_component(name)
        if named_component and component and named_component != component:
            raise DataIdError(f"component given twice: {named_component!r} and {component!r}")
        return parent, named_component or component

    def _find_stored(self, dataset: DatasetRef | DatasetTypeLike, data_id: DataIdLike | None,
                     collections: Sequence[str] | str | None, kwargs: Mapping[str, Any],
                     component: str | None, *, timespan: Timespan | None = None
                     ) -> tuple[DatasetRef, list[StoredArtifact], str | None]:
        """The Dataset asked for, its artifacts and component; DatasetNotFoundError if either is missing."""
        if isinstance(dataset, DatasetRef):
            if data_id or kwargs:
                raise DataIdError("a DataId may not be given together with a DatasetRef")
            return dataset, self._artifacts([dataset])[dataset.id], component
        parent, component = self._split(dataset, component)
        merged = _merge_data_id(data_id, kwargs)
        search = self._search_path(collections)
        merged, timespan = lookup_time(self.registry, self.registry.get_dataset_type(parent), merged, timespan,
                                       default=UNBOUNDED)
        found = self.registry.find_stored_datasets(parent, [merged], search, timespan=timespan)[0]
        if found is None:
            raise DatasetNotFoundError(f"no dataset {parent!r} with data ID {merged} in collections {list(search)}")
        ref, artifacts = found
        if not artifacts:
            raise DatasetNotFoundError(f"dataset {ref!r} is known to the registry but has no stored "
                                       "artifact (it was unstored)")
        return ref, artifacts, component

    def _artifacts(self, refs: Sequence[DatasetRef]) -> dict[uuid.UUID, list[StoredArtifact]]:
        artifacts = self.registry.get_artifacts([ref.id for ref in refs])
        for ref in refs:
            if ref.id not in artifacts:
                raise DatasetNotFoundError(f"dataset {ref!r} is known to the registry but has no stored "
                                           "artifact (it was unstored)")
        return artifacts

    # -- put ------------------------------------------------------------------------------------

    def put(self, obj: Any, dataset_type: DatasetTypeLike, data_id: DataIdLike | None = None, /, *,
            run: str | None = None, **data_id_kwargs: Any) -> DatasetRef:
        """Store ``obj`` as a new Dataset of ``dataset_type`` with the given DataId; return its ref."""
        return self.put_many([(obj, dataset_type, _merge_data_id(data_id, data_id_kwargs))], run=run)[0]

    def put_many(self, items: Iterable[tuple[Any, DatasetTypeLike, DataIdLike]], *,
                 run: str | None = None) -> list[DatasetRef]:
        """Store many objects at once (all or none); return their refs in order.

        The files are written first, then recorded in one short registry transaction (no lock is
        held while files are written): no registry row without its artifact and no artifact
        without its row, whatever fails.
        """
        self._check_writeable("put datasets")
        grouped: dict[str, list[tuple[int, Any, DataIdLike]]] = {}
        count = 0
        for index, (obj, dataset_type, data_id) in enumerate(check_put_items(items)):
            name = dataset_type.name if isinstance(dataset_type, DatasetType) else dataset_type
            if not isinstance(name, str):
                raise DatasetTypeError(f"a dataset type is named by a string or given as a DatasetType, not "
                                       f"{type(name).__name__}")
            grouped.setdefault(name, []).append((index, obj, data_id))
            count += 1
        results: list[DatasetRef | None] = [None] * count
        output = self._output_name(run)
        batches: list[tuple[list[DataIdLike], list[DatasetRef], list[StoredArtifact]]] = []
        written: list[StoredArtifact] = []
        try:
            for name, group in grouped.items():  # the files first, outside the registry's transaction
                data_ids = [d for _, _, d in group]
                refs = new_refs(self.registry, name, output, data_ids)
                try:
                    artifacts = self.datastore.put([(obj, ref) for (_, obj, _), ref in zip(group, refs, strict=True)])
                except ArtifactExistsError as err:
                    raise explain_existing(self.registry, refs, err, self.root) from None
                written.extend(artifacts)
                batches.append((data_ids, refs, artifacts))
                for (index, _, _), ref in zip(group, refs, strict=True):
                    results[index] = ref
            with self.registry.transaction():
                self._output_run(output, remember=False)
                for data_ids, refs, artifacts in batches:
                    self.registry.insert_datasets(refs[0].dataset_type.name, output, data_ids,
                                                  ids=[ref.id for ref in refs])
                    self.registry.insert_artifacts(artifacts)
        except BaseException:
            self._discard(written)
            raise
        self._runs_registered.add(output)
        return [ref for ref in results if ref is not None]

    def _discard(self, artifacts: Sequence[StoredArtifact]) -> None:
        """Remove artifacts written by a call whose registry transaction did not commit (unless recorded)."""
        if not artifacts:
            return
        try:
            artifacts = unshared(self.registry, self.datastore, artifacts)
        except Exception:  # the registry failed: the files are this call's own, written moments ago
            log.warning("could not check whether other datasets record the %d files of a failed write",
                        len(artifacts), exc_info=True)
        delete_unrecorded(self.datastore, artifacts, "after a failed write")

    # -- find / get -----------------------------------------------------------------------------

    def find_dataset(self, dataset_type: DatasetTypeLike, data_id: DataIdLike | None = None, *,
                     collections: Sequence[str] | str | None = None, timespan: Timespan | None = None,
                     **data_id_kwargs: Any) -> DatasetRef | None:
        """The Dataset of ``dataset_type`` with this DataId found first in the search path, or None.

        A calibration is found in CALIBRATION collections at ``timespan``, else at the time of the
        DataId's exposure or visit; with neither, CALIBRATION collections are skipped (see ``get``).
        """
        name = dataset_type.name if isinstance(dataset_type, DatasetType) else dataset_type
        search = self._search_path(collections)
        merged, timespan = lookup_time(self.registry, self.registry.get_dataset_type(name),
                                       _merge_data_id(data_id, data_id_kwargs), timespan, default=None)
        return self.registry.find_datasets(name, [merged], search, timespan=timespan)[0]

    def get(self, dataset: DatasetRef | DatasetTypeLike, data_id: DataIdLike | None = None, /, *,
            collections: Sequence[str] | str | None = None, parameters: Mapping[str, Any] | None = None,
            component: str | None = None, storage_class: str | None = None, timespan: Timespan | None = None,
            **data_id_kwargs: Any) -> Any:
        """Read a Dataset (by ref, or by DatasetType and DataId), optionally a component or a part.

        ``storage_class`` asks for another view of it, by a registered conversion from its
        StorageClass (or its component's); parameters apply to the stored one. A calibration is
        found in CALIBRATION collections at ``timespan``, else at the time of the DataId's exposure
        or visit, else at any time (several validity ranges in one collection: CalibrationLookupError).
        """
        parameters = check_parameters(parameters)
        ref, artifacts, component = self._find_stored(dataset, data_id, collections, data_id_kwargs, component,
                                                      timespan=timespan)
        view = read_view(self.storage_classes, self._repo.converters, ref, component, storage_class)
        obj = self.datastore.get([ReadRequest(ref, artifacts, parameters, component)])[0]
        return obj if view is None else view(obj)

    def get_many(self, refs: Sequence[DatasetRef], *, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        """Read many Datasets by ref, in one registry round trip and one datastore batch."""
        refs, parameters = check_refs(refs), check_parameters(parameters)
        artifacts = self._artifacts(refs)
        return self.datastore.get([ReadRequest(ref, artifacts[ref.id], parameters) for ref in refs])

    def exists(self, dataset: DatasetRef | DatasetTypeLike, data_id: DataIdLike | None = None, /, *,
               collections: Sequence[str] | str | None = None, timespan: Timespan | None = None,
               **data_id_kwargs: Any) -> bool:
        """Whether the Dataset is known to the registry and its artifacts are present."""
        try:
            _, artifacts, _ = self._find_stored(dataset, data_id, collections, data_id_kwargs, None, timespan=timespan)
        except DatasetNotFoundError:
            return False
        return all(self.datastore.exists(artifacts))

    def uri(self, dataset: DatasetRef | DatasetTypeLike, data_id: DataIdLike | None = None, /, *,
            collections: Sequence[str] | str | None = None, timespan: Timespan | None = None,
            **data_id_kwargs: Any) -> str:
        """The absolute URI of the Dataset's (first) artifact."""
        _, artifacts, _ = self._find_stored(dataset, data_id, collections, data_id_kwargs, None, timespan=timespan)
        return self.datastore.uri(artifacts[0])

    # -- removal --------------------------------------------------------------------------------

    def remove(self, refs: Sequence[DatasetRef], *, unstore: bool = True, forget: bool = True,
               progress: Progress | None = None) -> None:
        """Delete Datasets' artifacts (``unstore``) and/or their registry entries (``forget``).

        Registry entries go first, in one transaction, then the artifacts; a file another dataset
        still records (ingested in place by both) is kept. An artifact whose deletion fails is logged
        and left as an orphan for ``find_orphans``, never referenced by a row.
        """
        self._check_writeable("remove datasets")
        self._remove([ref.id for ref in check_refs(refs)], unstore=unstore, forget=forget, runs=(), progress=progress)

    def _remove(self, ids: Sequence[uuid.UUID], *, unstore: bool, forget: bool, runs: Sequence[str],
                progress: Progress | None = None) -> None:
        stored = self.registry.get_artifacts(ids) if ids else {}
        artifacts = [a for group in stored.values() for a in group]
        if forget and not unstore and artifacts:
            raise ConflictingDefinitionError(f"{len(artifacts)} of these datasets still have stored artifacts; "
                                             "forgetting them would orphan files", remedy=Remedy(Action.UNSTORE))
        with self.registry.transaction():
            if unstore and ids and not forget:  # forgetting a dataset forgets its artifact records too
                self.registry.remove_artifacts(ids)
            if forget and ids:
                self.registry.remove_datasets(ids)
            for run in runs:
                self.registry.remove_collection(run)
            # Checked in the transaction that removes the rows: no file another row records is deleted.
            doomed = unshared(self.registry, self.datastore, artifacts) if unstore else []
        by_dataset: dict[uuid.UUID, list[StoredArtifact]] = {}
        for artifact in doomed:
            by_dataset.setdefault(artifact.dataset_id, []).append(artifact)
        # Progress counts datasets; their files are deleted a batch at a time.
        for part in in_batches(ids, progress):
            delete_unrecorded(self.datastore, [a for i in part for a in by_dataset.get(i, ())], "of removed datasets")

    # -- collections ----------------------------------------------------------------------------

    def register_collection(self, name: str, kind: CollectionKind = CollectionKind.TAGGED, doc: str = "") -> bool:
        """Register a RUN, TAGGED or CHAINED collection; return False if it already existed."""
        self._check_writeable("register collections")
        return self.registry.register_collection(name, kind, doc)

    def associate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Add existing Datasets to TAGGED collection ``tagged``."""
        self._check_writeable("associate datasets")
        self.registry.associate(tagged, check_refs(refs))

    def disassociate(self, tagged: str, refs: Sequence[DatasetRef]) -> None:
        """Remove Datasets from TAGGED collection ``tagged`` (the Datasets themselves stay)."""
        self._check_writeable("disassociate datasets")
        self.registry.disassociate(tagged, check_refs(refs))

    def define_chain(self, name: str, children: Sequence[str], doc: str = "") -> None:
        """Create or redefine CHAINED collection ``name`` as the ordered search path ``children``."""
        self._check_writeable("define chains")
        with self.registry.transaction():
            self.registry.register_collection(name, CollectionKind.CHAINED, doc)
            self.registry.set_chain(name, children)

    def remove_collection(self, name: str) -> None:
        """Remove a TAGGED or CHAINED collection (its Datasets stay); RUNs go with ``remove_runs``."""
        self._check_writeable("remove collections")
        if self.registry.get_collection(name).kind is CollectionKind.RUN:
            raise CollectionError(f"{name!r} is a RUN", remedy=Remedy(Action.REMOVE_RUNS, name))
        self.registry.remove_collection(name)

    def remove_runs(self, names: Sequence[str], *, unstore: bool = True, progress: Progress | None = None) -> None:
        """Remove RUN collections with all their Datasets (and, with ``unstore``, their artifacts).

        All or nothing: a run still in a chain, say, leaves every run and Dataset in place.
        """
        self._check_writeable("remove runs")
        for name in names:
            if self.registry.get_collection(name).kind is not CollectionKind.RUN:
                raise CollectionError(f"{name!r} is not a RUN collection")
        ids = [dataset_id for name in names for dataset_id in self.registry.dataset_ids_in_collection(name)]
        self._remove(ids, unstore=unstore, forget=True, runs=names, progress=progress)
        self._runs_registered.difference_update(names)
