"""Planning an ingest of local files: the root's in-place test."""

from __future__ import annotations

from ...domain.storage_class import StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.datastore import IngestRequest, TransferMode
from ...ports.formatter import FormatterSet
from ..files.ingest import IngestPlan
from ..files.ingest import plan_ingest as plan_shared
from ..files.local import path_to_uri, source_path
from .layout import RootLayout


def plan_ingest(request: IngestRequest, mode: TransferMode, *, layout: RootLayout, templates: FileTemplates,
                storage_classes: StorageClassRegistry, formatters: FormatterSet) -> IngestPlan:
    """Check ``request`` and decide where its file goes; nothing on disk changes."""
    return plan_shared(request, mode, source_path(request.path), relative_in_place=layout.relative_in_place,
                       absolute_uri=path_to_uri, templates=templates, storage_classes=storage_classes,
                       formatters=formatters)
