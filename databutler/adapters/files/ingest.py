"""Planning an ingest on any storage: which formatter, which transfer, and where the file is recorded."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

import attrs

from ...domain.dataset import DatasetRef
from ...domain.errors import CapabilityError, StorageClassError
from ...domain.storage_class import StorageClass, StorageClassRegistry
from ...domain.template import FileTemplates
from ...ports.datastore import IngestRequest, TransferMode
from ...ports.formatter import Formatter, FormatterSet
from ...ports.parts import part_path


@attrs.frozen
class IngestPlan:
    """One file to ingest, checked and resolved before anything is changed."""

    source: str
    """Where the file to ingest is (an absolute local path, or a URI the datastore can read)."""
    ref: DatasetRef
    storage_class: StorageClass
    formatter: Formatter
    mode: TransferMode
    """COPY, MOVE or a link mode; DIRECT means left in place (AUTO is resolved)."""
    uri: str
    """The artifact URI: root-relative for files the datastore owns, absolute for others."""
    component: str | None = None
    """The component the file holds, for a part of a composite stored in parts."""


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


def plan_ingest(request: IngestRequest, mode: TransferMode, source: str, *,
                relative_in_place: Callable[[str], str | None], absolute_uri: Callable[[str], str],
                templates: FileTemplates, storage_classes: StorageClassRegistry,
                formatters: FormatterSet) -> IngestPlan:
    """Decide where the checked file ``source`` goes; nothing in storage changes.

    ``relative_in_place`` gives the root-relative path of a source already inside the root (or
    None), ``absolute_uri`` the URI to record for a source left in place outside it.
    """
    storage_class = storage_classes[request.ref.dataset_type.storage_class]
    component = request.component
    if component is not None:  # a part of a composite stored in parts (as transfer copies one)
        storage_class = storage_classes[storage_class.component(component)]
    formatter = choose_formatter(request, source, storage_class, formatters)
    if mode in (TransferMode.DIRECT, TransferMode.AUTO):
        relative = relative_in_place(source)
        if relative is not None:
            return IngestPlan(source, request.ref, storage_class, formatter, TransferMode.DIRECT, relative, component)
        if mode is TransferMode.DIRECT:
            return IngestPlan(source, request.ref, storage_class, formatter, mode, absolute_uri(source), component)
        mode = TransferMode.COPY
    path = templates.render(request.ref)
    if component is not None:
        path = part_path(path, component)
    relative = path + (_extension(source) if formatter.any_extension else formatter.extension)
    return IngestPlan(source, request.ref, storage_class, formatter, mode, relative, component)


def choose_formatter(request: IngestRequest, source: str, storage_class: StorageClass,
                     formatters: FormatterSet) -> Formatter:
    """The formatter named by ``request``, else the one reading ``storage_class`` from the file's extension."""
    if request.formatter is None:
        return formatters.for_extension(posixpath.splitext(source)[1], storage_class.name)
    formatter = formatters.by_name(request.formatter)
    if storage_class.name not in formatter.storage_classes:
        raise StorageClassError(f"formatter {formatter.name!r} cannot read storage class {storage_class.name!r} "
                                f"(dataset {request.ref}); it reads {sorted(formatter.storage_classes)}")
    return formatter


def _extension(source: str) -> str:
    """The extension of a delivered file, compression included (``x.fits.fz`` -> ``.fits.fz``)."""
    name = posixpath.basename(source)
    stem, last = posixpath.splitext(name)
    if last in (".fz", ".gz", ".bz2"):
        return posixpath.splitext(stem)[1] + last
    return last
