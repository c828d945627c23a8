"""DbbDatastore: Datasets as files in a DESDM archive, ingested through the DESDM gateway's rules."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ...domain.dataset import StoredArtifact
from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.capabilities import DatastoreCapability
from ...ports.datastore import IngestRequest, TransferMode
from ...ports.formatter import FormatterSet
from ..files.ingest import IngestPlan, transfer_mode
from ..posix import PosixDatastore
from ..posix.files import os_error
from ..posix.transfer import describe_file, source_gone
from .archive import ArchiveCatalog
from .gateway import Description, IngestGateway

CHECKSUM = "md5"
"""DESDM's checksum (DESFILE.MD5SUM); artifacts record it as ``md5:<hex>``."""

ARCHIVE_INGEST_MODES = frozenset({TransferMode.COPY, TransferMode.MOVE, TransferMode.AUTO})
"""What an archive accepts: files brought into it (AUTO leaves a file already in the archive where it is).

Links and DIRECT would leave the bytes outside the archive, where DESDM cannot manage them.
"""


class DbbDatastore(PosixDatastore):
    """Datasets as files in the DESDM archive named in OPS_ARCHIVE, at paths relative to its root.

    Everything is as in the POSIX datastore (atomic writes that never overwrite, link-free
    directories, verify, orphans), with DESDM's md5 checksums, and ingest through the gateway's
    rules (``gateway``): a duplicate name or a checksum that changes in the copy refuses the file,
    records it in DTS_BAD_FILE and raises BadFileError, leaving nothing of the batch in the archive.
    """

    def __init__(self, root: str, *, archive: str, catalog: ArchiveCatalog, storage_classes: StorageClassRegistry,
                 formatters: FormatterSet, templates: FileTemplates | None = None, fsync: bool = False,
                 writeable: bool = True) -> None:
        super().__init__(root, storage_classes=storage_classes, formatters=formatters, templates=templates,
                         checksum=CHECKSUM, fsync=fsync, writeable=writeable)
        self._archive = archive
        self._catalog = catalog
        self._gateway = IngestGateway(catalog)
        self._planned = threading.local()  # this thread's current ingest: plans by (id(request), mode)

    def __repr__(self) -> str:
        return f"DbbDatastore(archive={self._archive!r}, root={self._layout.root!r})"

    @property
    def archive(self) -> str:
        """The name of the archive (OPS_ARCHIVE.NAME)."""
        return self._archive

    @property
    def ingest_modes(self) -> frozenset[TransferMode]:
        """COPY, MOVE and AUTO (none when read-only)."""
        return super().ingest_modes & ARCHIVE_INGEST_MODES

    def close(self) -> None:
        """Close the connections to the DESDM database."""
        super().close()
        self._catalog.close()

    def ingest(self, requests: Sequence[IngestRequest], transfer: TransferMode) -> list[StoredArtifact]:
        """Bring files into the archive through the gateway; all or nothing, refused files recorded as bad."""
        self._require(DatastoreCapability.INGEST, "ingest files")
        mode = transfer_mode(transfer, self.ingest_modes, repr(self))
        planned = [self._plan_ingest(request, mode) for request in requests]
        # Every delivered name in one look-up, before any copy; a file AUTO leaves where it is in the
        # archive is not a delivery (it may be the file of another dataset: one file, several datasets).
        self._gateway.refuse_duplicates([plan for plan in planned if plan.mode is not TransferMode.DIRECT])
        # The kit's ingest plans the same requests again: it gets these.
        self._planned.plans = {(id(request), mode): plan for request, plan in zip(requests, planned, strict=True)}
        try:
            return super().ingest(requests, mode)
        finally:
            self._planned.plans = None

    def _plan_ingest(self, request: IngestRequest, mode: TransferMode) -> IngestPlan:
        plans: dict[tuple[int, TransferMode], IngestPlan] | None = getattr(self._planned, "plans", None)
        if plans is not None and (plan := plans.get((id(request), mode))) is not None and plan.ref is request.ref:
            return plan
        return super()._plan_ingest(request, mode)

    def _place(self, plan: IngestPlan) -> StoredArtifact:
        """Sum and size the delivered file, copy it in, sum and size the copy; refuse it if they differ."""
        try:
            before = _describe(plan.source)
        except FileNotFoundError:
            raise source_gone(plan.source) from None
        except OSError as err:
            raise os_error(err, "read", plan.source) from None
        artifact = super()._place(plan)
        try:
            written = Description(artifact.checksum, artifact.size or 0)
            copies = [written] if plan.mode is TransferMode.DIRECT else [written, self._describe_copy(plan)]
            self._gateway.check_copy(plan, before, copies)
        except BaseException:
            if plan.mode is not TransferMode.DIRECT:
                self._undo([artifact.uri])
            raise
        return artifact

    def _describe_copy(self, plan: IngestPlan) -> Description:
        """The md5 and size of the copy in the archive, read back from it."""
        path = self._layout.path(plan.uri)
        try:
            return _describe(path)
        except OSError as err:
            raise os_error(err, "read back the copy", path) from None


def _describe(path: str) -> Description:
    """The md5 and size of the file at ``path``."""
    checksum, size = describe_file(path, CHECKSUM)
    return Description(checksum, size)
