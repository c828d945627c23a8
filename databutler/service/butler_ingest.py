"""The Butler's ingest: existing files brought in as Datasets, all or none."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.errors import ArtifactExistsError, BadFileError, CapabilityError, DataButlerError
from ..ports.capabilities import DatastoreCapability, require
from ..ports.datastore import IngestRequest, TransferMode
from .butler_parts import ButlerParts
from .file_dataset import FileDataset
from .ownership import explain_taken, unshared
from .progress import Progress, counter, in_batches

log = logging.getLogger(__name__)


class _ButlerParts(ButlerParts, Protocol):
    """What ingest needs of the Butler beyond the common parts."""

    _runs_registered: set[str]

    def _output_run(self, run: str | None, *, remember: bool = True) -> str: ...

    def _undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                     transfer: TransferMode) -> None: ...


class ButlerIngest:
    """Ingest, mixed into Butler."""

    def ingest(self: _ButlerParts, datasets: Sequence[FileDataset], *, transfer: str | TransferMode = "auto",
               run: str | None = None, progress: Progress | None = None) -> list[DatasetRef]:
        """Bring existing files in as Datasets (all or none); return their refs in order.

        ``move`` is carried out as a copy followed by deleting the sources once the registry
        has committed, so a failure never loses the user's files. A run this call registers is
        registered in the same transaction: a failed ingest leaves no new run behind.
        """
        self._check_writeable("ingest datasets")
        mode = TransferMode(transfer) if isinstance(transfer, str) else transfer
        datastore_mode = TransferMode.COPY if mode is TransferMode.MOVE else mode
        if datastore_mode not in self.datastore.ingest_modes:
            require(self.datastore.capabilities, DatastoreCapability.INGEST, type(self.datastore).__name__,
                    "ingest files")
            raise CapabilityError(f"{type(self.datastore).__name__} does not support transfer mode "
                                f"{mode.value!r}; supported: {sorted(m.value for m in self.datastore.ingest_modes)}")
        grouped: dict[str, list[tuple[int, FileDataset]]] = {}
        for index, dataset in enumerate(datasets):
            grouped.setdefault(dataset.dataset_type, []).append((index, dataset))
        results: list[DatasetRef | None] = [None] * len(datasets)
        written: list[StoredArtifact] = []
        placed: list[IngestRequest] = []
        try:
            with self.registry.transaction():
                output = self._output_run(run, remember=False)
                advance = counter(progress, len(datasets))
                for name, group in ((n, part) for n, whole in grouped.items() for part in in_batches(whole)):
                    refs = self.registry.insert_datasets(name, output, [d.data_id for _, d in group])
                    requests = [IngestRequest(os.fspath(d.path), ref, d.formatter)
                                for (_, d), ref in zip(group, refs, strict=True)]
                    try:
                        artifacts = self.datastore.ingest(requests, datastore_mode)
                    except ArtifactExistsError as err:
                        raise explain_taken(self.registry, err, self.root) from None
                    written.extend(artifacts)
                    placed.extend(requests)
                    self.registry.insert_artifacts(artifacts)
                    for (index, _), ref in zip(group, refs, strict=True):
                        results[index] = ref
                    advance(len(group))
        except BaseException as err:
            self._undo_ingest(placed, written, datastore_mode)
            if isinstance(err, BadFileError) and err.pending is not None:
                try:  # the gateway's record of the refusal waited for our transaction to end
                    err.record_pending()
                except DataButlerError:
                    log.warning("could not record the files the ingest gateway refused", exc_info=True)
            raise
        self._runs_registered.add(output)
        if mode is TransferMode.MOVE:
            for dataset in datasets:
                try:
                    os.unlink(dataset.path)
                except OSError:
                    log.warning("ingested %s by move but could not delete the source", dataset.path)
        return [ref for ref in results if ref is not None]

    def _undo_ingest(self: _ButlerParts, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                     transfer: TransferMode) -> None:
        """Remove what an ingest whose transaction did not commit brought in; files ingested in place stay."""
        if not artifacts:
            return
        try:
            kept = {id(a) for a in artifacts} - {id(a) for a in unshared(self.registry, self.datastore, artifacts)}
        except Exception:  # the registry failed: what the ingest copied in is its own
            log.warning("could not check whether other datasets record the files of a failed ingest", exc_info=True)
            kept = set()
        pairs = [(r, a) for r, a in zip(requests, artifacts, strict=True) if id(a) not in kept]
        try:
            self.datastore.undo_ingest([r for r, _ in pairs], [a for _, a in pairs], transfer)
        except Exception:  # the original error matters more
            log.exception("could not remove the files of a failed ingest; find them with find_orphans")
