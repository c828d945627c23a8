"""The Butler's transfer_from: datasets, their records and their files copied from another Butler."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..domain.errors import (
    CapabilityError,
    ConflictingDefinitionError,
    DatasetNotFoundError,
    MissingDatasetTypeError,
    UniverseError,
)
from ..domain.remedies import Action, Remedy
from ..ports.datastore import IngestRequest, TransferMode
from ..ports.registry import Registry
from .butler_export import with_join_records
from .butler_parts import ButlerParts
from .progress import Progress, counter
from .transfer import transfer as copy_artifacts

TRANSFER_BATCH = 2000
"""Datasets per batch of ``transfer_from``: one subset read from the source, one ingest into the target."""


class _ButlerParts(ButlerParts, Protocol):
    def _undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                     transfer: TransferMode) -> None: ...


def _batches(refs: Iterable[DatasetRef], size: int) -> Iterator[list[DatasetRef]]:
    iterator = iter(refs)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class ButlerTransfer:
    """transfer_from, mixed into Butler."""

    def transfer_from(self: _ButlerParts, source: ButlerParts, refs: Iterable[DatasetRef], *,
                      transfer: str = "copy", register_dataset_types: bool = True,
                      transfer_data_units: bool = True, batch_size: int = TRANSFER_BATCH,
                      progress: Progress | None = None) -> list[DatasetRef]:
        """Copy datasets of ``source`` (another Butler, over any registry and datastore) into this one.

        The datasets keep their ids and runs; their DataUnit records come along unless
        ``transfer_data_units`` is false (then they must already be here); their dataset types
        are registered here unless ``register_dataset_types`` is false. Artifact bytes are copied
        unchanged, so checksums are kept (``transfer`` is ``copy``; ``auto`` means the same).
        Datasets this repository already holds with their files are skipped. Work goes in batches
        of ``batch_size``: a few reads from the source and one ingest into this datastore each,
        all inside one registry transaction, so a failure leaves this repository as it was.
        A dataset type defined differently here raises ConflictingDefinitionError before anything
        is transferred. Returns the refs as recorded here.
        """
        self._check_writeable("transfer datasets")
        if transfer not in ("copy", "auto"):
            raise CapabilityError(f"transfer_from copies artifact bytes; transfer {transfer!r} is not supported "
                                  "(use 'copy')")
        refs = list({ref.id: ref for ref in refs}.values())
        types = _check_dataset_types(source.registry, self.registry, refs, register_dataset_types)
        advance = counter(progress, len(refs))
        result: list[DatasetRef] = []
        placed: list[IngestRequest] = []
        written: list[StoredArtifact] = []
        try:
            with self.registry.transaction():
                for dataset_type in types:
                    self.registry.register_dataset_type(dataset_type)
                runs_here: set[str] = set()
                for batch in _batches(refs, batch_size):
                    result.extend(_transfer_batch(self, source, batch, data_units=transfer_data_units,
                                                  runs_here=runs_here, written=written, placed=placed))
                    advance(len(batch))
        except BaseException:
            self._undo_ingest(placed, written, TransferMode.COPY)
            raise
        return result


def _check_dataset_types(source: Registry, target: Registry, refs: Sequence[DatasetRef],
                         register: bool) -> list[DatasetType]:
    """The source's definitions of the refs' dataset types that ``target`` lacks; a conflict raises."""
    missing: list[DatasetType] = []
    for name in dict.fromkeys(ref.dataset_type.name for ref in refs):
        theirs = source.get_dataset_type(name)
        try:
            ours = target.get_dataset_type(name)
        except MissingDatasetTypeError:
            if not register:
                raise MissingDatasetTypeError(f"dataset type {name!r} is not registered in the target, and this "
                                              "transfer was told not to register dataset types",
                                              remedy=Remedy(Action.REGISTER_DATASET_TYPE, name)) from None
            missing.append(theirs)
            continue
        if (ours.units, ours.storage_class) != (theirs.units, theirs.storage_class):
            raise ConflictingDefinitionError(
                f"dataset type {name!r} is {theirs.units} stored as {theirs.storage_class} in the source but "
                f"{ours.units} stored as {ours.storage_class} in the target; nothing was transferred")
    return missing


def _transfer_batch(target: _ButlerParts, source: ButlerParts, batch: Sequence[DatasetRef], *,
                    data_units: bool, runs_here: set[str], written: list[StoredArtifact],
                    placed: list[IngestRequest]) -> list[DatasetRef]:
    """One batch: one subset read from the source, records and datasets imported, files copied."""
    subset = source.registry.export_subset(batch)
    if len(subset.refs) != len(batch):
        found = {ref.id for ref in subset.refs}
        absent = next(ref for ref in batch if ref.id not in found)
        raise DatasetNotFoundError(f"dataset {absent!r} is not in the source repository; nothing was transferred")
    registry = target.registry
    if data_units:
        for element, records in with_join_records(source.registry, subset.refs, subset.records).items():
            if element not in registry.universe:
                raise UniverseError(f"the target's universe ({registry.universe.namespace} version "
                                    f"{registry.universe.version}) lacks the element {element!r} of the source's "
                                    "records; nothing was transferred")
            if records:
                registry.insert_data_units(element, records, skip_existing=True)
    for run in dict.fromkeys(ref.run for ref in subset.refs):
        if run not in runs_here:
            registry.register_collection(run, CollectionKind.RUN)
            runs_here.add(run)
    imported = registry.import_datasets(list(subset.refs))
    already = registry.get_artifacts([ref.id for ref in imported])
    by_id: dict[uuid.UUID, DatasetRef] = {ref.id: ref for ref in imported}
    pending = [(by_id[a.dataset_id], a) for a in subset.artifacts if a.dataset_id not in already]
    if pending:
        copies = copy_artifacts(pending, source.datastore, target.datastore, batch_size=len(pending))
        written.extend(copies)
        placed.extend(IngestRequest(a.uri, ref) for (ref, _), a in zip(pending, copies, strict=True))
        registry.insert_artifacts(copies)
    return imported
