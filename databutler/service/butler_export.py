"""The Butler's export and import: datasets, their DataUnit records, collections and files, in the
reference system's export YAML (see ``service.interchange``)."""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from ..domain.collection import CollectionKind
from ..domain.data_id import DataId
from ..domain.dataset import DatasetRef, StoredArtifact
from ..domain.dataset_type import DatasetType
from ..domain.errors import CapabilityError, DataIdError, ExportFormatError
from ..domain.values import Timespan
from ..ports.capabilities import DatastoreCapability, require
from ..ports.datastore import Datastore, IngestRequest, TransferMode
from ..ports.registry import Registry
from .butler_parts import ButlerParts
from .interchange import yaml_tags
from .interchange.document import (
    CollectionEntry,
    DatasetTypeEntry,
    ExportDocument,
    FileEntry,
    ValidityRange,
    read_document,
    write_document,
)
from .progress import in_batches

log = logging.getLogger(__name__)


class _ButlerParts(ButlerParts, Protocol):
    def _undo_ingest(self, requests: Sequence[IngestRequest], artifacts: Sequence[StoredArtifact],
                     transfer: TransferMode) -> None: ...


def _local_path(uri: str) -> str:
    """A ``file://`` URI as a local path; anything else unchanged."""
    if uri.startswith("file://"):
        return urllib.parse.unquote(urllib.parse.urlparse(uri).path)
    return uri


def gather_collections(registry: Registry, names: Iterable[str]) -> list[CollectionEntry]:
    """``names`` and, for chains, their children (recursively), children first, each once."""
    found: dict[str, CollectionEntry] = {}

    def visit(name: str) -> None:
        if name in found:
            return
        collection = registry.get_collection(name)
        for child in collection.children:
            visit(child)
        found[name] = CollectionEntry(collection.name, collection.kind, collection.doc, collection.children)

    for name in names:
        visit(name)
    return list(found.values())


class ButlerExport:
    """Export and import, mixed into Butler."""

    def export(self: _ButlerParts, path: str | os.PathLike[str], refs: Iterable[DatasetRef] | None = None, *,
               data_units: bool = True, collections: Sequence[str] | None = None,
               transfer: str | None = None, directory: str | os.PathLike[str] | None = None) -> int:
        """Write ``refs`` (and the collections named) to the export YAML file ``path``; return the datasets written.

        The file holds the datasets' DataUnit records (unless ``data_units`` is false), their dataset
        types and RUNs, and each collection in ``collections`` (a chain with its children, a TAGGED
        collection with its associations among the exported datasets). Without ``refs``, every
        dataset in ``collections`` is exported. With ``transfer=None`` each file's path is its
        absolute URI; with ``transfer="copy"`` the files are copied under ``directory`` (default:
        the export file's directory) and their paths are relative to it. A dataset stored in parts
        (a disassembled composite) cannot be written in this format and is refused.
        """
        if transfer not in (None, "copy"):
            raise CapabilityError(f"export transfer {transfer!r} is not supported; use None or 'copy'")
        registry = self.registry
        chosen = gather_collections(registry, collections or ())
        if refs is None:
            if not collections:
                raise ExportFormatError("export needs refs or collections to export")
            flat = registry.resolve_collections([c.name for c in chosen])
            refs = [ref for name in flat for ref in registry.datasets_in_collection(name)]
        unique = list({ref.id: ref for ref in refs}.values())
        subset = registry.export_subset(unique)
        exported = {ref.id for ref in subset.refs}
        runs = gather_collections(registry, dict.fromkeys(ref.run for ref in subset.refs))
        by_name = {c.name: c for c in [*runs, *chosen]}
        tagged = {c.name: tuple(r.id for r in registry.datasets_in_collection(c.name) if r.id in exported)
                  for c in by_name.values() if c.kind is CollectionKind.TAGGED}
        certified = {c.name: certified_ranges(registry, c.name, exported)
                     for c in by_name.values() if c.kind is CollectionKind.CALIBRATION}
        artifacts: dict[uuid.UUID, list[StoredArtifact]] = {}
        for artifact in subset.artifacts:
            artifacts.setdefault(artifact.dataset_id, []).append(artifact)
        target = os.fspath(directory) if directory is not None else os.path.dirname(os.path.abspath(path))
        files = [_export_file(self.datastore, ref, artifacts.get(ref.id, []), transfer, target) for ref in subset.refs]
        records = with_join_records(registry, subset.refs, subset.records, populated=True) if data_units else {}
        document = ExportDocument(
            registry.universe.namespace, registry.universe.version, records,
            tuple(DatasetTypeEntry(t.name, t.units, t.storage_class, t.is_calibration) for t in subset.dataset_types),
            tuple(by_name.values()), tuple(files), tagged, certified)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        temporary = f"{os.fspath(path)}.tmp-{uuid.uuid4().hex}"
        try:
            with open(temporary, "w", encoding="utf-8") as stream:
                yaml_tags.dump(write_document(document, registry.universe), stream)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return len(files)

    def import_(self: _ButlerParts, path: str | os.PathLike[str], *, transfer: str | TransferMode | None = "auto",
                directory: str | os.PathLike[str] | None = None,
                without_datastore: bool = False) -> list[DatasetRef]:
        """Import the export file ``path`` (the reference's or databutler's); return the datasets imported.

        Everything goes in one registry transaction plus the datastore's ingest: a failure leaves
        the repository as it was. Relative file paths are taken from ``directory`` (default: the
        export file's directory); ``transfer`` is how the datastore brings the files in
        (``auto``, ``copy``, ``move``, ``symlink``, ``hardlink``, ``direct``...). With
        ``without_datastore`` only the registry content is imported (paths are ignored).
        Datasets and records already present with the same definition are skipped.
        """
        self._check_writeable("import an export file")
        name = os.fspath(path)
        try:
            with open(name, encoding="utf-8") as stream:
                raw = yaml_tags.load(stream, name)
        except (OSError, UnicodeDecodeError) as err:
            raise ExportFormatError(f"cannot read export file {name}: {err}") from None
        document = read_document(raw, self.registry.universe, name)
        base = os.fspath(directory) if directory is not None else os.path.dirname(os.path.abspath(name))
        mode = TransferMode(transfer or "auto") if not isinstance(transfer, TransferMode) else transfer
        datastore_mode = TransferMode.COPY if mode is TransferMode.MOVE else mode
        if not without_datastore and any(f.path for f in document.files):
            require(self.datastore.capabilities, DatastoreCapability.INGEST, repr(self.datastore), "import files")
            if datastore_mode not in self.datastore.ingest_modes:
                raise CapabilityError(f"{self.datastore!r} does not support transfer mode {mode.value!r}; supported: "
                                      f"{sorted(m.value for m in self.datastore.ingest_modes)}")
        placed: list[IngestRequest] = []
        written: list[StoredArtifact] = []
        try:
            with self.registry.transaction():
                refs = _load_registry(self.registry, document)
                requests = [] if without_datastore else [
                    IngestRequest(_resolve(f.path, base), refs[i], f.formatter)
                    for f in document.files if f.path for i in f.ids]
                for part in in_batches(requests):
                    artifacts = self.datastore.ingest(part, datastore_mode)
                    placed.extend(part)
                    written.extend(artifacts)
                    self.registry.insert_artifacts(artifacts)
                _associate(self.registry, document, refs)
        except BaseException:
            self._undo_ingest(placed, written, datastore_mode)
            raise
        if mode is TransferMode.MOVE:
            for request in dict.fromkeys(r.path for r in placed):
                try:
                    os.unlink(request)
                except OSError:
                    log.warning("imported %s by move but could not delete the source", request)
        return [refs[i] for f in document.files for i in f.ids]


def _export_file(datastore: Datastore, ref: DatasetRef, artifacts: Sequence[StoredArtifact],
                 transfer: str | None, directory: str) -> FileEntry:
    """The file entry of ``ref``, its artifact copied under ``directory`` with ``transfer="copy"``."""
    if not artifacts:
        return FileEntry(ref.dataset_type.name, ref.run, (ref.id,), (dict(ref.data_id),), None, None)
    if len(artifacts) > 1 or artifacts[0].component is not None:
        raise ExportFormatError(f"dataset {ref!r} is stored in {len(artifacts)} parts; the export format "
                                "holds one file per dataset (a transfer between repositories moves it)")
    (artifact,) = artifacts
    if transfer is None:
        path = datastore.uri(artifact)
    else:
        require(datastore.capabilities, DatastoreCapability.ARTIFACT_BYTES, repr(datastore),
                "copy files for an export")
        if "://" in artifact.uri:  # an artifact ingested in place: give it a path of its own
            relative = posixpath.join(ref.run, ref.dataset_type.name, str(ref.id),
                                      posixpath.basename(urllib.parse.urlparse(artifact.uri).path))
        else:
            relative = artifact.uri
        path = relative
        local = os.path.join(directory, *relative.split("/"))
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with datastore.open_artifact(artifact) as source, open(local, "wb") as copy:
            shutil.copyfileobj(source, copy, 1 << 20)
    return FileEntry(ref.dataset_type.name, ref.run, (ref.id,), (dict(ref.data_id),), path, artifact.formatter)


def with_join_records(registry: Registry, refs: Sequence[DatasetRef],
                      records: Mapping[str, Sequence[Mapping[str, Any]]], *,
                      populated: bool = False) -> dict[str, Sequence[Mapping[str, Any]]]:
    """``records`` plus the records of join elements the datasets' DataIds name in full (visit_detector_region)
    and, if ``populated``, those ``populated_by`` a unit whose records go (a visit's definition, region and
    visit systems, as the reference exports them; read with one fetch of each such element)."""
    universe = registry.universe
    found = dict(records)
    for join in universe.join_elements:
        fields = universe.key_fields(join.name)
        keys = {tuple(full[f] for f in fields) for full in (ref.data_id.full for ref in refs)
                if all(f in full for f in fields)}
        chosen = registry.fetch_data_unit_records(
            join.name, [dict(zip(fields, key, strict=True)) for key in sorted(keys, key=repr)]) if keys else []
        owner = join.populated_by
        if populated and owner is not None and found.get(owner):
            owner_fields = universe.key_fields(owner)
            columns = universe.required(owner)  # the owner's key as the join element's columns name it
            owned = {tuple(r[f] for f in owner_fields) for r in found[owner]}
            have = {tuple(r[f] for f in fields) for r in chosen}
            chosen += [r for r in registry.fetch_data_unit_records(join.name)
                       if tuple(r[c] for c in columns) in owned and tuple(r[f] for f in fields) not in have]
        if chosen:
            found[join.name] = chosen
            for unit in join.joins:  # a joined unit no dataset names (visit_system) goes too
                _add_records(registry, found, unit, {tuple(r[c] for c in universe.required(unit)) for r in chosen})
    return {e.name: found[e.name] for e in universe.elements if e.name in found}


def _add_records(registry: Registry, found: dict[str, Sequence[Mapping[str, Any]]], unit: str,
                 keys: set[tuple[Any, ...]]) -> None:
    """Add to ``found`` the records of ``unit`` with primary ``keys`` that it lacks, and those they name."""
    universe = registry.universe
    fields = universe.key_fields(unit)
    have = {tuple(r[f] for f in fields) for r in found.get(unit, ())}
    missing = sorted(keys - have, key=repr)
    if not missing:
        return
    added = registry.fetch_data_unit_records(unit, [dict(zip(fields, key, strict=True)) for key in missing])
    found[unit] = [*found.get(unit, ()), *added]
    definition = universe.unit(unit)
    for parent in (*definition.requires, *definition.implies):  # an exposure's group, day_obs, filter
        columns = universe.required(parent)
        _add_records(registry, found, parent, {tuple(r[c] for c in columns) for r in added
                                               if all(r.get(c) is not None for c in columns)})


def _resolve(path: str | None, base: str) -> str:
    assert path is not None
    if "://" in path:
        return _local_path(path)
    return path if os.path.isabs(path) else os.path.join(base, *path.split("/"))


def _load_registry(registry: Registry, document: ExportDocument) -> dict[uuid.UUID, DatasetRef]:
    """Write the document's records, dataset types, collections and datasets; the refs by id."""
    for element, records in document.records.items():
        if records:
            registry.insert_data_units(element, records, skip_existing=True)
    types: dict[str, DatasetType] = {}
    for entry in document.dataset_types:
        definition = DatasetType(entry.name, entry.units, entry.storage_class, is_calibration=entry.is_calibration)
        registry.register_dataset_type(definition)
        types[entry.name] = registry.get_dataset_type(entry.name)
    for collection in document.collections:
        if collection.kind is not CollectionKind.CHAINED:
            registry.register_collection(collection.name, collection.kind, collection.doc)
    for collection in document.collections:
        if collection.kind is CollectionKind.CHAINED:
            registry.register_collection(collection.name, collection.kind, collection.doc)
            registry.set_chain(collection.name, collection.children)
    by_type: dict[str, list[tuple[uuid.UUID, str, Any]]] = {}
    for file in document.files:
        for dataset_id, data_id in zip(file.ids, file.data_ids, strict=True):
            by_type.setdefault(file.dataset_type, []).append((dataset_id, file.run, data_id))
    refs: dict[uuid.UUID, DatasetRef] = {}
    for name, rows in by_type.items():
        definition = types.get(name) or registry.get_dataset_type(name)
        for run in {run for _, run, _ in rows}:
            registry.register_collection(run, CollectionKind.RUN)
        for part in in_batches(rows):
            # The registry's import expands and checks each DataId; implied values given are checked too.
            batch = [DatasetRef(definition, _data_id(definition.units, data_id, name), run, dataset_id)
                     for dataset_id, run, data_id in part]
            refs.update((ref.id, ref) for ref in registry.import_datasets(batch))
    return refs


def _data_id(units: Sequence[str], values: Any, dataset_type: str) -> DataId:
    if not isinstance(values, dict):
        raise ExportFormatError(f"a data ID of dataset type {dataset_type!r} is not a mapping: {values!r}")
    missing = [u for u in units if u not in values]
    if missing:
        raise DataIdError(f"a data ID of dataset type {dataset_type!r} lacks {missing}: {values}")
    return DataId({u: values[u] for u in units}, {k: v for k, v in values.items() if k not in units})


def certified_ranges(registry: Registry, collection: str, exported: set[uuid.UUID]) -> tuple[ValidityRange, ...]:
    """The validity ranges of CALIBRATION ``collection`` holding exported datasets, grouped by range."""
    grouped: dict[Timespan, list[uuid.UUID]] = {}
    for certification in registry.query_certifications(collection):
        if certification.ref.id in exported:
            grouped.setdefault(certification.timespan, []).append(certification.ref.id)
    return tuple(ValidityRange(span, tuple(ids)) for span, ids in grouped.items())


def _known(registry: Registry, refs: dict[uuid.UUID, DatasetRef], ids: Sequence[uuid.UUID], kind: str,
           collection: str) -> None:
    """Add to ``refs`` the datasets ``ids`` that the file does not hold but the repository does; refuse others."""
    missing = [i for i in ids if i not in refs]
    if missing:
        found = registry.get_datasets(missing)
        absent = [i for i, ref in zip(missing, found, strict=True) if ref is None]
        if absent:
            raise ExportFormatError(f"{kind} collection {collection!r} names {len(absent)} datasets neither in "
                                    f"the file nor in the repository (first: {absent[0]})")
        refs.update((ref.id, ref) for ref in found if ref is not None)


def _associate(registry: Registry, document: ExportDocument, refs: dict[uuid.UUID, DatasetRef]) -> None:
    for collection, ids in document.tagged.items():
        _known(registry, refs, ids, "TAGGED", collection)
        registry.associate(collection, [refs[i] for i in ids])
    for collection, ranges in document.certified.items():
        present = {(c.ref.id, c.timespan) for c in registry.query_certifications(collection)} if ranges else set()
        for validity in ranges:
            _known(registry, refs, validity.dataset_ids, "CALIBRATION", collection)
            new = [refs[i] for i in validity.dataset_ids if (i, validity.timespan) not in present]
            if new:  # a range already certified (the same file imported again) is skipped; an overlap is refused
                registry.certify(collection, new, validity.timespan)
