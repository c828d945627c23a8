"""Planning an ingest: which file, which formatter, which transfer, and where it will be recorded."""

from __future__ import annotations

import os
import stat

import attrs

from ...domain.dataset import DatasetRef
from ...domain.errors import CapabilityError, DatasetNotFoundError, DatastoreError, StorageClassError
from ...domain.storage_class import StorageClass, StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.datastore import IngestRequest, TransferMode
from ...ports.formatter import Formatter, FormatterSet
from .layout import RootLayout, path_to_uri, uri_to_path


@attrs.frozen
class IngestPlan:
    """One file to ingest, checked and resolved before anything is changed."""

    source: str
    """The absolute path of the file to ingest."""
    ref: DatasetRef
    storage_class: StorageClass
    formatter: Formatter
    mode: TransferMode
    """COPY, MOVE, HARDLINK, SYMLINK or RELSYMLINK; DIRECT means left in place (AUTO is resolved)."""
    uri: str
    """The artifact URI: root-relative for files the datastore owns, ``file://`` for others."""


def transfer_mode(transfer: TransferMode | str, modes: frozenset[TransferMode], owner: str) -> TransferMode:
    """``transfer`` as a TransferMode among ``modes``; CapabilityError for an unknown or undeclared one."""
    try:
        mode = TransferMode(transfer)
    except ValueError:
        raise CapabilityError(f"unknown transfer mode {transfer!r}; known: "
                              f"{sorted(m.value for m in TransferMode)}") from None
    if mode not in modes:
        raise CapabilityError(f"{owner} does not support the transfer mode {mode.value!r}; supported: "
                              f"{sorted(m.value for m in modes)}")
    return mode


def plan_ingest(request: IngestRequest, mode: TransferMode, *, layout: RootLayout, templates: FileTemplates,
                storage_classes: StorageClassRegistry, formatters: FormatterSet) -> IngestPlan:
    """Check ``request`` and decide where its file goes; nothing on disk changes."""
    source = source_path(request.path)
    storage_class = storage_classes[request.ref.dataset_type.storage_class]
    formatter = choose_formatter(request, source, storage_class, formatters)
    if mode in (TransferMode.DIRECT, TransferMode.AUTO):
        relative = layout.relative_in_place(source)
        if relative is not None:
            return IngestPlan(source, request.ref, storage_class, formatter, TransferMode.DIRECT, relative)
        if mode is TransferMode.DIRECT:
            return IngestPlan(source, request.ref, storage_class, formatter, mode, path_to_uri(source))
        mode = TransferMode.COPY
    relative = templates.render(request.ref) + formatter.extension
    return IngestPlan(source, request.ref, storage_class, formatter, mode, relative)


def source_path(path: str) -> str:
    """The absolute path of an existing regular file named by a path or ``file://`` URI."""
    local = uri_to_path(path) if "://" in path else path
    absolute = os.path.abspath(local)
    try:
        mode = os.stat(absolute).st_mode
    except FileNotFoundError:
        raise DatasetNotFoundError(f"file to ingest {path!r} does not exist") from None
    except OSError as err:
        raise DatastoreError(f"cannot read file to ingest {path!r}: {err.strerror}") from None
    if not stat.S_ISREG(mode):
        raise DatastoreError(f"{path!r} is not a regular file; only files can be ingested")
    return absolute


def choose_formatter(request: IngestRequest, source: str, storage_class: StorageClass,
                     formatters: FormatterSet) -> Formatter:
    """The formatter named by ``request``, else the one reading ``storage_class`` from the file's extension."""
    if request.formatter is None:
        return formatters.for_extension(os.path.splitext(source)[1], storage_class.name)
    formatter = formatters.by_name(request.formatter)
    if storage_class.name not in formatter.storage_classes:
        raise StorageClassError(f"formatter {formatter.name!r} cannot read storage class {storage_class.name!r} "
                                f"(dataset {request.ref}); it reads {sorted(formatter.storage_classes)}")
    return formatter
