"""The DESDM ingest gateway's rules: which delivered files are refused, and how a refusal is recorded.

A file is refused, and recorded in ``DTS_BAD_FILE`` with the reason, when its name in the archive
(FILENAME + COMPRESSION) is in ``DESFILE`` already or comes twice in one delivery ("Duplicate
file"), or when its md5 or size differ between the delivered file and its copy in the archive
("Checksum changed in the copy"). The record is committed on the catalog's own connection, so it
survives the rollback of the ingest it stopped; nothing else of a refused file is kept.
"""

from __future__ import annotations

import datetime
import os
import posixpath
from collections.abc import Sequence
from typing import Any, NoReturn

import attrs

from ...domain.errors import BadFileError, DatastoreError
from ..files.ingest import IngestPlan
from .archive import ArchiveCatalog, split_name

DUPLICATE = "Duplicate file"
CHANGED = "Checksum changed in the copy"


@attrs.frozen
class Description:
    """What the gateway compares of a file: its checksum (``md5:<hex>``) and size."""

    checksum: str | None
    size: int


@attrs.frozen
class Rejection:
    """One delivered file the gateway refuses."""

    path: str
    """Where it would have been in the archive (relative to the root)."""
    dataset_type: str
    size: int | None
    reason: str
    """DESDM's REJECTED_MSG: ``Duplicate file`` or ``Checksum changed in the copy ...``."""

    @property
    def name(self) -> str:
        """The file's name in the archive (FILENAME + COMPRESSION)."""
        return posixpath.basename(self.path)


def archive_key(path: str) -> tuple[str, str]:
    """The DESFILE key of an archive path: (FILENAME, COMPRESSION or '')."""
    filename, compression = split_name(posixpath.basename(path))
    return filename, compression or ""


class IngestGateway:
    """Applies the gateway's rules to planned ingests and records what it refuses."""

    def __init__(self, catalog: ArchiveCatalog) -> None:
        self._catalog = catalog

    def refuse_duplicates(self, plans: Sequence[IngestPlan]) -> None:
        """Refuse the batch if any file's name is in DESFILE or repeats in it (one look-up for the batch)."""
        keys = [archive_key(plan.uri) for plan in plans]
        taken = {(filename, compression or "") for filename, compression in self._catalog.taken(keys)}
        seen: set[tuple[str, str]] = set()
        rejections = []
        for plan, key in zip(plans, keys, strict=True):
            if key in taken or key in seen:
                rejections.append(Rejection(plan.uri, plan.ref.dataset_type.name, _size(plan.source), DUPLICATE))
            seen.add(key)
        if rejections:
            self.reject(rejections, "its name is in the DESDM file catalog (DESFILE) already or repeats in the "
                        "batch; file names in an archive are unique: rename the file or change the datastore's "
                        "pattern")

    def check_copy(self, plan: IngestPlan, before: Description, copies: Sequence[Description]) -> None:
        """Refuse ``plan``'s file if any description of its copy differs from the delivered file's ``before``."""
        changed = next((copy for copy in copies if copy != before), None)
        if changed is None:
            return
        detail = (f"{CHANGED} (before: {before.checksum}, {before.size} bytes; "
                  f"after: {changed.checksum}, {changed.size} bytes)")
        self.reject([Rejection(plan.uri, plan.ref.dataset_type.name, before.size, detail)],
                    "the file changed while it was being copied into the archive; deliver it again once it is "
                    "complete")

    def reject(self, rejections: Sequence[Rejection], why: str) -> NoReturn:
        """Record ``rejections`` in DTS_BAD_FILE (committed) and raise BadFileError naming them."""
        names = tuple(rejection.name for rejection in rejections)
        shown = ", ".join(repr(name) for name in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        message = f"the ingest gateway refused {shown} ({rejections[0].reason}): {why}; nothing was ingested"
        rows = bad_file_rows(rejections, _now())
        try:
            self._catalog.record_bad_files(rows, wait=False)
        except DatastoreError as err:  # our caller's own transaction may hold the database (SQLite): after it
            message += (f"; the rejection is recorded in DTS_BAD_FILE once the ingest's transaction has rolled back "
                        f"(the database is busy now: {err})")
            raise BadFileError(message, names, pending=lambda: self._catalog.record_bad_files(rows)) from None
        message += "; the rejection is recorded in DTS_BAD_FILE"
        raise BadFileError(message, names)


def bad_file_rows(rejections: Sequence[Rejection], when: datetime.datetime) -> list[dict[str, Any]]:
    """The DTS_BAD_FILE rows of ``rejections`` made at ``when``: UNIQ_FULLNAME is the path and a timestamp."""
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    for rejection in rejections:
        stamp = when
        while (unique := f"{rejection.path}.{stamp:%Y%m%d%H%M%S%f}") in used:
            stamp += datetime.timedelta(microseconds=1)  # the same path twice in one batch
        used.add(unique)
        rows.append({"UNIQ_FULLNAME": unique, "ORIG_FILENAME": rejection.name, "FILETYPE": rejection.dataset_type,
                     "FILESIZE": rejection.size, "DELIVERY_DATE": when, "REJECTED_DATE": when,
                     "REJECTED_MSG": rejection.reason})
    return rows


def _now() -> datetime.datetime:
    """Now in UTC, without a time zone (DESDM's DATE columns hold none)."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None
