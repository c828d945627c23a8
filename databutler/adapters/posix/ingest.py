"""Planning an ingest of local files: the source file checks and the root's in-place test."""

from __future__ import annotations

import os
import stat

from ...domain.errors import DatasetNotFoundError, DatastoreError
from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.datastore import IngestRequest, TransferMode
from ...ports.formatter import FormatterSet
from .._files.ingest import IngestPlan
from .._files.ingest import plan_ingest as plan_shared
from .layout import RootLayout, path_to_uri, uri_to_path


def plan_ingest(request: IngestRequest, mode: TransferMode, *, layout: RootLayout, templates: FileTemplates,
                storage_classes: StorageClassRegistry, formatters: FormatterSet) -> IngestPlan:
    """Check ``request`` and decide where its file goes; nothing on disk changes."""
    return plan_shared(request, mode, source_path(request.path), relative_in_place=layout.relative_in_place,
                       absolute_uri=path_to_uri, templates=templates, storage_classes=storage_classes,
                       formatters=formatters)


def source_path(path: str) -> str:
    """The absolute path of an existing regular file named by a path or ``file://`` URI."""
    absolute = local_path(path)
    try:
        mode = os.stat(absolute).st_mode
    except FileNotFoundError:
        raise DatasetNotFoundError(f"file to ingest {path!r} does not exist") from None
    except OSError as err:
        raise DatastoreError(f"cannot read file to ingest {path!r}: {err.strerror}") from None
    if not stat.S_ISREG(mode):
        raise DatastoreError(f"{path!r} is not a regular file; only files can be ingested")
    return absolute


def local_path(path: str) -> str:
    """The absolute local path named by a path or ``file://`` URI."""
    return os.path.abspath(uri_to_path(path) if "://" in path else path)
